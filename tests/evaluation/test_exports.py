"""The committee's ranked list as XLSX (read back with openpyxl); managers only. Its PDF is a generated document:
tests/evaluation/test_ranked_list_document.py."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES


@pytest.fixture
def ranked(session, call, make_proposal, make_org, make_user, review):
    first = make_proposal(
        call,
        organisation=make_org(legal_name="Sahel Diaspora Network", members=[make_user("applicant")]),
        status=ProposalStatus.UNDER_REVIEW,
        requested_amount=Decimal("150000.00"),
        countries=("SN", "ML"),
    )
    review(first, ALL_FOURS, evaluator=make_user("evaluator", full_name="Ines Evaluator"))
    review(first, ALL_FOURS, evaluator=make_user("evaluator", full_name="Omar Evaluator"))
    second = make_proposal(
        call,
        organisation=make_org(legal_name="=HYPERLINK Research Institute", members=[make_user("applicant")]),
        status=ProposalStatus.UNDER_REVIEW,
        requested_amount=Decimal("100000.00"),
    )
    review(second, ALL_THREES)
    review(second, ALL_THREES)
    return first, second


def test_xlsx_holds_the_ranked_rows(client, sign_in, session, call, ranked, manager):
    first, second = ranked
    sign_in(client, manager)
    response = client.get(f"/manage/calls/{call.id}/committee.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Reference", "Lead organisation") and rows[0][-1] == "Outcome"
    assert rows[1][0] == 1 and rows[1][1] == first.reference and rows[1][2].startswith("Sahel Diaspora Network")
    assert rows[1][3] == "ML, SN" or rows[1][3] == "SN, ML"
    assert rows[1][4] == 150000 and "Ines Evaluator: 40" in rows[1][5] and rows[1][8] == 40
    assert rows[1][9] == "Passes every threshold" and rows[1][10] == 150000
    assert rows[1][11] == "Proposed: Award"
    assert rows[2][1] == second.reference and rows[2][2].startswith(
        "=HYPERLINK Research Institute"
    )  # text, not a formula
    assert rows[2][10] == 250000
    assert len(rows) == 3


def test_exports_are_for_managers_only(client, sign_in, session, call, ranked, evaluator, make_user):
    urls = (f"/manage/calls/{call.id}/committee.xlsx", f"/manage/calls/{call.id}/committee.pdf")
    for url in urls:
        assert client.get(url).status_code == 302
    for user in (evaluator, ranked[0].created_by, make_user("applicant")):
        sign_in(client, user)
        for url in urls:
            assert client.get(url).status_code == 403
