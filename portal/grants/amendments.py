"""Amendments to a grant's terms: requested (by the lead organisation's users or a manager) with a justification,
then approved or rejected by a manager with a comment. Approval checks the changes again against the terms as they
are then, applies them, keeps the terms before and after, and raises the grant's terms version.

The kinds and their `changes` (JSON; amounts as strings, dates in ISO form):
- no-cost extension: {"end_date": "2028-03-31"}; the final reports and the balance move with the end date, and
  every year of implementation the extension completes gains its interim narrative and financial reports, by the
  rule of portal.grants.schedule (due REPORT_DELAY_DAYS after the end of that year);
- budget reallocation between partners: {"mode": "partners", "shares": {"<organisation id>": "120000.00", ...}},
  a new share for every funded organisation (lead and co-beneficiaries), adding up to the grant's amount;
- budget reallocation between cost categories: {"mode": "categories", "description": "...", "amount": "8000.00"}
  (what moves where, in the consortium's words, and the amount moved; the shares do not change);
- change of partner: {"action": "add", "organisation_id": 7, "role": "co_beneficiary", "budget_share": "20000.00"}
  (the share is taken from the lead's) or {"action": "remove", "organisation_id": 7} (its share returns to the
  lead)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.core import audit, i18n, mail
from portal.core.amounts import AmountError, parse_decimal
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.documents import letters
from portal.extensions import db
from portal.grants.models import (
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Grant,
    GrantOrganisation,
    GrantReport,
    GrantRole,
    ReportPeriod,
    ReportStatus,
    ReportType,
    TrancheKind,
)
from portal.grants.operations import GrantError
from portal.grants.reporting import lead_contacts
from portal.grants.schedule import PAYMENT_DELAY_DAYS, REPORT_DELAY_DAYS, years_of
from portal.organisations.models import Organisation

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
MIN_JUSTIFICATION = 20
TEXT_MAX = 4000
KIND_LABELS = {
    AmendmentKind.NO_COST_EXTENSION: _l("No-cost extension"),
    AmendmentKind.BUDGET_REALLOCATION: _l("Budget reallocation"),
    AmendmentKind.PARTNER_CHANGE: _l("Change of partner"),
}
STATUS_LABELS = {
    AmendmentStatus.REQUESTED: _l("Requested"),
    AmendmentStatus.APPROVED: _l("Approved"),
    AmendmentStatus.REJECTED: _l("Rejected"),
    AmendmentStatus.WITHDRAWN: _l("Withdrawn"),
}


def _money(amount: Decimal) -> LazyString:
    return LazyString(i18n.money, amount)


def _date(day: dt.date) -> LazyString:
    return LazyString(i18n.date, day)


def terms_of(grant: Grant) -> dict:
    """The grant's current terms as plain data (kept before and after each approved amendment)."""
    return {
        "version": grant.terms_version,
        "amount": str(grant.amount),
        "start_date": grant.start_date.isoformat(),
        "end_date": grant.end_date.isoformat(),
        "organisations": [
            {
                "organisation_id": row.organisation_id,
                "name": row.organisation.name,
                "role": row.role,
                "budget_share": str(row.budget_share) if row.budget_share is not None else None,
            }
            for row in grant.organisations
        ],
    }


def _amount(value, field: str) -> Decimal:
    """An amount given as a Decimal or as typed ("100 000", "100,000.50": portal.core.amounts reads them)."""
    try:
        amount = value if isinstance(value, Decimal) else parse_decimal(str(value if value is not None else ""))
    except AmountError:
        amount = None
    if amount is None:
        raise GrantError(_l("Enter an amount in euros, for example 150000 or 150000.50."), field=field)
    amount = amount.quantize(CENT)
    if amount < 0:
        raise GrantError(_l("An amount cannot be negative."), field=field)
    return amount


def _row(grant: Grant, organisation_id: int) -> GrantOrganisation | None:
    return next((r for r in grant.organisations if r.organisation_id == organisation_id), None)


