"""Factory fixtures: each returns a callable that makes one object with sensible defaults and commits it."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from portal.accounts.models import User
from portal.accounts.sessions import session_values
from portal.calls.models import Call, CallCountry, CallStatus, Dialogue, JvapDomain
from portal.core.db import utcnow
from portal.evaluation.grids import build_stage
from portal.evaluation.models import Assignment, AssignmentStatus, ScoreEntry
from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from portal.proposals.models import Proposal, ProposalCountry, ProposalStatus

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


@pytest.fixture
def make_user(app):
    def make(role: str = "applicant", email: str | None = None, password: str = PASSWORD, organisation=None, **kw):
        n = _n()
        user = User(
            email=email or f"{role}{n}@test.example",
            role=role,
            full_name=kw.pop("full_name", f"{role.title()} {n}"),
            **kw,
        )
        user.set_password(password)
        db.session.add(user)
        if organisation is not None:
            db.session.add(Membership(user=user, organisation=organisation, is_contact=True))
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_org(app):
    def make(legal_name: str | None = None, country: str = "SN", type: str = "ngo", members=(), **kw):
        n = _n()
        org = Organisation(
            legal_name=legal_name or f"Organisation {n}",
            acronym=kw.pop("acronym", f"ORG{n}"),
            type=type,
            country=country,
            registration_number=kw.pop("registration_number", f"REG-{n:05d}"),
            **kw,
        )
        db.session.add(org)
        for i, user in enumerate(members):
            db.session.add(Membership(user=user, organisation=org, is_contact=i == 0))
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_call(app):
    def make(
        status: str = CallStatus.PUBLISHED,
        opens_at: dt.datetime | None = None,
        closes_at: dt.datetime | None = None,
        countries=("SN", "ML", "NE", "GH", "MA"),
        **kw,
    ):
        n = _n()
        now = utcnow()
        call = Call(
            reference=kw.pop("reference", f"CFP-TEST-{n:03d}"),
            title=kw.pop("title", f"Test call {n}"),
            description=kw.pop("description", "Civil-society initiatives feeding the dialogues."),
            budget_envelope=kw.pop("budget_envelope", Decimal("1000000.00")),
            min_grant=kw.pop("min_grant", Decimal("50000.00")),
            max_grant=kw.pop("max_grant", Decimal("200000.00")),
            opens_at=opens_at or now - dt.timedelta(days=10),
            closes_at=closes_at or now + dt.timedelta(days=10),
            timezone=kw.pop("timezone", "Europe/Brussels"),
            status=status,
            published_at=now if status != CallStatus.DRAFT else None,
            **kw,
        )
        call.dialogues = list(db.session.scalars(db.select(Dialogue).order_by(Dialogue.id)).all()[:2])
        call.domains = list(db.session.scalars(db.select(JvapDomain).order_by(JvapDomain.number)).all())
        call.country_rows = [CallCountry(country_code=c) for c in countries]
        build_stage(call)
        db.session.add(call)
        db.session.commit()
        return call

    return make


@pytest.fixture
def make_proposal(app, make_user, make_org):
    def make(
        call, organisation=None, created_by=None, status: str = ProposalStatus.DRAFT, complete: bool = False, **kw
    ):
        """`complete=True` also fills every section of the form (a draft ready to submit)."""
        n = _n()
        if organisation is None:
            created_by = created_by or make_user("applicant")
            organisation = make_org(members=[created_by])
        if created_by is None:
            created_by = organisation.memberships[0].user
        domain = db.session.scalar(db.select(JvapDomain).where(JvapDomain.number == 1))
        countries = kw.pop("countries", ("SN",))
        proposal = Proposal(
            reference=kw.pop("reference", f"{call.reference}-{n:04d}"),
            call=call,
            organisation=organisation,
            created_by=created_by,
            title=kw.pop("title", f"Proposal {n}"),
            summary=kw.pop("summary", "Strengthening diaspora engagement in local development."),
            requested_amount=kw.pop("requested_amount", Decimal("120000.00")),
            duration_months=kw.pop("duration_months", 18),
            jvap_domain=kw.pop("jvap_domain", domain),
            status=status,
            submitted_at=utcnow() if status != ProposalStatus.DRAFT else None,
            **kw,
        )
        proposal.country_rows = [ProposalCountry(country_code=c) for c in countries]
        db.session.add(proposal)
        db.session.commit()
        if complete:
            from tests.proposals.filling import fill_sections

            fill_sections(proposal, created_by)
        return proposal

    return make


@pytest.fixture
def make_assignment(app, make_user):
    def make(proposal, evaluator=None, status: str = AssignmentStatus.PENDING, scores: dict | None = None):
        evaluator = evaluator or make_user("evaluator")
        stage = proposal.call.stages[0]
        assignment = Assignment(stage=stage, proposal=proposal, evaluator=evaluator, status=status)
        db.session.add(assignment)
        if status in (AssignmentStatus.IN_PROGRESS, AssignmentStatus.SUBMITTED):
            assignment.declared_at = utcnow()
        if status == AssignmentStatus.SUBMITTED:
            assignment.submitted_at = utcnow()
        if scores is not None or status == AssignmentStatus.SUBMITTED:
            scores = scores or {}
            for criterion in stage.criteria:
                value = scores.get(criterion.code, Decimal(4))
                assignment.scores.append(
                    ScoreEntry(criterion=criterion, score=Decimal(value), comment=f"Comment on {criterion.code}.")
                )
        db.session.add(assignment)
        db.session.commit()
        return assignment

    return make


@pytest.fixture
def login():
    """Sign a test client in as `user` without going through the login form. The session is one that has passed
    the second factor (portal/accounts/sessions.py), so that managers and administrators reach their pages;
    tests/accounts cover the two-factor step itself."""

    def do(client, user):
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess.update(session_values(two_factor=True))
        return client

    return do


@pytest.fixture
def make_evaluator(app, make_user):
    """An evaluator with a profile; `signed=True` (default): the declaration is signed, so they can be assigned."""

    def make(
        signed: bool = True,
        languages=("en", "fr"),
        domains=(),
        organisation=None,
        past_employers=(),
        past_employer_names=(),
        **kw,
    ):
        from portal.evaluation.evaluator_models import DECLARATION_VERSION, EvaluatorProfile

        user = make_user("evaluator", **kw)
        profile = EvaluatorProfile(
            user=user,
            languages=list(languages),
            countries=[],
            themes="",
            past_employer_names=list(past_employer_names),
            organisation=organisation,
            declaration_signed_at=utcnow() if signed else None,
            declaration_version=DECLARATION_VERSION if signed else None,
        )
        profile.domains = list(domains)
        profile.past_employers = list(past_employers)
        db.session.add(profile)
        db.session.commit()
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Every test starts with empty rate-limit counters (the limits themselves stay on: tests/accounts prove them)."""
    from portal.extensions import limiter

    limiter.reset()
    yield
