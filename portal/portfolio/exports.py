"""Exports of the filtered portfolio, one row per grant: CSV (the standard library's csv) and XLSX (openpyxl).

The rows come from `queries.grant_rows` (a fixed number of queries whatever the number of grants). Text that a
spreadsheet would run as a formula (a title starting with "=", "+", "-" or "@") is written as text, never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.grants.models import GrantRole
from portal.portfolio.queries import GrantRow

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns() -> list[str]:
    return [
        _("Agreement number"),
        _("Call"),
        _("Title"),
        _("Lead organisation"),
        _("Lead organisation's country"),
        _("Co-beneficiaries"),
        _("Countries of implementation (share %)"),
        _("Dialogues"),
        _("JVAP domains"),
        _("Amount awarded (EUR)"),
        _("Co-financing (EUR)"),
        _("Amount paid (EUR)"),
        _("Status"),
        _("Awarded on"),
        _("Start date"),
        _("End date"),
        _("Actual start date"),
        _("Actual end date"),
    ]


def _share(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f" ({value.normalize():f}%)"


def row_values(row: GrantRow) -> list:
    """One grant as typed values: text, Decimal amounts, dates (or None)."""
    grant = row.grant
    co_beneficiaries = [
        link.organisation.name for link in grant.organisations if link.role == GrantRole.CO_BENEFICIARY.value
    ]
    return [
        grant.agreement_number,
        grant.call.reference,
        grant.title,
        grant.lead_organisation.name,
        grant.lead_organisation.country,
        "; ".join(co_beneficiaries),
        "; ".join(f"{c.country_code}{_share(c.share_pct)}" for c in grant.country_rows),
        "; ".join(d.code for d in grant.dialogues),
        "; ".join(str(d.number) for d in grant.domains),
        grant.amount,
        grant.cofinancing,
        row.paid,
        grant.status,
        grant.awarded_on,
        grant.start_date,
        grant.end_date,
        grant.actual_start_date,
        grant.actual_end_date,
    ]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # A spreadsheet opening the CSV must not run a title as a formula (CSV injection): quote it as text.
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(rows: Iterable[GrantRow]) -> Iterator[str]:
    """The CSV, line by line (UTF-8 with a byte-order mark so that spreadsheets read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")
    writer.writerow(columns())
    yield flush()
    for row in rows:
        writer.writerow([_text(v) for v in row_values(row)])
        yield flush()


MONEY_COLUMNS = {9, 10, 11}


def xlsx_bytes(rows: Iterable[GrantRow]) -> bytes:
    """The workbook: one sheet, a bold header row, amounts as numbers with two decimals, dates as dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Grants"))
    bold = Font(bold=True)
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for index, value in enumerate(row_values(row)):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif index in MONEY_COLUMNS:
                cell.number_format = "#,##0.00"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