def _lead_row(grant: Grant) -> GrantOrganisation:
    return next(r for r in grant.organisations if r.role == GrantRole.LEAD)


def check_changes(grant: Grant, kind: str, changes: dict) -> dict:
    """The changes in their stored form, checked against the grant's current terms; GrantError (tied to the form
    field) with the figures when they do not fit."""
    changes = dict(changes or {})
    if kind == AmendmentKind.NO_COST_EXTENSION:
        end = changes.get("end_date")
        if isinstance(end, str):
            try:
                end = dt.date.fromisoformat(end)
            except ValueError:
                end = None
        if not isinstance(end, dt.date):
            raise GrantError(_l("Enter the new end date."), field="end_date")
        if end <= grant.end_date:
            raise GrantError(
                _l(
                    "The new end date must be after the current end date, %(end)s.",
                    end=_date(grant.end_date),
                ),
                field="end_date",
            )
        return {"end_date": end.isoformat()}

    if kind == AmendmentKind.BUDGET_REALLOCATION:
        if changes.get("mode") == "categories":
            description = " ".join(str(changes.get("description") or "").split())
            if len(description) < MIN_JUSTIFICATION:
                raise GrantError(
                    _l(
                        "Describe what moves between which cost categories, in at least %(min)d characters.",
                        min=MIN_JUSTIFICATION,
                    ),
                    field="description",
                )
            if len(description) > TEXT_MAX:
                raise GrantError(_l("Use at most %(max)d characters.", max=TEXT_MAX), field="description")
            moved = _amount(changes.get("amount"), "amount")
            if moved <= 0:
                raise GrantError(_l("Enter the amount moved between categories."), field="amount")
            if moved > grant.amount:
                raise GrantError(
                    _l(
                        "The amount moved (%(moved)s) cannot be more than the grant's %(amount)s.",
                        moved=_money(moved),
                        amount=_money(grant.amount),
                    ),
                    field="amount",
                )
            return {"mode": "categories", "description": description, "amount": str(moved)}
        funded = grant.funded_organisations
        given = {str(k): v for k, v in (changes.get("shares") or {}).items()}
        shares: dict[str, str] = {}
        total = Decimal("0.00")
        for row in funded:
            key = str(row.organisation_id)
            if given.get(key) in (None, ""):
                raise GrantError(
                    _l("Enter the new share of %(organisation)s.", organisation=row.organisation.name),
                    field=f"share-{key}",
                )
            amount = _amount(given[key], f"share-{key}")
            shares[key] = str(amount)
            total += amount
        if set(given) - set(shares):
            raise GrantError(_l("Only the lead and the co-beneficiaries receive a share of the grant."))
        if total != grant.amount:
            if total < grant.amount:
                message = _l(
                    "The new shares total %(total)s; they must add up to the grant's %(amount)s (%(difference)s "
                    "missing).",
                    total=_money(total),
                    amount=_money(grant.amount),
                    difference=_money(grant.amount - total),
                )
            else:
                message = _l(
                    "The new shares total %(total)s; they must add up to the grant's %(amount)s (%(difference)s "
                    "too much).",
                    total=_money(total),
                    amount=_money(grant.amount),
                    difference=_money(total - grant.amount),
                )
            raise GrantError(message, field="shares")
        if all(Decimal(shares[str(r.organisation_id)]) == r.budget_share for r in funded):
            raise GrantError(_l("The new shares are the same as the current ones."), field="shares")
        return {"mode": "partners", "shares": shares}

    if kind == AmendmentKind.PARTNER_CHANGE:
        action = changes.get("action")
        try:
            organisation_id = int(changes.get("organisation_id"))
        except (TypeError, ValueError):
            organisation_id = None
        if action == "add":
            organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
            if organisation is None:
                raise GrantError(_l("Choose the organisation that joins the grant."), field="organisation_id")
            if _row(grant, organisation.id) is not None:
                raise GrantError(
                    _l("%(organisation)s already takes part in this grant.", organisation=organisation.name),
                    field="organisation_id",
                )
            role = changes.get("role")
            if role not in (GrantRole.CO_BENEFICIARY, GrantRole.ASSOCIATED):
                raise GrantError(_l("Choose the role of the new partner."), field="role")
            if role == GrantRole.ASSOCIATED:
                return {
                    "action": "add",
                    "organisation_id": organisation.id,
                    "organisation_name": organisation.name,
                    "role": role,
                    "budget_share": None,
                }
            share = _amount(changes.get("budget_share"), "budget_share")
            lead = _lead_row(grant)
            lead_share = lead.budget_share or Decimal("0.00")
            if share <= 0:
                raise GrantError(_l("Enter the new co-beneficiary's share of the grant."), field="budget_share")
            if share >= lead_share:
                raise GrantError(
                    _l(
                        "The new co-beneficiary's share (%(share)s) is taken from the lead's, which is %(lead)s: "
                        "it must be less than that.",
                        share=_money(share),
                        lead=_money(lead_share),
                    ),
                    field="budget_share",
                )
            return {
                "action": "add",
                "organisation_id": organisation.id,
                "organisation_name": organisation.name,
                "role": role,
                "budget_share": str(share),
            }
        if action == "remove":
            row = _row(grant, organisation_id) if organisation_id else None
            if row is None:
                raise GrantError(_l("Choose the organisation that leaves the grant."), field="organisation_id")
            if row.role == GrantRole.LEAD:
                raise GrantError(_l("The lead organisation cannot leave the grant."), field="organisation_id")
            return {
                "action": "remove",
                "organisation_id": row.organisation_id,
                "organisation_name": row.organisation.name,
            }
        raise GrantError(_l("Choose whether a partner joins or leaves the grant."), field="action")

    raise GrantError(_l("Choose the kind of amendment."), field="kind")


