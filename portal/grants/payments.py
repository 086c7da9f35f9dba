"""Payments of a grant: managers edit the schedule of tranches (add, change, remove a tranche not yet paid) and
record payments (the paid date and amount).

The rules (DOMAIN.md), each refused with the figures that break it:
- total pre-financing (pre-financing and further pre-financing tranches, counted at their paid amount once paid and
  at their planned amount before) never above MAX_PRE_FINANCING_PCT of the amount;
- the schedule (paid and planned) never above the amount, and the payments never above it either;
- a tranche that waits for a report is paid only once every report of that period and due date is approved;
- the balance only once the final reports are approved;
- payments are made while the grant is active, never dated in the future."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_UP, Decimal

from babel.numbers import format_percent
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.core import audit, i18n
from portal.core.db import utcnow
from portal.extensions import db
from portal.grants.models import Grant, GrantReport, GrantStatus, ReportPeriod, ReportStatus, Tranche, TrancheKind
from portal.grants.operations import GrantError
from portal.grants.schedule import HUNDRED, MAX_PRE_FINANCING_PCT, PRE_FINANCING_KINDS

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
NOTE_MAX = 500
KIND_LABELS = {
    TrancheKind.PRE_FINANCING: _l("Pre-financing"),
    TrancheKind.FURTHER_PRE_FINANCING: _l("Further pre-financing"),
    TrancheKind.BALANCE: _l("Balance"),
}


def _money(amount: Decimal) -> LazyString:
    return LazyString(i18n.money, amount)


def _date(day: dt.date) -> LazyString:
    return LazyString(i18n.date, day)


def _pct_above(value: Decimal) -> LazyString:
    """A share above a limit, rounded up so that it never reads as the limit itself (90.0001% -> "90.01%")."""
    return LazyString(
        lambda: format_percent(
            value.quantize(CENT, rounding=ROUND_UP) / HUNDRED, format="#,##0.00%", locale=i18n.locale_code()
        )
    )


def _limit_pct(value: Decimal) -> LazyString:
    """A rule's percentage as it is stated: "90%"."""
    return LazyString(lambda: format_percent(value / HUNDRED, format="#,##0.##%", locale=i18n.locale_code()))


def _restore(tranche: Tranche, facts: dict) -> None:
    for name in ("kind", "planned_date", "planned_amount", "requires_report_id", "paid_date", "paid_amount", "note"):
        setattr(tranche, name, facts[name])


def counted(tranche: Tranche) -> Decimal:
    """What a tranche weighs in the totals: its paid amount once paid, its planned amount before."""
    return tranche.paid_amount if tranche.is_paid else tranche.planned_amount


def pre_financing_total(tranches) -> Decimal:
    return sum((counted(t) for t in tranches if t.kind in PRE_FINANCING_KINDS), Decimal("0.00"))


def paid_total(grant: Grant) -> Decimal:
    return sum((t.paid_amount for t in grant.tranches if t.is_paid), Decimal("0.00"))


def scheduled_total(grant: Grant) -> Decimal:
    return sum((counted(t) for t in grant.tranches), Decimal("0.00"))


def max_pre_financing(grant: Grant) -> Decimal:
    return (grant.amount * MAX_PRE_FINANCING_PCT / HUNDRED).quantize(CENT)


# -- the checks ---------------------------------------------------------------------------------------------------


def _check_schedule(grant: Grant, field: str | None) -> None:
    """The schedule as it now stands (changes applied, not yet flushed) obeys the pre-financing and total rules."""
    pre = pre_financing_total(grant.tranches)
    limit = max_pre_financing(grant)
    if pre > limit:
        raise GrantError(
            _l(
                "Pre-financing would reach %(amount)s (%(pct)s of the grant); at most %(max_pct)s (%(max)s) is "
                "allowed.",
                amount=_money(pre),
                pct=_pct_above(pre * HUNDRED / grant.amount),
                max_pct=_limit_pct(MAX_PRE_FINANCING_PCT),
                max=_money(limit),
            ),
            field=field,
        )
    total = scheduled_total(grant)
    if total > grant.amount:
        raise GrantError(
            _l(
                "The payments would total %(total)s, %(excess)s more than the grant's %(amount)s.",
                total=_money(total),
                excess=_money(total - grant.amount),
                amount=_money(grant.amount),
            ),
            field=field,
        )
    balances = [t for t in grant.tranches if t.kind == TrancheKind.BALANCE]
    if len(balances) > 1:
        raise GrantError(_l("A grant has one balance payment only."), field="kind")


