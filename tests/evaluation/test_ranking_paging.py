"""The ranking page shows one page of rows: the ranks, the thresholds and the budget line are those of the whole
ranking whichever page is shown; the evaluator's queue is paged too."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portal.evaluation import queries, ranking_page
from portal.evaluation.models import AssignmentStatus
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS

LINE = "The budget envelope of €300,000.00 runs out here: the passing proposals below do not fit in it."


@pytest.fixture
def five_ranked(call, make_proposal, review):
    """Five passing proposals of 100,000 each, best first (criterion 1.4 scored 5, 4, 3, 2, 1): the envelope of
    300,000 holds the first three, so its line is drawn above rank 4."""
    proposals = []
    for score in (5, 4, 3, 2, 1):
        p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal("100000.00"))
        review(p, {**ALL_FOURS, "1.4": score})
        proposals.append(p)
    return proposals


def _ranks(html: str) -> list[int]:
    """The proposals' ids in the order the page shows them."""
    return [int(i) for i in re.findall(r'<tr id="rank-(\d+)"', html)]


def test_pages_keep_the_whole_rankings_order_and_budget_line(client, sign_in, manager, call, five_ranked, monkeypatch):
    monkeypatch.setattr(ranking_page, "PER_PAGE", 2)
    ids = [p.id for p in five_ranked]
    sign_in(client, manager)
    url = f"/manage/calls/{call.id}/ranking"

    first = client.get(url).get_data(as_text=True)
    assert _ranks(first) == ids[:2]
    assert "Ranks 1 to 2 of 5." in first and "Page 1 of 3" in first
    assert "The whole ranking is in the XLSX and PDF downloads." in first
    assert "The budget envelope runs out below this page, at rank 4." in first
    assert LINE not in first
    assert "Within envelope" in first and "Beyond envelope" not in first

    second = client.get(url + "?page=2").get_data(as_text=True)
    assert _ranks(second) == ids[2:4]
    assert "Ranks 3 to 4 of 5." in second
    # The cumulative amount runs on from the first page: 300,000 at rank 3, 400,000 at rank 4.
    assert "€300,000.00" in second and "€400,000.00" in second
    assert second.index(f'id="rank-{ids[2]}"') < second.index(LINE) < second.index(f'id="rank-{ids[3]}"')
    assert "runs out below this page" not in second and "ran out above this page" not in second

    third = client.get(url + "?page=3").get_data(as_text=True)
    assert _ranks(third) == ids[4:]
    assert "Ranks 5 to 5 of 5." in third and "Page 3 of 3" in third
    assert "The budget envelope ran out above this page, at rank 4." in third
    assert LINE not in third and "Beyond envelope" in third


def test_a_page_past_the_end_shows_the_last_and_show_opens_the_page_of_a_proposal(
    client, sign_in, manager, call, five_ranked, monkeypatch
):
    monkeypatch.setattr(ranking_page, "PER_PAGE", 2)
    ids = [p.id for p in five_ranked]
    sign_in(client, manager)
    url = f"/manage/calls/{call.id}/ranking"
    assert _ranks(client.get(url + "?page=99").get_data(as_text=True)) == ids[4:]
    assert _ranks(client.get(url + "?page=0").get_data(as_text=True)) == ids[:2]
    assert _ranks(client.get(url + f"?show={ids[3]}").get_data(as_text=True)) == ids[2:4]
    # A proposal that is not ranked (or not of this call): the first page.
    assert _ranks(client.get(url + "?show=999999").get_data(as_text=True)) == ids[:2]


def test_one_page_needs_no_page_links(client, sign_in, manager, call, five_ranked):
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{call.id}/ranking").get_data(as_text=True)
    assert len(_ranks(html)) == 5 and "Ranks 1 to 5 of 5." in html
    assert "Page 1 of" not in html and "The whole ranking is in the XLSX" not in html


def test_the_evaluators_queue_is_paged_newest_first(
    client, sign_in, call, make_proposal, make_assignment, make_user, monkeypatch
):
    monkeypatch.setattr(queries, "QUEUE_PER_PAGE", 2)
    evaluator = make_user("evaluator")
    references = []
    for _ in range(3):
        p = make_proposal(call, status=ProposalStatus.SUBMITTED)
        make_assignment(p, evaluator=evaluator, status=AssignmentStatus.PENDING, scores={})
        references.append(p.reference)
    sign_in(client, evaluator)
    first = client.get("/evaluation").get_data(as_text=True)
    assert "Assignments 1 to 2 of 3, newest first." in first and "Page 1 of 2" in first
    shown = [r for r in references if r in first]
    assert len(shown) == 2
    second = client.get("/evaluation?page=2").get_data(as_text=True)
    assert "Assignments 3 to 3 of 3, newest first." in second
    assert [r for r in references if r in second] == [r for r in references if r not in shown]
