"""The committee's ranked list as a generated document: asked for from the committee page, rendered by the Celery task
(eagerly here; tests/evaluation/test_ranked_list_worker.py runs the real worker), versioned when the ranking changes,
verifiable at /verify/<code>, listed on the jobs page, readable by staff only."""

from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.documents import rankings
from portal.documents.models import Document
from portal.evaluation import pipeline
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES


def squeezed(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(text.split())  # table cells wrap: compare without white space


@pytest.fixture
def ranked(session, call, make_proposal, make_org, make_user, review):
    first = make_proposal(
        call,
        organisation=make_org(legal_name="Sahel Diaspora Network", members=[make_user("applicant")]),
        status=ProposalStatus.UNDER_REVIEW,
        requested_amount=Decimal("150000.00"),
    )
    review(first, ALL_FOURS, evaluator=make_user("evaluator", full_name="Ines Evaluator"))
    review(first, ALL_FOURS)
    second = make_proposal(
        call,
        organisation=make_org(legal_name="Kayes Cooperative Union", members=[make_user("applicant")]),
        status=ProposalStatus.UNDER_REVIEW,
        requested_amount=Decimal("100000.00"),
    )
    review(second, ALL_THREES)
    review(second, ALL_THREES)
    session.commit()
    return first, second


def _ask(client, call, **extra):
    stage = pipeline.scoring_stages(call)[-1]
    return client.post(f"/manage/calls/{call.id}/committee/ranked-list", data={"stage_id": stage.id, **extra})


def _versions(session, call) -> list[Document]:
    session.expire_all()
    return list(session.scalars(db.select(Document).where(Document.call_id == call.id).order_by(Document.version)))


def test_a_manager_asks_for_the_ranked_list_and_gets_a_verifiable_pdf(client, sign_in, session, call, ranked, manager):
    first, second = ranked
    sign_in(client, manager)
    response = _ask(client, call)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/manage/calls/{call.id}/committee?stage_id={pipeline.scoring_stages(call)[-1].id}"
    )
    page = client.get(response.headers["Location"]).text
    assert "Version 1 of the ranked list is being prepared" in page

    [document] = _versions(session, call)
    assert document.kind == "committee_ranking" and document.status == "ready", document.error
    assert document.attempts == 1 and document.language == "en"
    text = squeezed(storage.get(document.storage_key))
    for expected in (first.reference, second.reference, "Sahel Diaspora Network", "Ines Evaluator: 40"):
        assert "".join(expected.split()) in text
    assert text.index(first.reference) < text.index(second.reference)
    assert document.verification_code in text and f"/verify/{document.verification_code}" in text
    assert "Rankedlistoftheevaluationcommittee" in text and "Page1of1" in text

    # The committee page lists it with its download; the download is the stored file.
    page = client.get(f"/manage/calls/{call.id}/committee").text
    assert f"/documents/{document.id}/download" in page and document.verification_code in page
    download = client.get(f"/documents/{document.id}/download")
    assert download.status_code == 200 and download.data == storage.get(document.storage_key)
    assert (
        download.headers["Content-Disposition"].startswith("attachment")
        and "ranked-list-" in download.headers["Content-Disposition"]
    )

    # The public verification page confirms it, naming the call and nothing of the ranking.
    client.get("/logout")
    verify = client.get(f"/verify/{document.verification_code}")
    assert verify.status_code == 200
    assert "Ranked list of the evaluation committee" in verify.text and call.reference in verify.text
    assert document.sha256 in verify.text and "Sahel Diaspora Network" not in verify.text
    assert (
        session.scalars(
            db.select(AuditEntry).where(
                AuditEntry.action == "document.requested", AuditEntry.object_id == str(document.id)
            )
        )
        .one()
        .actor_id
        == manager.id
    )


def test_asking_again_makes_a_new_version_only_when_the_ranking_changed(
    client, sign_in, session, call, ranked, manager, review
):
    _first, second = ranked
    sign_in(client, manager)
    _ask(client, call)
    response = _ask(client, call)
    assert "The ranking has not changed since version 1" in client.get(response.headers["Location"]).text
    assert [d.version for d in _versions(session, call)] == [1]

    # A third review changes the second proposal's mean: the list must be issued again.
    review(second, ALL_FOURS)
    session.commit()
    response = _ask(client, call)
    assert "Version 2 of the ranked list is being prepared" in client.get(response.headers["Location"]).text
    old, new = _versions(session, call)
    assert (old.version, new.version) == (1, 2)
    assert old.superseded_at is not None and new.superseded_at is None and new.status == "ready"
    assert old.source_digest != new.source_digest
    # The old version stays downloadable, marked superseded on the committee page and on its verification page.
    assert client.get(f"/documents/{old.id}/download").status_code == 200
    page = client.get(f"/manage/calls/{call.id}/committee").text
    assert "Superseded" in page
    verify = client.get(f"/verify/{old.verification_code}").text
    assert "replaced by a later version (version 2)" in verify


