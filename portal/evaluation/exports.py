"""Exports of the committee's ranked list: XLSX (openpyxl, as the portfolio exports, streamed) and the plain data of
the PDF, which is a generated document (portal.documents.rankings: rendered by a Celery task, versioned, verifiable).
Both take the lines of `committee.committee_lines` (a fixed number of queries) and turn them into
plain rows first, so that the PDF template gets data, never ORM objects. Managers only: the rows name evaluators."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.evaluation.committee import CommitteeLine
from portal.proposals.states import STATUS_LABELS


@dataclass
class ExportRow:
    rank: int
    reference: str
    organisation: str
    countries: str
    requested: Decimal | None
    evaluator_totals: str  # "Name: total; Name: total" (managers only)
    mean: Decimal
    consensus: Decimal | None
    final: Decimal
    thresholds: str
    cumulative: Decimal | None
    outcome: str


def _outcome_label(line: CommitteeLine) -> str:
    labels = {"award": _("Award"), "reserve": _("Reserve list"), "reject": _("Reject")}
    if line.decided in labels:
        return labels[line.decided]
    if line.decided:
        return str(STATUS_LABELS.get(line.decided, line.decided))
    return _("Proposed: %(outcome)s", outcome=labels[line.proposed])


def _thresholds(line: CommitteeLine) -> str:
    row = line.row
    if row.passes:
        return _("Passes every threshold")
    failed = [_("section %(code)s", code=s.section.code) for s in row.sections if not s.passes]
    failed += [_("criterion %(code)s", code=c.criterion.code) for c in row.failing_criteria]
    if not row.passes_total:
        failed.append(_("total"))
    return _("Below: %(list)s", list=", ".join(failed))


def rows(lines: list[CommitteeLine]) -> list[ExportRow]:
    result = []
    for line in lines:
        row = line.row
        proposal = row.proposal
        result.append(
            ExportRow(
                rank=row.rank,
                reference=proposal.reference,
                organisation=proposal.organisation.name,
                countries=", ".join(proposal.countries),
                requested=proposal.requested_amount,
                evaluator_totals="; ".join(
                    f"{e.evaluator.display_name}: {e.total.normalize():f}" for e in row.evaluator_totals
                ),
                mean=row.mean_total,
                consensus=row.consensus_total,
                final=row.final_total,
                thresholds=_thresholds(line),
                cumulative=row.cumulative_amount,
                outcome=_outcome_label(line),
            )
        )
    return result


def columns() -> list[str]:
    return [
        _("Rank"),
        _("Reference"),
        _("Lead organisation"),
        _("Countries"),
        _("Requested amount (EUR)"),
        _("Evaluators' totals"),
        _("Mean total"),
        _("Consensus total"),
        _("Final score"),
        _("Thresholds"),
        _("Cumulative amount (EUR)"),
        _("Outcome"),
    ]


def _values(row: ExportRow) -> list:
    return [
        row.rank,
        row.reference,
        row.organisation,
        row.countries,
        row.requested,
        row.evaluator_totals,
        row.mean,
        row.consensus,
        row.final,
        row.thresholds,
        row.cumulative,
        row.outcome,
    ]


MONEY_COLUMNS = {4, 10}
SCORE_COLUMNS = {6, 7, 8}


def xlsx_bytes(lines: list[CommitteeLine]) -> bytes:
    """One sheet, a bold header row, amounts and scores as numbers, text never read as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ranking"))
    bold = Font(bold=True)
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows(lines):
        cells = []
        for index, value in enumerate(_values(row)):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif index in MONEY_COLUMNS:
                cell.number_format = "#,##0.00"
            elif index in SCORE_COLUMNS:
                cell.number_format = "0.00"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ranked_list_data(call, stage) -> dict:
    """Everything the ranked list prints, as plain data (dicts, lists, strings, numbers), in the current language:
    for the PDF template (portal.documents.rankings) and for the ranking's fingerprint."""
    from portal.core.i18n import localized
    from portal.evaluation.committee import committee_lines

    return {
        "call_reference": call.reference,
        "call_title": call.title,
        "envelope": call.budget_envelope,
        "stage_name": localized(stage, "name"),
        "columns": columns(),
        "rows": [dataclasses.asdict(row) for row in rows(committee_lines(call, stage))],
    }


def ranking_digest(call, stage) -> str:
    """The SHA-256 of the ranking as printed (in English, so that the language of a copy does not count): a new
    version of the ranked list is made only when this changes."""
    with force_locale("en"):
        data = ranked_list_data(call, stage)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