def request_amendment(grant: Grant, *, kind: str, changes: dict, justification: str, by) -> Amendment:
    if not grant.can_request_amendment(by):
        raise GrantError(_l("Only the lead organisation's users and the facility's managers request amendments."))
    if not grant.is_open:
        raise GrantError(_l("The grant is over: its terms can no longer change."))
    pending = next((a for a in grant.amendments if a.status == AmendmentStatus.REQUESTED), None)
    if pending is not None:
        raise GrantError(
            _l(
                "Amendment %(number)d is waiting for a decision: a new one can be requested once it is decided.",
                number=pending.number,
            )
        )
    justification = (justification or "").strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise GrantError(
            _l("Justify the amendment in at least %(min)d characters.", min=MIN_JUSTIFICATION), field="justification"
        )
    if len(justification) > TEXT_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=TEXT_MAX), field="justification")
    checked = check_changes(grant, kind, changes)
    amendment = Amendment(
        number=max((a.number for a in grant.amendments), default=0) + 1,
        kind=kind,
        status=AmendmentStatus.REQUESTED.value,
        justification=justification,
        changes=checked,
        requested_at=utcnow(),
        requested_by_id=by.id,
    )
    grant.amendments.append(amendment)
    db.session.flush()
    audit.record(
        "grant.amendment_requested",
        amendment,
        actor=by,
        after={"grant": grant.agreement_number, "number": amendment.number, "kind": kind, "changes": checked},
    )
    db.session.flush()
    return amendment


def interim_dates_added(grant: Grant, new_end: dt.date) -> list[dt.date]:
    """The due dates of the interim reports that moving the end date to `new_end` adds: one for each year of
    implementation that the extension completes (the default schedule's rule: the last year, complete or not, ends
    with the final reports instead)."""
    before = years_of(grant.start_date, grant.end_date)[:-1]
    after = years_of(grant.start_date, new_end)[:-1]
    return [year.end + dt.timedelta(days=REPORT_DELAY_DAYS) for year in after[len(before) :]]