def reports_awaited(tranche: Tranche) -> list[GrantReport]:
    """The reports that must be approved before the tranche is paid: every report of the period and due date of
    the report it names; for the balance, every final report."""
    grant = tranche.grant
    if tranche.kind == TrancheKind.BALANCE:
        return [r for r in grant.reports if r.period == ReportPeriod.FINAL]
    named = tranche.requires_report
    if named is None:
        return []
    return [r for r in grant.reports if r.period == named.period and r.due_date == named.due_date]


def payment_blockers(tranche: Tranche) -> list[str]:
    """Why the tranche cannot be paid now (empty when it can), for the page."""
    problems = []
    grant = tranche.grant
    if grant.status != GrantStatus.ACTIVE:
        problems.append(str(_l("Payments are made only while the grant is active.")))
    waiting = [r for r in reports_awaited(tranche) if r.status != ReportStatus.APPROVED]
    if waiting:
        if tranche.kind == TrancheKind.BALANCE:
            problems.append(
                str(
                    _l(
                        "The balance is paid only once the final reports are approved (due on %(due)s).",
                        due=_date(min(r.due_date for r in waiting)),
                    )
                )
            )
        else:
            report = tranche.requires_report
            if report.period == ReportPeriod.INTERIM:
                message = _l(
                    "Tranche %(number)d needs the interim report due on %(due)s approved first.",
                    number=tranche.number,
                    due=_date(report.due_date),
                )
            else:
                message = _l(
                    "Tranche %(number)d needs the final report due on %(due)s approved first.",
                    number=tranche.number,
                    due=_date(report.due_date),
                )
            problems.append(str(message))
    return problems


# -- editing the schedule -----------------------------------------------------------------------------------------


def _facts(tranche: Tranche) -> dict:
    return {
        "number": tranche.number,
        "kind": tranche.kind,
        "planned_date": tranche.planned_date,
        "planned_amount": tranche.planned_amount,
        "requires_report_id": tranche.requires_report_id,
        "paid_date": tranche.paid_date,
        "paid_amount": tranche.paid_amount,
        "note": tranche.note,
    }


def _check_fields(grant: Grant, kind: str, planned_date, planned_amount, requires_report, note: str) -> str:
    if kind not in KIND_LABELS:
        raise GrantError(_l("Choose the kind of payment."), field="kind")
    if planned_date is None:
        raise GrantError(_l("Enter the planned date."), field="planned_date")
    if planned_amount is None or planned_amount <= 0:
        raise GrantError(_l("The planned amount must be greater than zero."), field="planned_amount")
    if requires_report is not None and requires_report.grant_id != grant.id:
        raise GrantError(_l("Choose one of this grant's reports."), field="requires_report")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=NOTE_MAX), field="note")
    if not grant.is_open:
        raise GrantError(_l("The grant is closed: its payment schedule can no longer change."))
    return note


def add_tranche(
    grant: Grant,
    *,
    kind: str,
    planned_date: dt.date,
    planned_amount: Decimal,
    by,
    requires_report: GrantReport | None = None,
    note: str = "",
) -> Tranche:
    note = _check_fields(grant, kind, planned_date, planned_amount, requires_report, note)
    number = max((t.number for t in grant.tranches), default=0) + 1
    tranche = Tranche(
        number=number,
        kind=kind,
        planned_date=planned_date,
        planned_amount=Decimal(planned_amount).quantize(CENT),
        requires_report=requires_report,
        note=note,
    )
    with db.session.no_autoflush:
        grant.tranches.append(tranche)
        try:
            _check_schedule(grant, "planned_amount")
        except GrantError:
            grant.tranches.remove(tranche)
            raise
    db.session.flush()
    audit.record("grant.tranche_added", grant, actor=by, after=_facts(tranche))
    db.session.flush()
    return tranche


