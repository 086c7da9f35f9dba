"""award_grant: the grant, its consortium and countries, and the award letter it queues."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.core.audit import AuditEntry
from portal.documents.models import Document
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation
from portal.grants.operations import GrantError, award_grant, equal_shares
from portal.proposals.models import ProposalCountry, ProposalStatus
from tests.grants.conftest import AMOUNT, END, START


def _award(c, **kw):
    args = {"amount": AMOUNT, "start_date": START, "end_date": END, "by": c.manager} | kw
    return award_grant(c.proposal, **args)


def test_award_creates_the_grant_its_consortium_and_countries(session, consortium):
    grant = _award(consortium)

    assert grant.agreement_number == "CFP-2026-01-G01"
    assert grant.status == "contracting"
    assert grant.title == "Diaspora investment for local development"
    assert grant.amount == Decimal("150000.00")
    assert grant.lead_organisation_id == consortium.lead.id
    assert grant.duration_months == 18

    rows = {
        r.organisation_id: (r.role, r.budget_share)
        for r in session.scalars(db.select(GrantOrganisation).where(GrantOrganisation.grant_id == grant.id))
    }
    assert rows == {
        consortium.lead.id: ("lead", Decimal("110000.00")),
        consortium.co_org.id: ("co_beneficiary", Decimal("40000.00")),
        consortium.assoc_org.id: ("associated", None),
    }
    countries = session.scalars(db.select(GrantCountry).where(GrantCountry.grant_id == grant.id)).all()
    assert sorted(c.country_code for c in countries) == ["ML", "NE", "SN"]
    assert sum(c.share_pct for c in countries) == Decimal("100.00")
    assert sorted(c.share_pct for c in countries) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]

    # The letter is queued within the same transaction; the job is only sent once it commits.
    [letter] = grant.documents
    assert (letter.kind, letter.version, letter.status, letter.language) == ("award_letter", 1, "queued", "en")
    actions = set(session.scalars(db.select(AuditEntry.action)))
    assert {"grant.created", "document.requested"} <= actions

    session.commit()
    session.expire_all()
    assert session.get(Document, letter.id).status == "ready"


def test_agreement_numbers_count_the_grants_of_the_call(session, consortium, make_proposal):
    _award(consortium)
    other = make_proposal(consortium.call, status=ProposalStatus.UNDER_REVIEW)
    second = award_grant(other, amount=Decimal("60000"), start_date=START, end_date=END, by=consortium.manager)
    assert second.agreement_number == "CFP-2026-01-G02"
    # One country only: it gets the whole 100 %.
    assert [(c.country_code, c.share_pct) for c in second.country_rows] == [("SN", Decimal("100.00"))]


def test_a_proposal_gets_one_grant_only(session, consortium, in_request):
    _award(consortium)
    session.commit()
    with pytest.raises(GrantError) as exc:
        _award(consortium)
    assert str(exc.value) == "This proposal already has a grant (CFP-2026-01-G01)."
    assert session.scalar(db.select(db.func.count(Grant.id))) == 1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"amount": Decimal("0")}, "The amount awarded must be greater than zero."),
        ({"amount": Decimal("-100.00")}, "The amount awarded must be greater than zero."),
        ({"end_date": START}, "The end date must be after the start date."),
        ({"end_date": START - dt.timedelta(days=1)}, "The end date must be after the start date."),
    ],
)
def test_award_refuses_bad_figures(session, consortium, kw, message, in_request):
    with pytest.raises(GrantError) as exc:
        _award(consortium, **kw)
    assert str(exc.value) == message
    assert session.scalar(db.select(db.func.count(Grant.id))) == 0


def test_award_refuses_a_draft_and_a_proposal_without_countries(session, consortium, in_request):
    consortium.proposal.status = ProposalStatus.DRAFT
    with pytest.raises(GrantError) as exc:
        _award(consortium)
    assert str(exc.value) == "Only a submitted proposal can become a grant."
    consortium.proposal.status = ProposalStatus.UNDER_REVIEW
    consortium.proposal.country_rows = []
    session.flush()
    with pytest.raises(GrantError) as exc:
        _award(consortium)
    assert str(exc.value) == "The proposal names no country of implementation."


def test_award_refuses_partner_shares_above_the_amount(session, consortium, in_request):
    with pytest.raises(GrantError) as exc:
        _award(consortium, amount=Decimal("30000.00"))
    assert str(exc.value) == (
        "The co-applicants' budget shares (40000.00 EUR) exceed the amount awarded (30000.00 EUR)."
    )


@pytest.mark.parametrize("count", [1, 2, 3, 6, 7, 9, 11, 25])
def test_equal_shares_add_up_to_exactly_one_hundred(count):
    shares = equal_shares(count)
    assert len(shares) == count
    assert sum(shares) == Decimal("100.00")
    assert max(shares) - min(shares) <= Decimal("0.01")


def test_letter_language_follows_the_lead_contact(session, consortium):
    consortium.lead_user.locale = "fr"
    session.commit()
    grant = _award(consortium)
    assert grant.documents[0].language == "fr"


def test_letter_language_falls_back_to_english(session, consortium):
    consortium.lead_user.locale = "pt"  # not a language of the portal
    consortium.proposal.country_rows = [ProposalCountry(country_code="SN")]
    session.commit()
    assert _award(consortium).documents[0].language == "en"
