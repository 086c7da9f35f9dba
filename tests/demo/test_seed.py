"""The demo facility loaded by `flask seed-demo`: its accounts, its three calls and the first call's portfolio
(8 grants, 25 African countries, 29 implementing organisations), and a second run that changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.calls.models import Call, CallCountry
from portal.core.audit import AuditEntry
from portal.core.countries import AFRICAN_UNION, EUROPEAN_UNION
from portal.demo.seed import seed
from portal.documents.models import Document, DocumentStatus
from portal.evaluation.models import Assignment, AssignmentStatus, Criterion, Decision, EvaluationStage, ScoreEntry
from portal.evaluation.queries import ranking
from portal.grants.models import Grant, GrantCountry, GrantOrganisation
from portal.organisations.models import Membership, Organisation
from portal.proposals.budget import budget_problems
from portal.proposals.models import Proposal, ProposalCountry, ProposalPartner, ProposalSnapshot, ProposalStatus
from portal.proposals.operations import fingerprint, validate_for_submission

DEMO_ROLES = {
    "admin@demo.example": "admin",
    "manager@demo.example": "manager",
    "evaluator@demo.example": "evaluator",
    "applicant@demo.example": "applicant",
}
COUNTED = (
    User,
    Organisation,
    Membership,
    Call,
    CallCountry,
    EvaluationStage,
    Criterion,
    Proposal,
    ProposalCountry,
    ProposalPartner,
    ProposalSnapshot,
    Assignment,
    ScoreEntry,
    Decision,
    Grant,
    GrantOrganisation,
    GrantCountry,
    Document,
    AuditEntry,
)


def counts(session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def call(session, reference: str) -> Call:
    return session.scalar(select(Call).where(Call.reference == reference))


def test_no_demo_account_exists_before_seeding(session):
    demo_users = session.scalar(select(func.count(User.id)).where(User.email.like("%demo.example")))
    assert demo_users == 0
    assert session.scalar(select(func.count(Call.id)).where(Call.reference.like("MMD-GF-%"))) == 0


def test_seed_loads_the_demo_facility(session):
    result = seed()
    assert result.changed
    session.expire_all()

    # -- the four demo logins, with their roles and the published password --
    for email, role in DEMO_ROLES.items():
        account = user(session, email)
        assert account is not None, email
        assert account.role == role
        assert account.active
        assert account.check_password("demo-pass-2026")
        assert not account.check_password("demo-pass-2025")
    applicant = user(session, "applicant@demo.example")
    (roamd,) = applicant.organisations
    assert roamd.acronym == "ROAMD" and roamd.country == "SN"
    # enough evaluators for two reviews per proposal, and a contact person for every other organisation
    evaluators = session.scalar(select(func.count(User.id)).where(User.role == "evaluator"))
    assert evaluators >= 4
    contact = user(session, "contact@hamo.demo.example")
    assert contact.check_password("demo-pass-2026")
    assert [o.acronym for o in contact.organisations] == ["HAMO"]
    assert all(o.website.endswith(".example") for o in session.scalars(select(Organisation)))

    # -- the first call: decided, 8 grants across 25 African countries by 29 implementing organisations --
    closed = call(session, "MMD-GF-2025-01")
    assert closed.status == "decided"
    assert closed.is_closed()
    assert closed.opens_at.year == closed.closes_at.year == 2025
    assert closed.budget_envelope == Decimal("2400000.00")
    assert {d.code for d in closed.dialogues} == {"rabat", "khartoum", "jvap", "c2cmmd"}
    assert set(closed.countries) == set(AFRICAN_UNION | EUROPEAN_UNION)
    grants = session.scalars(select(Grant).where(Grant.call_id == closed.id).order_by(Grant.agreement_number)).all()
    assert len(grants) == 8
    assert [g.agreement_number for g in grants] == [f"MMD-GF-2025-01-G{n:02d}" for n in range(1, 9)]
    countries = session.scalars(
        select(GrantCountry.country_code).join(Grant).where(Grant.call_id == closed.id).distinct()
    ).all()
    assert len(countries) == 25
    assert set(countries) <= AFRICAN_UNION
    implementing = session.scalar(
        select(func.count(func.distinct(GrantOrganisation.organisation_id)))
        .join(Grant)
        .where(Grant.call_id == closed.id, GrantOrganisation.role.in_(("lead", "co_beneficiary")))
    )
    assert implementing == 29
    assert sum(g.amount for g in grants) < closed.budget_envelope
    for grant in grants:
        assert closed.min_grant <= grant.amount <= closed.max_grant
        assert grant.status in ("active", "contracting")
        assert grant.start_date.year >= 2025 and grant.end_date.year <= 2028
        assert sum(row.share_pct for row in grant.country_rows) == 100
        funded = [row for row in grant.organisations if row.role in ("lead", "co_beneficiary")]
        assert sum(row.budget_share for row in funded) == grant.amount
        assert [row.organisation_id for row in grant.organisations if row.role == "lead"] == [
            grant.lead_organisation_id
        ]
        assert grant.proposal.status == ProposalStatus.AWARDED
        assert grant.title == grant.proposal.title and grant.amount == grant.proposal.requested_amount
        letter = grant.current_letter
        assert letter is not None and letter.status == DocumentStatus.READY and letter.sha256
    # partnerships: South–North (an EU member implements) and South–South (only African implementers)
    implementer_countries = [
        {row.organisation.country for row in g.organisations if row.role != "associated"} for g in grants
    ]
    assert any(c & EUROPEAN_UNION for c in implementer_countries)
    assert any(c <= AFRICAN_UNION and len(c) > 1 for c in implementer_countries)
    lead_countries = [g.lead_organisation.country for g in grants]
    assert sum(c in AFRICAN_UNION for c in lead_countries) > sum(c in EUROPEAN_UNION for c in lead_countries) > 0
    assert roamd.id in {g.lead_organisation_id for g in grants}

    # every decided proposal: 2 submitted reviews scoring every criterion, a snapshot, a decision that agrees with
    # the ranking (awarded = above the thresholds and within the envelope)
    stage = closed.concept_note_stage
    rows = {row.proposal.id: row for row in ranking(closed)}
    proposals = session.scalars(select(Proposal).where(Proposal.call_id == closed.id)).all()
    assert {p.status for p in proposals} == {"awarded", "reserve", "rejected"}
    assert sum(p.status == "rejected" for p in proposals) >= 3
    evaluator = user(session, "evaluator@demo.example")
    assert any(a.evaluator_id == evaluator.id for p in proposals for a in p.assignments)
    for proposal in proposals:
        reviews = [a for a in proposal.assignments if a.status == AssignmentStatus.SUBMITTED]
        assert len(reviews) == 2 and len({a.evaluator_id for a in reviews}) == 2
        for review in reviews:
            assert {s.criterion_id for s in review.scores} == {c.id for c in stage.criteria}
            assert all(1 <= s.score <= 5 and len(s.comment) >= stage.min_comment_length for s in review.scores)
            assert review.declared_at < review.submitted_at
        (snapshot,) = proposal.snapshots
        assert snapshot.sha256 == fingerprint(snapshot.data)
        assert snapshot.data["reference"] == proposal.reference and snapshot.data["status"] == "submitted"
        assert proposal.submitted_at < closed.closes_at
        assert proposal.updated_at.year == 2025  # last changed by the decision, not by the seed run
        row = rows[proposal.id]
        assert proposal.decision.final_score == row.final_total
        assert proposal.decision.reason
        if proposal.status == "awarded":
            assert proposal.decision.outcome == "award"
            assert row.passes and row.within_envelope
            assert row.sections[0].mean >= 12 and row.mean_total >= 30
        elif proposal.status == "reserve":
            assert proposal.decision.outcome == "reserve"
            assert row.passes and not row.within_envelope
        else:
            assert proposal.decision.outcome == "reject"
            assert not (row.passes and row.within_envelope)
    assert any(not rows[p.id].passes for p in proposals if p.status == "rejected")
    # the grants are numbered in the committee's order
    assert [rows[g.proposal_id].rank for g in grants] == sorted(rows[g.proposal_id].rank for g in grants)

    # -- the second call: closed, under evaluation; evaluator@ has a review in every state --
    evaluation = call(session, "MMD-GF-2026-01")
    assert evaluation.status == "evaluation" and evaluation.is_closed()
    under_review = session.scalars(select(Proposal).where(Proposal.call_id == evaluation.id)).all()
    assert len(under_review) == 4 and {p.status for p in under_review} == {"under_review"}
    mine = session.scalars(
        select(Assignment)
        .join(Proposal)
        .where(Proposal.call_id == evaluation.id, Assignment.evaluator_id == evaluator.id)
    ).all()
    by_status = {a.status: a for a in mine}
    assert set(by_status) == {"pending", "in_progress", "submitted"}
    assert by_status["pending"].scores == [] and by_status["pending"].declared_at is None
    draft_scores = [s.score for s in by_status["in_progress"].scores]
    assert any(s is None for s in draft_scores) and any(s is not None for s in draft_scores)
    assert by_status["in_progress"].total() is None
    ready = [r for r in ranking(evaluation) if r.reviews_complete and r.proposal.decision is None]
    assert ready, "at least one proposal must be ready for the manager's decision"
    assert all(p.decision is None and p.grant is None for p in under_review)

    # -- the third call: open, two stages, with consortium concept notes in every state an applicant meets --
    open_call = call(session, "MMD-GF-2026-02")
    assert open_call.is_open() and open_call.is_two_stage
    assert open_call.language == "en" and open_call.translations["fr"]["title"].startswith("Mobilité liée au climat")
    assert open_call.closes_at.astimezone(open_call.zone).hour == 12
    assert open_call.full_application_closes_at > open_call.closes_at
    assert open_call.min_duration_months == 12 and open_call.max_duration_months == 30
    assert open_call.min_co_applicants == 1 and open_call.require_african_member
    assert open_call.eu_lead_needs_african_co_applicant
    assert set(open_call.countries) == AFRICAN_UNION
    assert set(open_call.lead_countries) == AFRICAN_UNION | EUROPEAN_UNION
    assert {d.kind for d in open_call.documents} == {"guidelines", "annex"}
    assert {d.language for d in open_call.documents} == {"en", "fr"}
    assert {r.stage for r in open_call.attachment_requirements} == {"any", "concept_note", "full_application"}
    published = [q for q in open_call.questions if q.status == "published"]
    assert len(published) == 3 and all(q.published_at and q.answer and q.published_question for q in published)
    assert any(q.status == "pending" for q in open_call.questions)

    open_proposals = session.scalars(select(Proposal).where(Proposal.call_id == open_call.id)).all()
    assert {p.stage for p in open_proposals} == {"concept_note"}
    assert {p.status for p in open_proposals} == {"draft", "submitted", "withdrawn"}
    assert len({p.organisation_id for p in open_proposals}) >= 4
    partner_states = {pp.status for p in open_proposals for pp in p.partners}
    assert partner_states == {"invited", "accepted", "declined"}
    assert any(pp.organisation_id is None and pp.invited_email for p in open_proposals for pp in p.partners)
    ours = {p.status: p for p in open_proposals if p.organisation_id == roamd.id}
    assert set(ours) == {"draft", "submitted"}
    # The demo applicant's draft is begun and waits on a co-applicant's answer.
    draft_problems = " ".join(m for _f, m in validate_for_submission(ours["draft"]))
    assert "has not yet accepted the invitation" in draft_problems and "The budget has no lines." in draft_problems
    (snapshot,) = ours["submitted"].snapshots
    assert snapshot.sha256 == fingerprint(snapshot.data)
    assert {pp.role for pp in ours["submitted"].partners} == {"co_applicant", "associated"}
    for proposal in open_proposals:
        if proposal.status in ("submitted", "withdrawn"):
            assert proposal.snapshots and all(s.sha256 == fingerprint(s.data) for s in proposal.snapshots)
            assert open_call.opens_at < proposal.submitted_at < open_call.closes_at
            assert open_call.min_grant <= proposal.requested_amount <= open_call.max_grant
            assert {a.requirement.kind for a in proposal.attachments} >= {"statutes", "registration"}
            assert all(pp.status == "accepted" for pp in proposal.partners)
            assert budget_problems(proposal) == []
    resubmitted = next(p for p in open_proposals if len(p.snapshots) == 2)
    assert resubmitted.status == "submitted" and resubmitted.snapshots[0].sha256 != resubmitted.snapshots[1].sha256
    withdrawn = next(p for p in open_proposals if p.status == "withdrawn")
    assert withdrawn.withdrawn_at is not None
    declined = next(p for p in open_proposals if any(pp.status == "declined" for pp in p.partners))
    assert declined.status == "draft"
    assert any("declined the invitation" in m for _f, m in validate_for_submission(declined))
    receipts = session.scalars(select(Document).where(Document.kind == "submission_receipt")).all()
    assert len(receipts) == sum(len(p.snapshots) for p in open_proposals)

    # -- one audit entry for the whole load --
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "demo.seeded")).all()
    assert len(entries) == 1 and entries[0].after["grants"] == 8


def test_a_second_run_changes_nothing_and_keeps_what_demo_users_did(app, session):
    seed()
    session.expire_all()
    # the evaluator declares no conflict on the pending review while trying the demo
    evaluator = user(session, "evaluator@demo.example")
    pending = session.scalar(
        select(Assignment).where(Assignment.evaluator_id == evaluator.id, Assignment.status == "pending")
    )
    pending.status = AssignmentStatus.IN_PROGRESS
    session.commit()
    before = counts(session)

    output = app.test_cli_runner().invoke(args=["seed-demo"])

    assert output.exit_code == 0, output.output
    assert "nothing changed" in output.output
    assert "http://127.0.0.1:5000/login" in output.output
    for email in DEMO_ROLES:
        assert email in output.output
    for line in ("admin      admin@demo.example", "applicant  applicant@demo.example"):
        assert line in output.output
    assert output.output.count("demo-pass-2026") == 4
    session.expire_all()
    assert counts(session) == before
    assert session.get(Assignment, pending.id).status == "in_progress"
    assert user(session, "applicant@demo.example").check_password("demo-pass-2026")


def test_the_first_call_grants_have_payments_reports_and_an_amendment(session, client, login):
    """Relative to the day of seeding (pinned here): payments made and due, reports approved, sent back, due and
    overdue, and one approved no-cost extension; dialogues, domains and the award date are set."""
    import datetime as dt

    from portal.grants.models import Amendment, GrantReport, Tranche

    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    today = dt.date(2026, 11, 28)
    seed(now=now)
    session.expire_all()
    closed = call(session, "MMD-GF-2025-01")
    grants = session.scalars(select(Grant).where(Grant.call_id == closed.id).order_by(Grant.agreement_number)).all()
    assert len(grants) == 8
    for grant in grants:
        assert grant.awarded_on == dt.date(2025, 6, 20)
        assert grant.dialogues and {d.code for d in grant.dialogues} <= {"rabat", "khartoum", "jvap", "c2cmmd"}
        assert [d.id for d in grant.domains] == [grant.proposal.jvap_domain_id]
        assert sum(t.planned_amount for t in grant.tranches) == grant.amount
        pre = sum((t.paid_amount or t.planned_amount) for t in grant.tranches if t.kind != "balance")
        assert pre <= grant.amount * Decimal("0.9")
        if grant.status == "active":
            assert grant.actual_start_date == grant.start_date
            assert grant.tranches[0].paid_date == grant.start_date  # pre-financing at the start
        else:
            assert not any(t.paid_date for t in grant.tranches) and not any(r.files for r in grant.reports)

    paid = session.scalar(select(func.count(Tranche.id)).where(Tranche.paid_date.is_not(None)))
    due = session.scalar(select(func.count(Tranche.id)).where(Tranche.paid_date.is_(None)))
    assert paid == 7 and due > 10  # the pre-financing of the seven active grants; the rest is due
    statuses = dict(
        session.execute(select(GrantReport.status, func.count(GrantReport.id)).group_by(GrantReport.status)).all()
    )
    assert statuses["approved"] == 3 and statuses["changes_requested"] == 1 and statuses["due"] > 20
    overdue = session.scalars(select(GrantReport).where(GrantReport.due_date < today, GrantReport.status != "approved"))
    assert sorted((r.grant.lead_organisation.acronym, r.status) for r in overdue) == [
        ("HAMO", "changes_requested"),
        ("ROAMD", "due"),
        ("ROAMD", "due"),
    ]
    # Every submitted report carries its file, stored and downloadable.
    for report in session.scalars(select(GrantReport).where(GrantReport.status != "due")):
        assert [f.version for f in report.files] == [1]
        assert report.files[0].uploaded_at < now and report.reviewed_at < now

    [amendment] = session.scalars(select(Amendment)).all()
    grant = amendment.grant
    assert (amendment.kind, amendment.status, amendment.terms_version, grant.terms_version) == (
        "no_cost_extension",
        "approved",
        2,
        2,
    )
    assert (amendment.terms_before["end_date"], amendment.terms_after["end_date"]) == ("2027-03-31", "2027-06-30")
    assert grant.end_date == dt.date(2027, 6, 30)
    assert amendment.requested_at < amendment.decided_at < now

    # The demo applicant leads ROAMD's grant: the dashboard flags its overdue reports.
    login(client, user(session, "applicant@demo.example"))
    page = client.get("/proposals").text
    assert "Your grants" in page
    assert "2 reports overdue" in page


def test_the_demo_portfolio_through_the_api_and_the_open_data(app, session, client):
    """Issue 5's first-cycle portfolio as the outside world reads it: the API's summary says 8 grants, 25 countries
    and 29 implementing organisations, and both open-data files carry the 8 grants, valid against their schemas."""
    import json as _json

    import jsonschema
    import referencing
    import referencing.jsonschema
    from lxml import etree

    from portal.api.operations import create_token
    from tests.opendata.test_documents import GIVING_DIR, GRANT_SCHEMA_URL, IATI_XSD

    seed()
    manager = user(session, "manager@demo.example")
    _token, secret = create_token(manager, "demo test", None, by=manager)
    session.commit()
    response = client.get("/api/v1/portfolio/summary", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    summary = response.get_json()
    assert (summary["grants"], summary["countries"], summary["implementing_organisations"]) == (8, 25, 29)
    assert Decimal(summary["amount_paid_eur"]) > 0
    assert summary["partnerships_south_north"] > 0 and summary["partnerships_south_south"] > 0

    iati = etree.fromstring(client.get("/open-data/iati.xml").data)
    etree.XMLSchema(etree.parse(str(IATI_XSD))).assertValid(iati)
    assert len(iati.findall("iati-activity")) == 8
    giving = client.get("/open-data/360giving.json").get_json()
    grant_schema = _json.loads((GIVING_DIR / "360-giving-schema.json").read_text())
    package = _json.loads((GIVING_DIR / "360-giving-package-schema.json").read_text())
    resource = referencing.Resource(contents=grant_schema, specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resources([(GRANT_SCHEMA_URL, resource), (grant_schema["$id"], resource)])
    jsonschema.Draft202012Validator(
        package, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(giving)
    assert len(giving["grants"]) == 8