def change_tranche(
    tranche: Tranche,
    *,
    kind: str,
    planned_date: dt.date,
    planned_amount: Decimal,
    by,
    requires_report: GrantReport | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Tranche:
    """Change a planned tranche. `expected_version` is the tranche's version the form was made from: when someone
    changed it since, nothing is done (None skips the check)."""
    grant = tranche.grant
    if expected_version is not None and expected_version != tranche.version_id:
        raise GrantError(
            _l(
                "Someone else changed tranche %(number)d while you were working. Nothing was changed: your entry "
                "is kept below, next to the tranche as it now is. Send it again if it still applies.",
                number=tranche.number,
            )
        )
    if tranche.is_paid:
        raise GrantError(_l("Tranche %(number)d is paid: it can no longer change.", number=tranche.number))
    note = _check_fields(grant, kind, planned_date, planned_amount, requires_report, note)
    before = _facts(tranche)
    old_report = tranche.requires_report
    with db.session.no_autoflush:
        tranche.kind = kind
        tranche.planned_date = planned_date
        tranche.planned_amount = Decimal(planned_amount).quantize(CENT)
        tranche.requires_report = requires_report
        tranche.note = note
        try:
            _check_schedule(grant, "planned_amount")
        except GrantError:
            _restore(tranche, before)
            tranche.requires_report = old_report
            raise
    audit.record("grant.tranche_changed", grant, actor=by, before=before, after=_facts(tranche))
    db.session.flush()
    return tranche


def remove_tranche(tranche: Tranche, *, by) -> None:
    grant = tranche.grant
    if tranche.is_paid:
        raise GrantError(_l("Tranche %(number)d is paid: it cannot be removed.", number=tranche.number))
    if not grant.is_open:
        raise GrantError(_l("The grant is closed: its payment schedule can no longer change."))
    before = _facts(tranche)
    grant.tranches.remove(tranche)
    db.session.delete(tranche)
    audit.record("grant.tranche_removed", grant, actor=by, before=before)
    db.session.flush()


def record_payment(
    tranche: Tranche, *, paid_date: dt.date, paid_amount: Decimal, by, today: dt.date | None = None
) -> Tranche:
    """Record that a tranche was paid, once every rule allows it."""
    grant = tranche.grant
    if tranche.is_paid:
        raise GrantError(
            _l("Tranche %(number)d was already paid on %(date)s.", number=tranche.number, date=_date(tranche.paid_date))
        )
    if paid_date is None:
        raise GrantError(_l("Enter the date of the payment."), field="paid_date")
    today = today or utcnow().date()
    if paid_date > today:
        raise GrantError(_l("A payment cannot be dated in the future."), field="paid_date")
    if paid_amount is None or paid_amount <= 0:
        raise GrantError(_l("The amount paid must be greater than zero."), field="paid_amount")
    paid_amount = Decimal(paid_amount).quantize(CENT)
    blockers = payment_blockers(tranche)
    if blockers:
        raise GrantError(blockers[0])
    already = paid_total(grant)
    if already + paid_amount > grant.amount:
        raise GrantError(
            _l(
                "Payments would reach %(total)s, more than the grant's %(amount)s: at most %(left)s is left to pay.",
                total=_money(already + paid_amount),
                amount=_money(grant.amount),
                left=_money(grant.amount - already),
            ),
            field="paid_amount",
        )
    before = _facts(tranche)
    with db.session.no_autoflush:
        tranche.paid_date = paid_date
        tranche.paid_amount = paid_amount
        tranche.paid_recorded_by_id = getattr(by, "id", None)
        try:
            _check_schedule(grant, "paid_amount")  # a payment above plan may push pre-financing over the limit
        except GrantError:
            _restore(tranche, before)
            tranche.paid_recorded_by_id = None
            raise
    audit.record("grant.payment_recorded", grant, actor=by, before=before, after=_facts(tranche))
    db.session.flush()
    log.info("grant %s: tranche %s paid %s", grant.agreement_number, tranche.number, paid_amount)
    return tranche
