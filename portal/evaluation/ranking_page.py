"""The ranking page's rows: every ranked proposal is computed (the order, thresholds and the envelope need them all),
one page of them is loaded and shown. The full list stays available as the committee's XLSX and PDF exports."""

from __future__ import annotations

from dataclasses import dataclass

from portal.calls.models import Call
from portal.core.paging import ListPage, page_number
from portal.evaluation.models import EvaluationStage
from portal.evaluation.ranking import hydrate, row_copy, shared_rank

PER_PAGE = 50


@dataclass
class RankingPage(ListPage):
    # The rank of the first passing proposal beyond the budget envelope (the envelope line is drawn above it),
    # whichever page it is on; None when every passing proposal fits.
    envelope_break: int | None = None


def ranking_page(
    call: Call, stage: EvaluationStage | None, page: int | None, show: int | None = None, per_page: int | None = None
) -> RankingPage:
    per_page = per_page or PER_PAGE
    rows = shared_rank(call, stage) if stage is not None else []  # read-only: the shown rows are copies
    if show is not None:
        position = next((i for i, r in enumerate(rows) if r.proposal_id == show), None)
        if position is not None:
            page = position // per_page + 1
    number = page_number(page, len(rows), per_page)
    start = (number - 1) * per_page
    shown = hydrate([row_copy(r, stage) for r in rows[start : start + per_page]])
    envelope_break = next((r.rank for r in rows if r.passes and not r.within_envelope), None)
    return RankingPage(page=number, per_page=per_page, total=len(rows), items=shown, envelope_break=envelope_break)
