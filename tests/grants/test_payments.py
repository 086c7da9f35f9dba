"""Payments: the schedule a manager edits and the payments recorded, with DOMAIN.md's rules and their messages.

The awarded grant (150,000 over 18 months) has tranche 1 pre-financing 90,000 at the start, tranche 2 further
pre-financing 45,000 after the interim reports due on 29 February 2028, tranche 3 the balance of 15,000."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.grants import payments
from portal.grants.models import Tranche
from portal.grants.operations import GrantError, change_status
from tests.grants.conftest import START

PAST = dt.date(2026, 1, 15)  # every payment date in these tests is before today


@pytest.fixture
def active(awarded, consortium, session):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    session.flush()
    return awarded


def _approve(grant, period):
    for report in grant.reports:
        if report.period == period:
            report.status = "approved"
    db.session.flush()


def _refusal(call) -> str:
    with pytest.raises(GrantError) as exc:
        call()
    return str(exc.value)


def test_adding_a_tranche_that_takes_pre_financing_above_ninety_percent_is_refused(
    session, active, consortium, in_request
):
    message = _refusal(
        lambda: payments.add_tranche(
            active,
            kind="further_pre_financing",
            planned_date=dt.date(2027, 6, 1),
            planned_amount=Decimal("3000"),
            by=consortium.manager,
        )
    )
    assert message == (
        "Pre-financing would reach €138,000.00 (92.00% of the grant); at most 90% (€135,000.00) is allowed."
    )
    assert len(active.tranches) == 3


def test_raising_a_planned_tranche_is_checked_the_same_way(session, active, consortium, in_request):
    first = active.tranches[0]
    message = _refusal(
        lambda: payments.change_tranche(
            first, kind="pre_financing", planned_date=START, planned_amount=Decimal("93000"), by=consortium.manager
        )
    )
    assert message.startswith("Pre-financing would reach €138,000.00 (92.00% of the grant)")
    assert first.planned_amount == Decimal("90000.00")  # left as it was


def test_a_schedule_above_the_amount_is_refused(session, active, consortium, in_request):
    message = _refusal(
        lambda: payments.add_tranche(
            active,
            kind="balance",
            planned_date=dt.date(2028, 10, 1),
            planned_amount=Decimal("100"),
            by=consortium.manager,
        )
    )
    assert message == "The payments would total €150,100.00, €100.00 more than the grant's €150,000.00."


def test_moving_money_between_planned_tranches_is_allowed_and_audited(session, active, consortium, in_request):
    first, second = active.tranches[0], active.tranches[1]
    payments.change_tranche(
        second,
        kind="further_pre_financing",
        planned_date=dt.date(2028, 3, 30),
        planned_amount=Decimal("35000"),
        requires_report=second.requires_report,
        by=consortium.manager,
    )
    payments.change_tranche(
        first, kind="pre_financing", planned_date=START, planned_amount=Decimal("100000"), by=consortium.manager
    )
    assert payments.pre_financing_total(active.tranches) == Decimal("135000.00")  # exactly 90 %: allowed
    with pytest.raises(GrantError) as exc:
        payments.add_tranche(
            active,
            kind="further_pre_financing",
            planned_date=dt.date(2027, 7, 1),
            planned_amount=Decimal("0.01"),
            by=consortium.manager,
        )
    assert "(90.01% of the grant)" in str(exc.value)  # never shown as "90.00%"
    actions = session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_type == "grants")).all()
    assert actions.count("grant.tranche_changed") == 2 and "grant.tranche_added" not in actions


def test_recording_payments_in_order(session, active, consortium, in_request):
    first, second, balance = active.tranches
    payments.record_payment(first, paid_date=PAST, paid_amount=Decimal("90000"), by=consortium.manager)
    assert (first.paid_date, first.paid_amount, first.paid_recorded_by_id) == (
        PAST,
        Decimal("90000.00"),
        consortium.manager.id,
    )

    # Tranche 2 waits for both interim reports.
    assert _refusal(
        lambda: payments.record_payment(second, paid_date=PAST, paid_amount=Decimal("45000"), by=consortium.manager)
    ) == ("Tranche 2 needs the interim report due on February 29, 2028 approved first.")
    active.reports[1].status = "approved"  # the financial one only
    assert "Tranche 2 needs the interim report" in _refusal(
        lambda: payments.record_payment(second, paid_date=PAST, paid_amount=Decimal("45000"), by=consortium.manager)
    )
    _approve(active, "interim")
    payments.record_payment(second, paid_date=PAST, paid_amount=Decimal("45000"), by=consortium.manager)

    assert _refusal(
        lambda: payments.record_payment(balance, paid_date=PAST, paid_amount=Decimal("15000"), by=consortium.manager)
    ) == ("The balance is paid only once the final reports are approved (due on August 29, 2028).")
    _approve(active, "final")
    assert _refusal(
        lambda: payments.record_payment(balance, paid_date=PAST, paid_amount=Decimal("20000"), by=consortium.manager)
    ) == ("Payments would reach €155,000.00, more than the grant's €150,000.00: at most €15,000.00 is left to pay.")
    payments.record_payment(balance, paid_date=PAST, paid_amount=Decimal("15000"), by=consortium.manager)
    assert payments.paid_total(active) == Decimal("150000.00")
    assert _refusal(
        lambda: payments.record_payment(balance, paid_date=PAST, paid_amount=Decimal("1"), by=consortium.manager)
    ) == ("Tranche 3 was already paid on January 15, 2026.")
    recorded = session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "grant.payment_recorded").order_by(AuditEntry.id)
    ).all()
    assert len(recorded) == 3
    assert recorded[0].after["paid_amount"] == "90000.00"


def test_paying_more_pre_financing_than_planned_counts_the_paid_amount(session, active, consortium, in_request):
    first = active.tranches[0]
    assert _refusal(
        lambda: payments.record_payment(first, paid_date=PAST, paid_amount=Decimal("95000"), by=consortium.manager)
    ) == ("Pre-financing would reach €140,000.00 (93.34% of the grant); at most 90% (€135,000.00) is allowed.")
    assert not first.is_paid


def test_payments_need_an_active_grant_and_a_date_not_in_the_future(session, awarded, consortium, in_request):
    first = awarded.tranches[0]
    assert (
        _refusal(
            lambda: payments.record_payment(first, paid_date=PAST, paid_amount=Decimal("1000"), by=consortium.manager)
        )
        == "Payments are made only while the grant is active."
    )
    change_status(awarded, "activate", by=consortium.manager, on=START)
    assert (
        _refusal(
            lambda: payments.record_payment(
                first,
                paid_date=dt.date(2030, 1, 1),
                paid_amount=Decimal("1000"),
                by=consortium.manager,
                today=dt.date(2029, 12, 31),
            )
        )
        == "A payment cannot be dated in the future."
    )
    assert (
        _refusal(
            lambda: payments.record_payment(first, paid_date=PAST, paid_amount=Decimal("0"), by=consortium.manager)
        )
        == "The amount paid must be greater than zero."
    )


def test_a_paid_tranche_can_neither_change_nor_go(session, active, consortium, in_request):
    first, second, _ = active.tranches
    payments.record_payment(first, paid_date=PAST, paid_amount=Decimal("90000"), by=consortium.manager)
    assert (
        _refusal(
            lambda: payments.change_tranche(
                first, kind="pre_financing", planned_date=START, planned_amount=Decimal("1"), by=consortium.manager
            )
        )
        == "Tranche 1 is paid: it can no longer change."
    )
    assert _refusal(lambda: payments.remove_tranche(first, by=consortium.manager)) == (
        "Tranche 1 is paid: it cannot be removed."
    )
    payments.remove_tranche(second, by=consortium.manager)
    session.flush()
    assert [
        t.number
        for t in session.scalars(db.select(Tranche).where(Tranche.grant_id == active.id).order_by(Tranche.number))
    ] == [1, 3]


# -- the pages ---------------------------------------------------------------------------------------------------


def test_manager_records_a_payment_through_the_page(client, login, active, consortium, session):
    session.commit()
    first = active.tranches[0]
    login(client, consortium.manager)
    page = client.get(f"/grants/{active.id}/payments")
    assert page.status_code == 200
    assert "Tranche 2 needs the interim report due on February 29, 2028 approved first." in page.text
    response = client.post(
        f"/grants/{active.id}/payments/{first.id}/pay",
        data={f"p{first.id}-paid_date": "2026-01-15", f"p{first.id}-paid_amount": "95 000"},
    )
    assert response.status_code == 422
    assert (
        "Pre-financing would reach €140,000.00 (93.34% of the grant); at most 90% (€135,000.00) is allowed."
        in response.text
    )
    assert 'value="95 000"' in response.text  # what was typed is kept
    response = client.post(
        f"/grants/{active.id}/payments/{first.id}/pay",
        data={f"p{first.id}-paid_date": "2026-01-15", f"p{first.id}-paid_amount": "90,000.00"},
        follow_redirects=True,
    )
    assert "The payment of tranche 1 is recorded." in response.text
    page = client.get(f"/grants/{active.id}").text
    assert "January 15, 2026" in page and "€90,000.00" in page


def test_manager_adds_and_removes_a_tranche_through_the_page(client, login, active, consortium, session):
    session.commit()
    login(client, consortium.manager)
    response = client.post(
        f"/grants/{active.id}/payments",
        data={"new-kind": "further_pre_financing", "new-planned_date": "2027-07-01", "new-planned_amount": "3000"},
    )
    assert response.status_code == 422
    assert "Pre-financing would reach €138,000.00 (92.00% of the grant)" in response.text
    response = client.post(
        f"/grants/{active.id}/payments",
        data={"new-kind": "further_pre_financing", "new-planned_date": "2027-07-01", "new-planned_amount": "abc"},
    )
    assert response.status_code == 422
    assert "Enter an amount in euros, for example 150000 or 150000.50." in response.text
    second = active.tranches[1]
    response = client.post(f"/grants/{active.id}/payments/{second.id}/remove", follow_redirects=True)
    assert "Tranche 2 is removed from the schedule." in response.text
    response = client.post(
        f"/grants/{active.id}/payments",
        data={"new-kind": "further_pre_financing", "new-planned_date": "2027-07-01", "new-planned_amount": "45000"},
        follow_redirects=True,
    )
    assert "Tranche 4 is added to the schedule." in response.text
