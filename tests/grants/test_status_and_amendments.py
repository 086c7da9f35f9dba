"""The grant's statuses (manager actions, audited, illegal moves refused) and amendments (requested, decided,
applied and versioned)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.grants import amendments
from portal.grants.models import GrantOrganisation
from portal.grants.operations import GrantError, change_status
from tests.grants.conftest import START


def _refusal(call) -> str:
    with pytest.raises(GrantError) as exc:
        call()
    return str(exc.value)


# -- statuses ----------------------------------------------------------------------------------------------------


def test_the_life_of_a_grant_through_the_page(client, login, awarded, consortium, session):
    login(client, consortium.manager)
    url = f"/grants/{awarded.id}/status"
    response = client.post(url, data={"action": "activate", "on": "2027-01-04"}, follow_redirects=True)
    assert "Grant CFP-2026-01-G01 is now “Active”." in response.text
    assert "started on January 4, 2027" in response.text
    response = client.post(url, data={"action": "suspend", "reason": "short"})
    assert response.status_code == 422
    assert "Give the reason in at least 10 characters." in response.text
    client.post(url, data={"action": "suspend", "reason": "Security situation in the region."})
    response = client.post(url, data={"action": "close", "on": "2028-06-30"})
    assert response.status_code == 422
    assert "Grant CFP-2026-01-G01 is “Suspended”: it cannot be closed." in response.text
    client.post(url, data={"action": "resume"})
    response = client.post(url, data={"action": "close", "on": "2027-01-01"})
    assert "The grant cannot end before it started (January 4, 2027)." in response.text
    response = client.post(url, data={"action": "close", "on": "2028-07-02"}, follow_redirects=True)
    assert "is now “Closed”" in response.text and "ended on July 2, 2028" in response.text
    session.expire_all()
    assert (awarded.status, awarded.actual_start_date, awarded.actual_end_date) == (
        "closed",
        dt.date(2027, 1, 4),
        dt.date(2028, 7, 2),
    )
    actions = session.scalars(
        db.select(AuditEntry.action)
        .where(AuditEntry.object_type == "grants", AuditEntry.action != "grant.created")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["grant.activated", "grant.suspended", "grant.resumed", "grant.closed"]
    # Closed is final; the page offers no further move.
    assert _refusal(lambda: change_status(awarded, "terminate", by=consortium.manager, reason="Because of fraud."))
    login(client, consortium.lead_user)
    assert client.post(url, data={"action": "terminate"}).status_code == 403


def test_terminate_records_the_end(session, awarded, consortium, in_request):
    change_status(
        awarded, "terminate", by=consortium.manager, on=dt.date(2026, 12, 1), reason="Never signed, withdrawn."
    )
    assert (awarded.status, awarded.actual_end_date) == ("terminated", dt.date(2026, 12, 1))
    assert _refusal(lambda: change_status(awarded, "resume", by=consortium.manager)) == (
        "Grant CFP-2026-01-G01 is “Terminated”: it cannot be resumed."
    )


# -- amendments --------------------------------------------------------------------------------------------------


@pytest.fixture
def active(awarded, consortium, session):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    session.commit()
    return awarded


JUSTIFICATION = "The elections in Mali delayed the field work by three months."


def test_a_no_cost_extension_requested_by_the_lead_and_approved(client, login, active, consortium, session, outbox):
    login(client, consortium.lead_user)
    url = f"/grants/{active.id}/amendments/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"which": "extension", "ext-end_date": "2028-05-31", "ext-justification": "x"})
    assert response.status_code == 422
    assert "Justify the amendment in at least 20 characters." in response.text
    response = client.post(
        url, data={"which": "extension", "ext-end_date": "2028-05-31", "ext-justification": JUSTIFICATION}
    )
    assert "The new end date must be after the current end date, June 30, 2028." in response.text
    response = client.post(
        url,
        data={"which": "extension", "ext-end_date": "2028-09-30", "ext-justification": JUSTIFICATION},
        follow_redirects=True,
    )
    assert "Amendment 1 is requested; a manager will decide on it." in response.text
    [amendment] = active.amendments
    assert (amendment.kind, amendment.status, amendment.changes) == (
        "no_cost_extension",
        "requested",
        {"end_date": "2028-09-30"},
    )
    # One request at a time.
    response = client.post(
        url, data={"which": "extension", "ext-end_date": "2028-12-31", "ext-justification": JUSTIFICATION}
    )
    assert "Amendment 1 is waiting for a decision" in response.text

    assert (
        client.post(f"/grants/{active.id}/amendments/{amendment.id}", data={"decision": "approve"}).status_code == 403
    )
    login(client, consortium.manager)
    response = client.post(
        f"/grants/{active.id}/amendments/{amendment.id}", data={"decision": "approve"}, follow_redirects=True
    )
    assert "Amendment 1 is approved; the grant&#39;s terms are updated." in response.text
    assert "Terms before" in response.text and "Terms after" in response.text
    session.expire_all()
    assert active.end_date == dt.date(2028, 9, 30)
    assert active.terms_version == 2
    assert amendment.terms_version == 2
    assert amendment.terms_before["end_date"] == "2028-06-30" and amendment.terms_after["end_date"] == "2028-09-30"
    # The final reports and the balance move with the end date.
    assert {r.due_date for r in active.reports if r.period == "final"} == {dt.date(2028, 11, 29)}
    assert active.tranches[-1].planned_date == dt.date(2028, 12, 29)
    assert outbox[-1].subject == "Grant CFP-2026-01-G01: amendment 1 is approved"
    page = client.get(f"/grants/{active.id}").text
    assert "The terms above are version 2." in page and "September 30, 2028" in page
    assert "No-cost extension" in page


def test_budget_reallocation_between_partners(client, login, active, consortium, session, in_request):
    lead, co = consortium.lead.id, consortium.co_org.id
    message = _refusal(
        lambda: amendments.request_amendment(
            active,
            kind="budget_reallocation",
            changes={"mode": "partners", "shares": {str(lead): "100000", str(co): "45000"}},
            justification=JUSTIFICATION,
            by=consortium.lead_user,
        )
    )
    assert message == (
        "The new shares total €145,000.00; they must add up to the grant's €150,000.00 (€5,000.00 missing)."
    )
    message = _refusal(
        lambda: amendments.request_amendment(
            active,
            kind="budget_reallocation",
            changes={"mode": "partners", "shares": {str(lead): "110000", str(co): "45000"}},
            justification=JUSTIFICATION,
            by=consortium.lead_user,
        )
    )
    assert message.endswith("(€5,000.00 too much).")
    amendment = amendments.request_amendment(
        active,
        kind="budget_reallocation",
        changes={"mode": "partners", "shares": {str(lead): "105000", str(co): "45000"}},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    amendments.decide_amendment(amendment, approve=True, comment="", by=consortium.manager)
    shares = {r.organisation_id: r.budget_share for r in active.funded_organisations}
    assert shares == {lead: Decimal("105000.00"), co: Decimal("45000.00")}
    assert amendment.terms_before["organisations"][0]["budget_share"] == "110000.00"
    assert active.terms_version == 2


def test_reallocation_between_partners_through_the_page_keeps_what_was_typed(client, login, active, consortium):
    login(client, consortium.manager)
    lead, co = consortium.lead.id, consortium.co_org.id
    response = client.post(
        f"/grants/{active.id}/amendments/new",
        data={"which": "partners", f"share-{lead}": "100 000", f"share-{co}": "45000", "justification": JUSTIFICATION},
    )
    assert response.status_code == 422
    assert "(€5,000.00 missing)" in response.text
    assert 'value="100 000"' in response.text


def test_category_reallocation_is_versioned_without_changing_shares(session, active, consortium, in_request):
    amendment = amendments.request_amendment(
        active,
        kind="budget_reallocation",
        changes={
            "mode": "categories",
            "description": "8,000 EUR from travel to the local office in Bamako.",
            "amount": "8000",
        },
        justification=JUSTIFICATION,
        by=consortium.manager,
    )
    amendments.decide_amendment(amendment, approve=True, comment="", by=consortium.manager)
    assert amendment.terms_after["category_reallocation"] == {
        "description": "8,000 EUR from travel to the local office in Bamako.",
        "amount": "8000.00",
    }
    assert active.terms_version == 2


def test_partners_join_and_leave_with_shares_rebalanced(session, active, consortium, make_org, in_request):
    newcomer = make_org("Réseau Migration Niger", country="NE")
    message = _refusal(
        lambda: amendments.request_amendment(
            active,
            kind="partner_change",
            changes={
                "action": "add",
                "organisation_id": newcomer.id,
                "role": "co_beneficiary",
                "budget_share": "110000",
            },
            justification=JUSTIFICATION,
            by=consortium.lead_user,
        )
    )
    assert message == (
        "The new co-beneficiary's share (€110,000.00) is taken from the lead's, which is €110,000.00: it must be less "
        "than that."
    )
    assert (
        _refusal(
            lambda: amendments.request_amendment(
                active,
                kind="partner_change",
                changes={"action": "add", "organisation_id": consortium.co_org.id, "role": "associated"},
                justification=JUSTIFICATION,
                by=consortium.lead_user,
            )
        )
        == "Institut Malien de Recherche (IMR) already takes part in this grant."
    )
    joining = amendments.request_amendment(
        active,
        kind="partner_change",
        changes={"action": "add", "organisation_id": newcomer.id, "role": "co_beneficiary", "budget_share": "20000"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    amendments.decide_amendment(joining, approve=True, comment="", by=consortium.manager)
    shares = {r.organisation_id: r.budget_share for r in active.funded_organisations}
    assert shares[newcomer.id] == Decimal("20000.00") and shares[consortium.lead.id] == Decimal("90000.00")

    leaving = amendments.request_amendment(
        active,
        kind="partner_change",
        changes={"action": "remove", "organisation_id": consortium.co_org.id},
        justification=JUSTIFICATION,
        by=consortium.manager,
    )
    amendments.decide_amendment(leaving, approve=True, comment="", by=consortium.manager)
    session.flush()
    rows = session.scalars(db.select(GrantOrganisation).where(GrantOrganisation.grant_id == active.id)).all()
    shares = {r.organisation_id: r.budget_share for r in rows}
    assert consortium.co_org.id not in shares
    assert shares[consortium.lead.id] == Decimal("130000.00")
    assert sum(s for s in shares.values() if s is not None) == active.amount
    assert active.terms_version == 3
    assert [a.terms_version for a in active.amendments] == [2, 3]
    assert (
        _refusal(
            lambda: amendments.request_amendment(
                active,
                kind="partner_change",
                changes={"action": "remove", "organisation_id": consortium.lead.id},
                justification=JUSTIFICATION,
                by=consortium.manager,
            )
        )
        == "The lead organisation cannot leave the grant."
    )


def test_a_rejection_needs_a_reason_and_changes_nothing(session, active, consortium, in_request, outbox):
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2028-12-31"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    assert _refusal(
        lambda: amendments.decide_amendment(amendment, approve=False, comment="", by=consortium.manager)
    ) == ("Give the reason for the rejection in at least 20 characters.")
    amendments.decide_amendment(
        amendment, approve=False, comment="Six months is too long; ask for three.", by=consortium.manager
    )
    assert (amendment.status, amendment.terms_version, active.end_date, active.terms_version) == (
        "rejected",
        None,
        dt.date(2028, 6, 30),
        1,
    )
    assert _refusal(
        lambda: amendments.decide_amendment(amendment, approve=True, comment="", by=consortium.manager)
    ) == ("Amendment 1 is already “Rejected”.")


def test_only_the_lead_and_staff_request_amendments(client, login, active, consortium):
    login(client, consortium.co_user)
    assert client.get(f"/grants/{active.id}/amendments/new").status_code == 403
    page = client.get(f"/grants/{active.id}").text
    assert "Request an amendment" not in page
    login(client, consortium.lead_user)
    assert "Request an amendment" in client.get(f"/grants/{active.id}").text


def test_the_amendment_page_shows_what_is_asked_and_the_terms(client, login, active, consortium, make_org, session):
    newcomer = make_org("Réseau Migration Niger", country="NE", acronym="RMN")
    amendment = amendments.request_amendment(
        active,
        kind="partner_change",
        changes={"action": "add", "organisation_id": newcomer.id, "role": "co_beneficiary", "budget_share": "20000"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    session.commit()
    login(client, consortium.co_user)  # participants see it, without the decision form
    page = client.get(f"/grants/{active.id}/amendments/{amendment.id}").text
    assert "Réseau Migration Niger (RMN) joins as Co-beneficiary (€20,000.00)" in page
    assert "Record the decision" not in page
    login(client, consortium.manager)
    response = client.post(f"/grants/{active.id}/amendments/{amendment.id}", data={"decision": "reject"})
    assert response.status_code == 422
    assert "Give the reason for the rejection in at least 20 characters." in response.text
    page = client.post(
        f"/grants/{active.id}/amendments/{amendment.id}", data={"decision": "approve"}, follow_redirects=True
    ).text
    assert "Terms before" in page and "€110,000.00" in page and "€90,000.00" in page
    assert "June 30, 2028" in page