def interim_dates_of(amendment: Amendment) -> list[dt.date]:
    """For a pending no-cost extension, the interim reports its approval would add (what the page announces)."""
    if amendment.kind != AmendmentKind.NO_COST_EXTENSION or amendment.status != AmendmentStatus.REQUESTED:
        return []
    try:
        new_end = dt.date.fromisoformat(str((amendment.changes or {}).get("end_date")))
    except ValueError:
        return []
    if new_end <= amendment.grant.end_date:
        return []
    return interim_dates_added(amendment.grant, new_end)


def _add_interim_reports(grant: Grant, dues: list[dt.date]) -> list[str]:
    """The interim narrative and financial reports due on each date (unless a manager already planned the same
    one); returns the dates that gained a report, in ISO form."""
    added = []
    for due in dues:
        for kind in (ReportType.NARRATIVE, ReportType.FINANCIAL):
            if any(r.period == ReportPeriod.INTERIM and r.type == kind and r.due_date == due for r in grant.reports):
                continue
            grant.reports.append(
                GrantReport(
                    period=ReportPeriod.INTERIM.value,
                    type=kind.value,
                    title="",
                    due_date=due,
                    status=ReportStatus.DUE.value,
                )
            )
            if due.isoformat() not in added:
                added.append(due.isoformat())
    return added


def apply_changes(grant: Grant, kind: str, changes: dict) -> dict:
    """Change the grant's terms (checked before); returns what the terms gained besides the grant's own fields."""
    extra: dict = {}
    if kind == AmendmentKind.NO_COST_EXTENSION:
        new_end = dt.date.fromisoformat(changes["end_date"])
        added = _add_interim_reports(grant, interim_dates_added(grant, new_end))
        if added:
            extra["interim_reports_added"] = added
        grant.end_date = new_end
        final_due = grant.end_date + dt.timedelta(days=REPORT_DELAY_DAYS)
        for report in grant.reports:
            if report.period == ReportPeriod.FINAL and report.status != ReportStatus.APPROVED:
                report.due_date = final_due
        for tranche in grant.tranches:
            if tranche.kind == TrancheKind.BALANCE and not tranche.is_paid:
                tranche.planned_date = final_due + dt.timedelta(days=PAYMENT_DELAY_DAYS)
    elif kind == AmendmentKind.BUDGET_REALLOCATION and changes.get("mode") == "categories":
        extra["category_reallocation"] = {"description": changes["description"], "amount": changes["amount"]}
    elif kind == AmendmentKind.BUDGET_REALLOCATION:
        for row in grant.funded_organisations:
            row.budget_share = Decimal(changes["shares"][str(row.organisation_id)])
    elif kind == AmendmentKind.PARTNER_CHANGE and changes["action"] == "add":
        share = Decimal(changes["budget_share"]) if changes.get("budget_share") else None
        if share is not None:
            lead = _lead_row(grant)
            lead.budget_share = (lead.budget_share or Decimal(0)) - share
        grant.organisations.append(
            GrantOrganisation(
                organisation=db.session.get(Organisation, changes["organisation_id"]),
                role=changes["role"],
                budget_share=share,
            )
        )
    elif kind == AmendmentKind.PARTNER_CHANGE:
        row = _row(grant, changes["organisation_id"])
        if row.budget_share:
            lead = _lead_row(grant)
            lead.budget_share = (lead.budget_share or Decimal(0)) + row.budget_share
        grant.organisations.remove(row)
        db.session.delete(row)
    return extra


