"""Scoring: validation, drafts, submission, the lock, and optimistic locking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import operations
from portal.evaluation.models import AssignmentStatus

GOOD_COMMENT = "Clear, well argued and relevant."


@pytest.fixture
def assignment(proposal, evaluator, make_assignment):
    return make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)


def _criteria(assignment):
    return {c.code: c for c in assignment.stage.criteria}


def _form(assignment, values: dict, button="save"):
    """Form data from {code: (score, comment)}; criteria left out are sent empty."""
    data = {"version_id": str(assignment.version_id), button: "1"}
    for code, criterion in _criteria(assignment).items():
        score, comment = values.get(code, ("", ""))
        data[f"score_{criterion.id}"] = str(score)
        data[f"comment_{criterion.id}"] = comment
    return data


def _all(score, comment=GOOD_COMMENT):
    return dict.fromkeys(("1.1", "1.2", "1.3", "1.4", "2.1", "2.2"), (score, comment))


def test_scoring_page_shows_proposal_content_and_grid(client, sign_in, assignment, evaluator, proposal):
    sign_in(client, evaluator)
    html = client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)
    assert proposal.summary in html
    assert "Relevance of the action" in html and "maximum 30" in html and "threshold 12" in html
    assert "1.1 Relevance to the objectives and priorities of the call" in html
    assert "At least 10 characters." in html
    assert '<option selected value="">—</option>' in html or '<option value="" selected>—</option>' in html
    for value in ("1", "2", "3", "4", "5"):
        assert f'<option value="{value}">{value}</option>' in html
    assert "Save draft" in html and "Submit review" in html
    assert f'name="version_id" type="hidden" value="{assignment.version_id}"' in html


def test_draft_saves_what_is_filled_then_submit_locks(client, sign_in, session, assignment, evaluator, outbox):
    sign_in(client, evaluator)
    url = f"/evaluation/assignments/{assignment.id}"
    version = assignment.version_id
    response = client.post(url, data=_form(assignment, {"1.1": ("4", "Strong fit with the call."), "2.1": ("3", "")}))
    assert response.status_code == 302 and response.location.endswith(url)
    session.expire_all()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.version_id == version + 1
    saved = {e.criterion.code: (e.score, e.comment) for e in assignment.scores}
    assert saved == {"1.1": (Decimal(4), "Strong fit with the call."), "2.1": (Decimal(3), "")}
    page = client.get(url).get_data(as_text=True)
    assert "Draft saved." in page
    assert "14 out of 50" in page  # 4×2 + 3×2, server-computed
    assert "8 out of 30" in page
    assert "Strong fit with the call." in page

    response = client.post(url, data=_form(assignment, _all("4"), button="submit_review"))
    assert response.status_code == 302 and response.location.endswith("/evaluation")
    session.expire_all()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.submitted_at is not None
    assert assignment.total() == Decimal(40)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action.in_(["review.saved", "review.submitted"])).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["review.saved", "review.submitted"]
    assert entries[1].after["scores"]["1.1"] == {"score": "4", "comment": GOOD_COMMENT}
    assert outbox == []

    # Locked: read-only page, and a further POST changes nothing.
    page = client.get(url).get_data(as_text=True)
    assert "It can no longer be changed." in page
    assert "<select" not in page and "Submit review" not in page
    response = client.post(url, data=_form(assignment, _all("1"), button="save"), follow_redirects=True)
    assert "This review has been submitted and can no longer be changed." in response.get_data(as_text=True)
    session.expire_all()
    assert assignment.total() == Decimal(40)


def test_submit_requires_every_score_and_long_enough_comments(client, sign_in, session, assignment, evaluator):
    sign_in(client, evaluator)
    values = _all("4")
    values["1.3"] = ("", GOOD_COMMENT)  # missing score
    values["2.2"] = ("5", "Too short")  # 9 characters
    response = client.post(
        f"/evaluation/assignments/{assignment.id}", data=_form(assignment, values, button="submit_review")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The review cannot be submitted: 2 problems need your attention." in html
    assert "Criterion 1.3: choose a score." in html
    assert "Criterion 2.2: the comment must be at least 10 characters long (it has 9)." in html
    # What was typed is kept.
    assert "Too short</textarea>" in html
    crit = _criteria(assignment)
    select_22 = html.split(f'name="score_{crit["2.2"].id}"')[1].split("</select>")[0]
    assert '<option selected value="5">5</option>' in select_22 or '<option value="5" selected>5</option>' in select_22
    session.expire_all()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.scores == []


def test_off_scale_and_non_numeric_values_are_refused_even_in_a_draft(client, sign_in, session, assignment, evaluator):
    sign_in(client, evaluator)
    url = f"/evaluation/assignments/{assignment.id}"
    response = client.post(url, data=_form(assignment, {"1.1": ("7", ""), "1.2": ("3.5", "")}))
    html = response.get_data(as_text=True)
    assert "Criterion 1.1: 7 is not on the scale (1 to 5 in steps of 1)." in html
    assert "Criterion 1.2: 3.5 is not on the scale (1 to 5 in steps of 1)." in html
    response = client.post(url, data=_form(assignment, {"1.4": ("lots", "")}))
    assert "Criterion 1.4: “lots” is not a score." in response.get_data(as_text=True)
    session.expire_all()
    assert assignment.scores == []


def test_stale_version_is_refused(client, sign_in, session, assignment, evaluator):
    sign_in(client, evaluator)
    url = f"/evaluation/assignments/{assignment.id}"
    stale = _form(assignment, {"1.1": ("2", "First window.")})
    assert client.post(url, data=_form(assignment, {"1.1": ("4", "Second window.")})).status_code == 302
    response = client.post(url, data=stale)
    assert response.status_code == 200
    assert "This review was saved from another window or tab since you opened it." in response.get_data(as_text=True)
    session.expire_all()
    assert [(e.score, e.comment) for e in assignment.scores] == [(Decimal(4), "Second window.")]


def test_save_scores_operation_rules(rq, session, assignment, evaluator, make_user):
    crit = _criteria(assignment)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.save_scores(assignment, {}, by=make_user("evaluator"), submit=False)
    assert str(exc.value.message) == "Only the assigned evaluator can score this proposal."

    with pytest.raises(operations.ReviewError) as exc:
        operations.save_scores(assignment, {crit["1.1"].id: (Decimal(0), "")}, by=evaluator, submit=False)
    assert [str(p.message) for p in exc.value.problems] == [
        "Criterion 1.1: 0 is not on the scale (1 to 5 in steps of 1)."
    ]

    scores = {c.id: (Decimal(3), GOOD_COMMENT) for c in crit.values()}
    operations.save_scores(assignment, scores, by=evaluator, submit=True, expected_version=assignment.version_id)
    assert assignment.status == AssignmentStatus.SUBMITTED and assignment.total() == Decimal(30)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.save_scores(assignment, scores, by=evaluator, submit=False)
    assert str(exc.value.message) == "This review has been submitted and can no longer be changed."


def test_pending_assignment_cannot_be_scored(rq, session, proposal, evaluator, make_assignment):
    pending = make_assignment(proposal, evaluator=evaluator)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.save_scores(pending, {}, by=evaluator, submit=False)
    assert str(exc.value.message) == "Declare whether you have a conflict of interest before scoring this proposal."
