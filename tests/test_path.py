"""The whole path of the foundation, through the pages, as the people who use the portal walk it:
a manager creates and publishes a call; an applicant registers, creates an organisation, drafts, fixes and submits
a proposal; two evaluators declare no conflict and score it; the manager ranks and awards it; the award letter is
rendered and only the lead applicant and the managers can download it. Every state change is audited."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pyotp
from pypdf import PdfReader
from sqlalchemy import select

from portal.calls.models import Call, Dialogue, JvapDomain
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.documents.models import Document
from portal.evaluation.models import Criterion
from portal.grants.models import Grant
from portal.proposals.models import Proposal
from portal.proposals.sections import section_row, section_version
from tests.factories import PASSWORD
from tests.proposals.filling import budget_posts, form_posts


def sign_in(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"could not sign in as {email}"
    if client.get("/").headers.get("Location") == "/account/two-factor":  # staff: two-factor set-up comes first
        page = client.get("/account/two-factor").get_data(as_text=True)
        secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
        assert client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_call_to_award_letter(app, session, make_user, outbox):
    manager = make_user("manager", email="manager@facility.example")
    evaluators = [make_user("evaluator", email=f"expert{i}@experts.example") for i in (1, 2)]
    bystander = make_user("applicant", email="someone@else.example")

    # 1. The manager creates a call with the concept-note grid, and publishes it.
    staff = sign_in(app, manager.email)
    dialogues = session.scalars(select(Dialogue.id).where(Dialogue.code.in_(["rabat", "khartoum"]))).all()
    domains = session.scalars(select(JvapDomain.id).where(JvapDomain.number.in_([1, 2]))).all()
    opens = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = staff.post(
        "/manage/calls/new",
        data={
            "reference": "CFP-2026-PATH",
            "title": "Diaspora engagement for development",
            "description": "Initiatives feeding the Rabat and Khartoum processes.",
            "budget_envelope": "1000000",
            "min_grant": "50000",
            "max_grant": "200000",
            "dialogues": [str(i) for i in dialogues],
            "domains": [str(i) for i in domains],
            "countries": ["SN", "ML", "NE"],
            "opens_at": opens,
            "closes_at": "2099-03-15T12:00",
            "timezone": "Europe/Brussels",
        },
    )
    assert response.status_code == 302, text(response)
    call = session.scalar(select(Call).where(Call.reference == "CFP-2026-PATH"))
    assert call.status == "draft"
    assert [c.code for c in call.stages[0].criteria] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2"]
    assert call.stages[0].max_total == 50
    assert staff.post(f"/manage/calls/{call.id}/publish").status_code == 302
    session.expire_all()
    assert call.status == "published"
    assert "Diaspora engagement for development" in text(app.test_client().get("/calls"))

    # 2. An applicant registers, confirms her address from the e-mail, signs in, creates her organisation, drafts,
    # fixes what validation reports, submits.
    registration = app.test_client()
    response = registration.post(
        "/register",
        data={
            "email": "amina@ngo.example",
            "full_name": "Amina Diallo",
            "password": "a-long-enough-password",
            "confirm": "a-long-enough-password",
        },
    )
    assert response.headers["Location"] == "/register/check-inbox"
    confirm = re.search(r"https?://\S+(/register/confirm/\S+)", outbox[-1].text).group(1)
    assert registration.post(confirm).headers["Location"] == "/login"
    applicant = sign_in(app, "amina@ngo.example", "a-long-enough-password")
    response = applicant.post(
        "/organisations/new",
        data={
            "legal_name": "Association Dakar Diaspora",
            "acronym": "ADD",
            "type": "diaspora",
            "country": "SN",
            "registration_number": "SN-2019-123",
            "website": "https://add.example.org",
        },
    )
    assert response.status_code == 302
    assert "Diaspora engagement for development" in text(applicant.get("/proposals"))
    response = applicant.post(f"/calls/{call.id}/apply", data={"title": "Diaspora investment in Sahel towns"})
    assert response.status_code == 302
    proposal = session.scalar(select(Proposal).where(Proposal.call_id == call.id))

    # The form, section by section, as the browser posts it (each save carries the section's version).
    def save(key, data):
        session.expire_all()
        version = section_version(proposal, key)
        response = applicant.post(f"/proposals/{proposal.id}/sections/{key}", data={"version": version, **data})
        assert response.status_code == 302, (key, text(response)[:2000])

    posts = form_posts(proposal)
    for key in ("identification", "summary", "relevance", "logframe", "countries", "target_groups", "risks"):
        save(key, posts[key])
    uid = section_row(proposal, "logframe").data["activities"][0]["uid"]
    save("workplan", {"plan": [f"{uid}:1", f"{uid}:2"]})
    save("sustainability", posts["sustainability"])
    # The check lists what is missing, with a link to it.
    check = text(applicant.get(f"/proposals/{proposal.id}/check"))
    assert f"/proposals/{proposal.id}/sections/declarations#accurate" in check
    save("declarations", posts["declarations"])

    # The budget page: the requested amount is the total less the co-financing.
    def save_budget(requested):
        session.expire_all()
        data = {"version": section_version(proposal, "budget"), **budget_posts(requested)}
        response = applicant.post(f"/proposals/{proposal.id}/budget", data=data)
        assert response.status_code == 302, text(response)[:2000]

    save_budget(Decimal("250000.00"))  # above the call's maximum: reported at submission
    response = applicant.post(f"/proposals/{proposal.id}/submit", follow_redirects=True)
    assert "The requested amount €250,000.00 is above the call's maximum of €200,000.00." in text(response)
    session.expire_all()
    assert proposal.status == "draft"
    save_budget(Decimal("150000.00"))
    session.expire_all()
    assert proposal.requested_amount == Decimal("150000.00")
    response = applicant.post(f"/proposals/{proposal.id}/submit")
    assert response.status_code == 302
    session.expire_all()
    assert proposal.status == "submitted"
    assert len(proposal.snapshots) == 1 and len(proposal.snapshots[0].sha256) == 64
    assert any(m.to == "amina@ngo.example" and proposal.reference in m.text for m in outbox)
    # Submitted means read-only to the applicant.
    response = applicant.post(f"/proposals/{proposal.id}/sections/summary", data={"version": 1, "summary": "Late"})
    assert response.status_code == 403
    # After the closing instant the server refuses a submission, whatever the page said.
    late = applicant.post(f"/calls/{call.id}/apply", data={"title": "A second idea"})
    assert late.status_code == 302
    second = session.scalar(select(Proposal).where(Proposal.title == "A second idea"))
    call.closes_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    refused = text(applicant.post(f"/proposals/{second.id}/submit", follow_redirects=True))
    assert "submissions are no longer accepted" in refused
    session.expire_all()
    assert second.status == "draft"

    # 3. The evaluators sign the confidentiality and impartiality declaration (needed before any assignment); the
    # manager assigns them; each declares no conflict, then scores every criterion and submits.
    for evaluator in evaluators:
        signed = sign_in(app, evaluator.email).post(
            "/evaluation/confidentiality-and-impartiality", data={"confidentiality": "y", "impartiality": "y"}
        )
        assert signed.status_code == 302, text(signed)
    for evaluator in evaluators:
        response = staff.post(
            f"/manage/calls/{call.id}/assignments",
            data={"proposal_id": proposal.id, f"p{proposal.id}-evaluator_id": evaluator.id},
        )
        assert response.status_code == 302, text(response)
    session.expire_all()
    assert proposal.status == "under_review"
    criteria = session.scalars(select(Criterion).where(Criterion.stage_id == call.stages[0].id)).all()
    for evaluator, score in zip(evaluators, ("4", "3"), strict=True):
        expert = sign_in(app, evaluator.email)
        assignment = next(a for a in proposal.assignments if a.evaluator_id == evaluator.id)
        # Nothing of the proposal's content before the declaration.
        assert expert.get(f"/proposals/{proposal.id}").status_code == 404
        assert "three towns" not in text(expert.get(f"/evaluation/assignments/{assignment.id}/declaration"))
        response = expert.post(
            f"/evaluation/assignments/{assignment.id}/declaration", data={"conflict": "no", "confidentiality": "y"}
        )
        assert response.status_code == 302
        assert "three towns" in text(expert.get(f"/evaluation/assignments/{assignment.id}"))
        session.expire_all()
        form = {"version_id": str(assignment.version_id), "submit_review": "1"}
        for criterion in criteria:
            form[f"score_{criterion.id}"] = score
            form[f"comment_{criterion.id}"] = f"Assessment of criterion {criterion.code}: convincing."
        assert expert.post(f"/evaluation/assignments/{assignment.id}", data=form).status_code == 302
    session.expire_all()
    assert all(a.status == "submitted" for a in proposal.assignments)

    # 4. The manager sees the scores per evaluator and the mean, the ranking and the thresholds, and awards.
    ranking = text(staff.get(f"/manage/calls/{call.id}/ranking"))
    assert proposal.reference in ranking
    assert f"{evaluators[0].full_name}: 40" in ranking and f"{evaluators[1].full_name}: 30" in ranking
    assert "35.00" in ranking and "Passes every threshold" in ranking
    response = staff.post(
        f"/manage/proposals/{proposal.id}/decision",
        data={
            "outcome": "award",
            "reason": "Ranked first and within the envelope.",
            "amount": "150000.00",
            "start_date": "2027-01-01",
            "end_date": "2028-12-31",
        },
    )
    assert response.status_code == 302, text(response)
    session.expire_all()
    assert proposal.status == "awarded"
    grant = session.scalar(select(Grant).where(Grant.proposal_id == proposal.id))
    assert grant.agreement_number == "CFP-2026-PATH-G01"
    assert grant.countries == ["ML", "SN"]

    # 5. The award letter was rendered by the Celery task (in-process here; through a real worker under CI).
    letter = session.scalar(select(Document).where(Document.grant_id == grant.id))
    assert letter.status == "ready", letter.error
    lead = sign_in(app, "amina@ngo.example", "a-long-enough-password")
    page = text(lead.get(f"/grants/{grant.id}"))
    assert grant.agreement_number in page
    download = lead.get(f"/documents/{letter.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.data)).pages)
    flat = re.sub(r"\s+", " ", pdf_text)
    assert grant.agreement_number in flat
    assert "Association Dakar Diaspora" in flat
    assert "150,000.00" in flat
    assert letter.verification_code in flat
    assert staff.get(f"/documents/{letter.id}/download").status_code == 200
    outsider = sign_in(app, bystander.email)
    assert outsider.get(f"/documents/{letter.id}/download").status_code == 404
    assert sign_in(app, evaluators[0].email).get(f"/documents/{letter.id}/download").status_code == 404
    verified = text(app.test_client().get(f"/verify/{letter.verification_code}"))
    assert letter.sha256 in verified

    # 6. Every state change above is in the audit log, with who did it.
    actions = set(session.scalars(select(AuditEntry.action)).all())
    for expected in (
        "call.created",
        "call.published",
        "user.register",
        "user.email_confirm",
        "organisation.create",
        "proposal.created",
        "proposal.submitted",
        "assignment.created",
        "assignment.declared_no_conflict",
        "review.submitted",
        "proposal.under_review",
        "decision.recorded",
        "proposal.awarded",
        "grant.created",
        "document.requested",
    ):
        assert expected in actions, f"no audit entry {expected}"
    submitted = session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.submitted"))
    assert submitted.actor_email == "amina@ngo.example"
    assert submitted.before == {"status": "draft"} and submitted.after["status"] == "submitted"