def _withdraw_refusal(amendment: Amendment, user) -> LazyString | str | None:
    """Why `user` may not withdraw the amendment (None when they may)."""
    from portal.accounts.models import User

    grant = amendment.grant
    if amendment.status != AmendmentStatus.REQUESTED:
        return _l(
            "Amendment %(number)d is already “%(status)s”: it can no longer be withdrawn.",
            number=amendment.number,
            status=STATUS_LABELS[AmendmentStatus(amendment.status)],
        )
    if not grant.can_request_amendment(user):
        return _l("Only the lead organisation's users and the facility's managers request amendments.")
    requester = db.session.get(User, amendment.requested_by_id) if amendment.requested_by_id else None
    if requester is not None and requester.is_staff:
        if user.id == requester.id:
            return None
        return _l(
            "Amendment %(number)d was requested by %(name)s: only they can withdraw it.",
            number=amendment.number,
            name=requester.display_name,
        )
    if grant.is_implementer(user):
        return None
    return _l(
        "Amendment %(number)d was requested by the lead organisation: only its users can withdraw it; a manager "
        "rejects it instead.",
        number=amendment.number,
    )


def can_withdraw(amendment: Amendment, user) -> bool:
    return _withdraw_refusal(amendment, user) is None


def withdraw_amendment(amendment: Amendment, *, by) -> Amendment:
    """The requester takes back a pending amendment: it is "withdrawn" and a new one may be requested."""
    refusal = _withdraw_refusal(amendment, by)
    if refusal is not None:
        raise GrantError(refusal)
    amendment.status = AmendmentStatus.WITHDRAWN.value
    audit.record(
        "grant.amendment_withdrawn",
        amendment,
        actor=by,
        before={"status": AmendmentStatus.REQUESTED.value},
        after={"status": amendment.status},
    )
    db.session.flush()
    log.info("grant %s: amendment %s withdrawn", amendment.grant.agreement_number, amendment.number)
    return amendment


def decide_amendment(amendment: Amendment, *, approve: bool, comment: str, by) -> Amendment:
    """Approve (the changes are checked again against the current terms and applied) or reject, with a comment
    (required to reject); the lead's contacts are told."""
    grant = amendment.grant
    if amendment.status != AmendmentStatus.REQUESTED:
        raise GrantError(
            _l(
                "Amendment %(number)d is already “%(status)s”.",
                number=amendment.number,
                status=STATUS_LABELS[AmendmentStatus(amendment.status)],
            )
        )
    comment = (comment or "").strip()
    if not approve and len(comment) < MIN_JUSTIFICATION:
        raise GrantError(
            _l("Give the reason for the rejection in at least %(min)d characters.", min=MIN_JUSTIFICATION),
            field="comment",
        )
    if len(comment) > TEXT_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=TEXT_MAX), field="comment")
    if approve:
        if not grant.is_open:
            raise GrantError(_l("The grant is over: its terms can no longer change."))
        checked = check_changes(grant, amendment.kind, amendment.changes)
        before = terms_of(grant)
        extra = apply_changes(grant, amendment.kind, checked)
        grant.terms_version += 1
        db.session.flush()
        amendment.terms_before = before
        amendment.terms_after = terms_of(grant) | extra
        amendment.terms_version = grant.terms_version
        amendment.status = AmendmentStatus.APPROVED.value
    else:
        amendment.status = AmendmentStatus.REJECTED.value
    amendment.decided_at = utcnow()
    amendment.decided_by_id = by.id
    amendment.decision_comment = comment
    audit.record(
        f"grant.amendment_{amendment.status}",
        amendment,
        actor=by,
        before={"status": AmendmentStatus.REQUESTED.value, "terms": amendment.terms_before},
        after={"status": amendment.status, "comment": comment, "terms": amendment.terms_after},
    )
    letters.reissue_after_amendment(amendment, by=by)  # approved: a new version of the award letter
    url = external_url("grants.view", grant_id=grant.id) + "#amendments"
    for user in lead_contacts(grant):
        mail.send(
            user.email,
            "grants_amendment_decision",
            user.locale,
            user=user,
            grant=grant,
            amendment=amendment,
            kind_label=KIND_LABELS[AmendmentKind(amendment.kind)],
            url=url,
        )
    db.session.flush()
    log.info("grant %s: amendment %s %s", grant.agreement_number, amendment.number, amendment.status)
    return amendment
