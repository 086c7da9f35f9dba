"""A consortium and its awarded grant, shared by the grant and document tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.proposals.models import ProposalCountry, ProposalPartner, ProposalStatus


@dataclass
class Consortium:
    call: object
    proposal: object
    lead: object
    lead_user: object
    co_org: object
    co_user: object
    assoc_org: object
    assoc_user: object
    manager: object


@pytest.fixture
def consortium(session, make_user, make_org, make_call, make_proposal) -> Consortium:
    """A proposal under review: lead in Senegal, a co-applicant in Mali (40,000 EUR), an associated entity in
    France, implemented in Senegal, Mali and Niger."""
    lead_user = make_user("applicant", full_name="Aminata Diallo")
    co_user = make_user("applicant", full_name="Moussa Keita")
    assoc_user = make_user("applicant", full_name="Claire Martin")
    lead = make_org("Association Jeunesse et Migration", country="SN", members=[lead_user], acronym="AJM")
    co_org = make_org("Institut Malien de Recherche", country="ML", members=[co_user], acronym="IMR")
    assoc_org = make_org("Commune de Lyon Partenariats", country="FR", members=[assoc_user], acronym="CLP")
    call = make_call(reference="CFP-2026-01")
    proposal = make_proposal(
        call,
        organisation=lead,
        created_by=lead_user,
        status=ProposalStatus.UNDER_REVIEW,
        title="Diaspora investment for local development",
    )
    # (make_proposal's own `countries=` keyword reaches the Proposal constructor and fails: set the rows here.)
    proposal.country_rows = [ProposalCountry(country_code=c) for c in ("SN", "ML", "NE")]
    proposal.partners = [
        ProposalPartner(organisation=co_org, role="co_applicant", status="accepted", budget_share=Decimal("40000.00")),
        ProposalPartner(organisation=assoc_org, role="associated", status="accepted"),
    ]
    db.session.commit()
    return Consortium(
        call=call,
        proposal=proposal,
        lead=lead,
        lead_user=lead_user,
        co_org=co_org,
        co_user=co_user,
        assoc_org=assoc_org,
        assoc_user=assoc_user,
        manager=make_user("manager"),
    )


AMOUNT = Decimal("150000.00")
START = dt.date(2027, 1, 1)
END = dt.date(2028, 6, 30)


@pytest.fixture
def awarded(consortium):
    """The consortium's proposal awarded and committed; in the test app the letter is rendered eagerly."""
    from portal.grants.operations import award_grant

    grant = award_grant(consortium.proposal, amount=AMOUNT, start_date=START, end_date=END, by=consortium.manager)
    db.session.commit()
    db.session.expire_all()
    return grant


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    """The `session` fixture holds an app context, which every test request then shares, and with it `g`, where
    Flask-Login caches the user it loaded: signing in as someone else between two requests would go unnoticed.
    Forget the cached user at the start of each request, as a real request (with its own context) would."""
    from flask import g, request_started

    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def in_request(app, session):
    """A request context, so that translated messages can be read as a user would see them (in English)."""
    with app.test_request_context("/"):
        yield