def test_the_old_pdf_link_leads_to_the_current_version_or_to_the_committee_page(
    client, sign_in, session, call, ranked, manager
):
    sign_in(client, manager)
    response = client.get(f"/manage/calls/{call.id}/committee.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/manage/calls/{call.id}/committee?stage_id={pipeline.scoring_stages(call)[-1].id}"
    )
    assert "ask for an up-to-date version below" in client.get(response.headers["Location"]).text
    _ask(client, call)
    [document] = _versions(session, call)
    response = client.get(f"/manage/calls/{call.id}/committee.pdf")
    assert response.headers["Location"].endswith(f"/documents/{document.id}/download")


def test_only_staff_may_read_or_ask_for_the_ranked_list(
    client, sign_in, session, call, ranked, manager, admin, evaluator, make_user
):
    first, _second = ranked
    sign_in(client, manager)
    _ask(client, call)
    [document] = _versions(session, call)
    for user in (first.created_by, evaluator, make_user("applicant")):
        sign_in(client, user)
        assert client.get(f"/documents/{document.id}/download").status_code == 404  # not even known to exist
        assert _ask(client, call).status_code == 403
    sign_in(client, admin)
    assert client.get(f"/documents/{document.id}/download").status_code == 200


def test_a_failed_render_shows_its_reason_and_is_retried_from_the_committee_page(
    client, sign_in, session, call, ranked, manager, monkeypatch
):
    def broken(document):
        raise RuntimeError("WeasyPrint ran out of table")

    monkeypatch.setattr(rankings, "render_ranked_list_pdf", broken)
    sign_in(client, manager)
    _ask(client, call)
    [document] = _versions(session, call)
    assert document.status == "failed" and document.error == "WeasyPrint ran out of table"
    page = client.get(f"/manage/calls/{call.id}/committee").text
    assert "WeasyPrint ran out of table" in page and f"/documents/{document.id}/retry" in page
    jobs = html.unescape(client.get("/manage/jobs").text)  # as the manager reads it (an apostrophe is escaped)
    assert "Committee's ranked list · v1" in jobs and f'#ranked-list">{call.reference}<' in jobs

    # Asking again for the same (unchanged) ranking after a failure makes a new version, not "unchanged".
    monkeypatch.undo()
    response = client.post(f"/documents/{document.id}/retry")
    assert f"/manage/calls/{call.id}/committee" in response.headers["Location"]
    assert "The ranked list is queued again" in client.get(response.headers["Location"]).text
    [document] = _versions(session, call)
    assert document.status == "ready" and document.error is None


def test_a_call_without_committee_stage_gets_a_clear_refusal(client, sign_in, session, make_call, manager):
    two_stage = make_call(procedure="two_stage")
    session.commit()
    sign_in(client, manager)
    stage = pipeline.scoring_stages(two_stage)[0]
    response = client.post(
        f"/manage/calls/{two_stage.id}/committee/ranked-list", data={"stage_id": stage.id}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "The committee decides on full applications" in response.text
    assert _versions(session, two_stage) == []


def test_the_ranked_list_in_french(client, sign_in, session, call, ranked, manager):
    manager.locale = "fr"
    session.commit()
    sign_in(client, manager)
    client.post(
        f"/manage/calls/{call.id}/committee/ranked-list",
        data={"stage_id": pipeline.scoring_stages(call)[-1].id},
        headers={"Accept-Language": "fr"},
    )
    [document] = _versions(session, call)
    assert document.language == "fr"
    text = squeezed(storage.get(document.storage_key))
    assert "Listeclasséeducomitéd’évaluation" in text and "Page1sur1" in text
    assert "Confidentiel" in text and "Verify" not in text


def test_running_the_render_task_again_changes_nothing(client, sign_in, session, call, ranked, manager):
    from portal.documents import tasks

    sign_in(client, manager)
    _ask(client, call)
    [document] = _versions(session, call)
    before = (document.sha256, document.storage_key, document.attempts, document.rendered_at)
    assert tasks.task_for("committee_ranking").apply(args=[document.id]).get() == "ready"
    [document] = _versions(session, call)
    assert (document.sha256, document.storage_key, document.attempts, document.rendered_at) == before


def test_two_managers_asking_at_the_same_moment_get_a_message_not_an_error(
    client, sign_in, session, call, ranked, manager, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    sign_in(client, manager)

    def clash():  # the other manager's version 1 was committed first: the unique (call, stage, version) refuses ours
        raise IntegrityError("INSERT INTO documents", {}, Exception("duplicate key value"))

    monkeypatch.setattr(db.session, "commit", clash)
    response = _ask(client, call)
    monkeypatch.undo()
    assert response.status_code == 302
    assert "Another manager has just asked for the ranked list" in client.get(response.headers["Location"]).text


def test_a_version_on_its_way_is_shown_as_such(client, sign_in, session, call, ranked, manager, monkeypatch):
    from portal.core import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # the worker has not taken it yet
    sign_in(client, manager)
    page = client.get(
        client.post(
            f"/manage/calls/{call.id}/committee/ranked-list", data={"stage_id": pipeline.scoring_stages(call)[-1].id}
        ).headers["Location"]
    ).text
    assert "A version is being prepared: reload the page in a moment to download it." in page
    assert "Queued" in page and "/download" not in page.split('id="ranked-list"')[1].split("</section>")[0]
