"""Exports of the filtered audit log: CSV (streamed line by line) and XLSX (openpyxl's write-only workbook, spooled to
a temporary file). Both read the entries in batches (`queries.audit_entries`), so an export of any size keeps memory
flat. Text that a spreadsheet would run as a formula is written as text, never as a formula."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.core.audit import AuditEntry

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def columns() -> list[str]:
    return [
        _("Entry"),
        _("When (UTC)"),
        _("Who"),
        _("Action"),
        _("Object type"),
        _("Object"),
        _("Before"),
        _("After"),
        _("IP address"),
    ]


def _json(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def row_values(entry: AuditEntry) -> list:
    return [
        entry.id,
        entry.created_at.isoformat(timespec="seconds"),
        entry.actor_email or "",
        entry.action,
        entry.object_type,
        entry.object_id,
        _json(entry.before),
        _json(entry.after),
        entry.ip_address or "",
    ]


def _cell_text(value) -> str:
    text = str(value)
    # CSV injection: a spreadsheet must not run an e-mail or a value as a formula.
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The CSV, a line at a time (UTF-8 with a byte-order mark so that spreadsheets read the accents)."""
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
    for entry in entries:
        writer.writerow([_cell_text(v) for v in row_values(entry)])
        yield flush()


def xlsx_file(entries: Iterable[AuditEntry]) -> tempfile.SpooledTemporaryFile:
    """The workbook in a temporary file (in memory up to 8 MB, on disk beyond), rewound, for `send_file`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit log"))
    bold = Font(bold=True)
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for entry in entries:
        cells = []
        for value in row_values(entry):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
    workbook.save(out)
    out.seek(0)
    return out
