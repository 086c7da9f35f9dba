"""The conflict-of-interest declaration: what the evaluator sees before it, and what each answer does."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation.models import AssignmentStatus
from portal.proposals.models import ProposalPartner


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_declaration_page_shows_consortium_but_never_the_content(
    client, sign_in, session, proposal, evaluator, make_assignment, make_org
):
    partner = make_org(legal_name="Réseau des Jeunes du Sahel", country="ML")
    session.add(ProposalPartner(proposal=proposal, organisation=partner, role="co_applicant"))
    session.commit()
    assignment = make_assignment(proposal, evaluator=evaluator)
    sign_in(client, evaluator)

    response = client.get(f"/evaluation/assignments/{assignment.id}/declaration")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert proposal.reference in html
    assert proposal.title in html
    assert proposal.call.title in html
    assert proposal.organisation.legal_name in html and "Senegal" in html
    assert "Réseau des Jeunes du Sahel" in html and "Mali" in html
    assert proposal.summary not in html
    assert "I have no conflict of interest with this proposal" in html


def test_pending_evaluator_cannot_open_the_proposal_or_the_scoring_page(
    client, sign_in, proposal, evaluator, make_assignment
):
    assignment = make_assignment(proposal, evaluator=evaluator)
    assert proposal.can_view(evaluator) is False
    sign_in(client, evaluator)
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    response = client.get(f"/evaluation/assignments/{assignment.id}")
    assert response.status_code == 302
    assert response.location.endswith(f"/evaluation/assignments/{assignment.id}/declaration")


def test_no_conflict_opens_the_proposal(client, sign_in, session, proposal, evaluator, make_assignment):
    assignment = make_assignment(proposal, evaluator=evaluator)
    sign_in(client, evaluator)
    response = client.post(
        f"/evaluation/assignments/{assignment.id}/declaration", data={"conflict": "no", "confidentiality": "y"}
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/evaluation/assignments/{assignment.id}")
    session.expire_all()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.declared_at is not None
    assert len(_audit(session, "assignment.declared_no_conflict")) == 1
    assert proposal.can_view(evaluator)
    page = client.get(response.location).get_data(as_text=True)
    assert proposal.summary in page
    # Declared already: the declaration page sends the evaluator on to scoring.
    again = client.get(f"/evaluation/assignments/{assignment.id}/declaration")
    assert again.status_code == 302 and again.location.endswith(f"/evaluation/assignments/{assignment.id}")


def test_conflict_removes_the_assignment_and_emails_every_manager(
    client, sign_in, session, proposal, evaluator, make_assignment, make_user, outbox
):
    managers = [make_user("manager"), make_user("manager")]
    make_user("admin")
    make_user("manager", active=False)
    assignment = make_assignment(proposal, evaluator=evaluator)
    sign_in(client, evaluator)
    response = client.post(
        f"/evaluation/assignments/{assignment.id}/declaration",
        data={"conflict": "yes", "reason": "I advised the lead applicant last year.", "confidentiality": "y"},
    )
    assert response.status_code == 302 and response.location.endswith("/evaluation")
    session.expire_all()
    assert assignment.status == AssignmentStatus.CONFLICT
    assert assignment.conflict_reason == "I advised the lead applicant last year."
    assert not assignment.is_active
    assert proposal.active_assignment_for(evaluator) is None
    entries = _audit(session, "assignment.conflict_declared")
    assert len(entries) == 1 and entries[0].after["conflict_reason"] == "I advised the lead applicant last year."
    assert sorted(m.to for m in outbox) == sorted(m.email for m in managers)
    assert all("I advised the lead applicant last year." in m.text for m in outbox)
    assert all(proposal.reference in m.subject for m in outbox)

    queue = client.get(response.location).get_data(as_text=True)
    assert f"Your conflict of interest with {proposal.reference} is recorded." in queue
    assert "Conflict declared" in queue
    # No way back into the proposal.
    assert client.get(f"/evaluation/assignments/{assignment.id}").status_code == 404
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    declare = client.get(f"/evaluation/assignments/{assignment.id}/declaration")
    assert declare.status_code == 302 and declare.location.endswith("/evaluation")


def test_conflict_needs_a_reason_and_confidentiality_is_required(
    client, sign_in, session, proposal, evaluator, make_assignment, outbox
):
    assignment = make_assignment(proposal, evaluator=evaluator)
    sign_in(client, evaluator)
    response = client.post(f"/evaluation/assignments/{assignment.id}/declaration", data={"conflict": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Describe the conflict of interest." in html
    assert "Confirm that you will keep the proposal and its evaluation confidential." in html
    assert proposal.summary not in html

    response = client.post(f"/evaluation/assignments/{assignment.id}/declaration", data={"confidentiality": "y"})
    assert "Say whether you have a conflict of interest." in response.get_data(as_text=True)
    session.expire_all()
    assert assignment.status == AssignmentStatus.PENDING
    assert outbox == []


def test_other_evaluators_get_404_and_other_roles_403(client, sign_in, proposal, evaluator, make_assignment, make_user):
    mine = make_assignment(proposal, evaluator=evaluator)
    in_progress = make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    assert client.get(f"/evaluation/assignments/{in_progress.id}/declaration").status_code == 404
    assert client.get(f"/evaluation/assignments/{in_progress.id}").status_code == 404
    assert client.post(f"/evaluation/assignments/{in_progress.id}", data={"save": "1"}).status_code == 404
    assert client.get("/evaluation/assignments/999999/declaration").status_code == 404

    other = make_user("evaluator")
    sign_in(client, other)
    assert client.get(f"/evaluation/assignments/{mine.id}/declaration").status_code == 404
    assert (
        client.post(
            f"/evaluation/assignments/{mine.id}/declaration", data={"conflict": "no", "confidentiality": "y"}
        ).status_code
        == 404
    )
    for role in ("manager", "applicant"):
        sign_in(client, make_user(role))
        assert client.get(f"/evaluation/assignments/{mine.id}/declaration").status_code == 403
        assert client.get(f"/evaluation/assignments/{mine.id}").status_code == 403


def test_queue_lists_only_own_assignments_with_next_step(
    client, sign_in, call, make_proposal, evaluator, make_assignment
):
    from portal.proposals.models import ProposalStatus

    pending = make_assignment(make_proposal(call, status=ProposalStatus.UNDER_REVIEW), evaluator=evaluator)
    scoring = make_assignment(
        make_proposal(call, status=ProposalStatus.UNDER_REVIEW), evaluator=evaluator, status="in_progress"
    )
    done = make_assignment(
        make_proposal(call, status=ProposalStatus.UNDER_REVIEW), evaluator=evaluator, status="submitted"
    )
    conflict = make_assignment(
        make_proposal(call, status=ProposalStatus.UNDER_REVIEW), evaluator=evaluator, status="conflict"
    )
    someone_elses = make_assignment(make_proposal(call, status=ProposalStatus.UNDER_REVIEW))

    sign_in(client, evaluator)
    html = client.get("/evaluation").get_data(as_text=True)
    for a in (pending, scoring, done, conflict):
        assert a.proposal.reference in html
    assert someone_elses.proposal.reference not in html
    assert f"/evaluation/assignments/{pending.id}/declaration" in html
    assert f'href="/evaluation/assignments/{scoring.id}"' in html
    assert f'href="/evaluation/assignments/{done.id}"' in html
    assert "Pending declaration" in html and "In progress" in html and "Submitted" in html
    assert "Conflict declared" in html
    assert f"/evaluation/assignments/{conflict.id}" not in html


def test_queue_shows_the_call_the_due_date_and_which_reviews_are_late(
    client, sign_in, session, call, make_proposal, evaluator, make_assignment
):
    import datetime as dt

    from portal.evaluation import pipeline
    from portal.proposals.models import ProposalStatus

    stage = pipeline.scoring_stages(call)[0]
    stage.due_on = dt.date.today() - dt.timedelta(days=2)
    made = {
        status: make_assignment(
            make_proposal(call, status=ProposalStatus.UNDER_REVIEW), evaluator=evaluator, status=status
        )
        for status in ("pending", "in_progress", "submitted", "conflict")
    }
    session.commit()
    sign_in(client, evaluator)
    html = client.get("/evaluation").get_data(as_text=True)
    assert f"{call.reference} · {call.title}" in html
    rows = {
        status: re.search(rf"<tr>\s*<td>{a.proposal.reference}</td>.*?</tr>", html, re.S).group(0)
        for status, a in made.items()
    }
    assert "Late" in rows["pending"] and "Late" in rows["in_progress"]
    assert "Late" not in rows["submitted"] and "Late" not in rows["conflict"]
    assert all(f"{stage.due_on.year}" in row for row in rows.values())


def test_queue_shows_the_calls_title_in_the_readers_language(client, sign_in, session, call, make_proposal, evaluator):
    from portal.evaluation.models import Assignment
    from portal.proposals.models import ProposalStatus

    call.language = "en"
    call.translations = {"fr": {"title": "Appel de test en français"}}
    proposal = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
    from portal.evaluation import pipeline

    stage = pipeline.scoring_stages(call)[0]
    session.add(Assignment(stage=stage, proposal=proposal, evaluator=evaluator, status="in_progress"))
    session.commit()
    sign_in(client, evaluator)
    assert f"{call.reference} · {call.title}" in client.get("/evaluation").get_data(as_text=True)
    evaluator.locale = "fr"
    session.commit()
    with client.session_transaction() as browser:
        browser["locale"] = "fr"
    assert f"{call.reference} · Appel de test en français" in client.get("/evaluation").get_data(as_text=True)
