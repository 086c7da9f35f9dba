"""Submitting a proposal and what follows: the deadline (to the second, in the call's zone), the immutable
fingerprinted snapshot of the whole proposal, its PDF receipt, withdrawal before the deadline, reopening and
re-submission (a new snapshot each time), and the two stages of a two-stage call (a manager invites a concept note;
its lead starts the full application, pre-filled from the note).

Operations check, change, audit and flush; they never commit and never read the request. A broken rule raises
ProposalError (portal.proposals.operations) with the message a person reads."""

from __future__ import annotations

import datetime as dt
import json
import logging

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit, mail, storage
from portal.core.db import utcnow
from portal.core.i18n import instant
from portal.core.urls import external_url
from portal.evaluation import pipeline
from portal.extensions import db
from portal.proposals.models import (
    BudgetLine,
    CofinancingSource,
    PartnerStatus,
    Proposal,
    ProposalAttachment,
    ProposalCountry,
    ProposalPartner,
    ProposalSection,
    ProposalSnapshot,
    ProposalStage,
    ProposalStatus,
)
from portal.proposals.states import IllegalTransitionError, transition

log = logging.getLogger(__name__)

FULL_APPLICATION_SUFFIX = "-FA"


def _ops():
    """portal.proposals.operations, imported when first needed: it re-exports this module's functions so that older
    imports keep working, so a top-level import here would be circular whichever module is imported first."""
    from portal.proposals import operations

    return operations


def _error(message: str, field: str | None = None):
    return _ops().ProposalError(message, field=field)


# -- snapshots are never changed ----------------------------------------------------------------------------------


@event.listens_for(ProposalSnapshot, "before_update")
def _snapshots_are_immutable(mapper, connection, target) -> None:
    raise RuntimeError(
        f"proposal snapshot {target.id} (version {target.version}) is immutable; submit again for a new version"
    )


# -- deadlines -----------------------------------------------------------------------------------------------------


def submission_deadline(proposal: Proposal) -> dt.datetime:
    """The instant before which this proposal's stage must be submitted."""
    return proposal.call.deadline_for(proposal.stage)


def stage_deadline_message(proposal: Proposal) -> str:
    call = proposal.call
    return _(
        "The deadline for this call was %(deadline)s; submissions are no longer accepted.",
        deadline=instant(submission_deadline(proposal), call.timezone),
    )


def deadline_problem(proposal: Proposal, now: dt.datetime | None = None) -> str | None:
    """Why the proposal cannot be submitted now because of the calendar, or None. Full applications are due by the
    call's full-application deadline, whatever the call's own status (it is usually in evaluation by then)."""
    now = now or utcnow()
    call = proposal.call
    if now >= submission_deadline(proposal):
        return stage_deadline_message(proposal)
    if proposal.stage == ProposalStage.FULL_APPLICATION and proposal.parent_id is not None:
        return None
    return _ops().call_not_open_message(call, now)


def submission_problems(proposal: Proposal, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Everything that stands between the draft and its submission, as (anchor, message) pairs: the deadline of its
    stage, every section, the budget, the consortium and the required attachments (portal.proposals.operations)."""
    return _ops().validate_for_submission(proposal, now or utcnow())


# -- the snapshot --------------------------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _str(value) -> str | None:
    return str(value) if value is not None else None


def _partner_name(partner: ProposalPartner | None) -> str:
    if partner is None:
        return ""
    if partner.organisation is not None:
        return partner.organisation.legal_name
    return partner.invited_name or partner.invited_email or ""


def proposal_document(proposal: Proposal, *, version: int, submitted_by) -> dict:
    """The whole proposal as plain JSON data, as it stands at submission: every field, the content of every section,
    the countries with their shares, the consortium with the partners' statuses, the budget and its co-financing,
    and the attachments by fingerprint."""
    call, org = proposal.call, proposal.organisation
    domain = proposal.jvap_domain
    return {
        "snapshot_version": version,
        "reference": proposal.reference,
        "status": proposal.status,
        "stage": proposal.stage,
        "parent_reference": proposal.parent.reference if proposal.parent is not None else None,
        "call": {
            "id": call.id,
            "reference": call.reference,
            "title": call.title,
            "timezone": call.timezone,
            "deadline": _iso(submission_deadline(proposal)),
        },
        "lead_organisation": {
            "id": org.id,
            "legal_name": org.legal_name,
            "acronym": org.acronym,
            "type": org.type,
            "country": org.country,
            "registration_number": org.registration_number,
        },
        "title": proposal.title,
        "summary": proposal.summary,
        "requested_amount": _str(proposal.requested_amount),
        "total_budget": _str(proposal.total_budget),
        "currency": "EUR",
        "duration_months": proposal.duration_months,
        "countries": sorted(proposal.countries),
        "country_shares": [
            {"country": row.country_code, "share_pct": _str(row.share_pct)}
            for row in sorted(proposal.country_rows, key=lambda r: r.country_code)
        ],
        "jvap_domain": {"number": domain.number, "name_en": domain.name_en} if domain else None,
        "dialogues": [{"code": d.code, "name_en": d.name_en} for d in proposal.dialogues],
        "partners": [
            {
                "organisation_id": p.organisation_id,
                "legal_name": _partner_name(p),
                "country": p.organisation.country if p.organisation is not None else None,
                "role": p.role,
                "status": p.status,
                "budget_share": _str(p.budget_share),
                "invited_at": _iso(p.invited_at),
                "responded_at": _iso(p.responded_at),
                "confirmed_at": _iso(p.confirmed_at),
            }
            for p in proposal.partners
        ],
        "sections": {
            s.key: {"data": s.data or {}, "version": s.version_id, "updated_at": _iso(s.updated_at)}
            for s in proposal.sections
        },
        "budget_lines": [
            {
                "partner_id": line.partner_id,
                "partner": _partner_name(line.partner) if line.partner_id else org.legal_name,
                "category": line.category,
                "description": line.description,
                "unit": line.unit,
                "quantity": _str(line.quantity),
                "unit_cost": _str(line.unit_cost),
                "total": _str(line.total),
            }
            for line in proposal.budget_lines
        ],
        "cofinancing": [
            {"source": c.source, "amount": _str(c.amount), "secured": bool(c.secured)} for c in proposal.cofinancing
        ],
        "attachments": [
            {
                "id": a.id,
                "kind": a.kind,
                "requirement": a.requirement.label if a.requirement is not None else None,
                "title": a.title,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_at": _iso(a.uploaded_at),
            }
            for a in proposal.attachments
        ],
        "submitted_at": _iso(proposal.submitted_at),
        "submitted_by": {
            "id": submitted_by.id,
            "email": submitted_by.email,
            "name": getattr(submitted_by, "display_name", None),
        },
    }


def latest_snapshot_version(proposal: Proposal) -> int:
    return (
        db.session.scalar(select(func.max(ProposalSnapshot.version)).where(ProposalSnapshot.proposal_id == proposal.id))
        or 0
    )


# -- submitting ----------------------------------------------------------------------------------------------------


def submit_proposal(proposal: Proposal, *, by, now: dt.datetime | None = None) -> Proposal:
    """Submit the draft: the deadline of its stage (to the second), completeness, status changed, a new fingerprinted
    snapshot frozen (version 1, 2, ... for each submission), and its PDF receipt queued; the receipt is e-mailed to
    `by` with the PDF once it is rendered (after commit)."""
    from portal.documents.operations import request_submission_receipt

    ops = _ops()
    now = now or utcnow()
    if not proposal.is_draft:
        raise _error(_("This proposal has already been submitted."))
    if not proposal.can_submit(by):
        raise _error(_("Only the lead applicant's users can submit the proposal."))
    problems = submission_problems(proposal, now)
    if problems:
        raise ops.ProposalError(list(problems))
    transition(proposal, ProposalStatus.SUBMITTED, by=by, at=now)
    pipeline.pin(proposal)
    version = latest_snapshot_version(proposal) + 1
    data = json.loads(ops.canonical_json(proposal_document(proposal, version=version, submitted_by=by)))
    snapshot = ProposalSnapshot(
        proposal=proposal, version=version, data=data, sha256=ops.fingerprint(data), created_by_id=by.id, created_at=now
    )
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        "proposal.snapshot",
        proposal,
        actor=by,
        after={"snapshot_version": version, "sha256": snapshot.sha256},
    )
    request_submission_receipt(snapshot, by=by)
    db.session.flush()
    return proposal


# -- withdrawing and reopening --------------------------------------------------------------------------------------


WITHDRAWAL_REASON_MAX = 2000


def withdraw_proposal(proposal: Proposal, *, by, reason: str = "", now: dt.datetime | None = None) -> Proposal:
    """The lead withdraws its submitted proposal, before the deadline of its stage. Its snapshots stay as they were."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if proposal.status != ProposalStatus.SUBMITTED:
        raise _error(_("Only a submitted proposal that is not yet under review can be withdrawn."))
    if not proposal.can_withdraw(by):
        raise _error(_("Only the lead applicant's users can withdraw the proposal."))
    if now >= submission_deadline(proposal):
        raise _error(
            _(
                "The deadline was %(deadline)s: a proposal can no longer be withdrawn after it.",
                deadline=instant(submission_deadline(proposal), proposal.call.timezone),
            )
        )
    if len(reason) > WITHDRAWAL_REASON_MAX:
        raise _error(_("Use at most %(max)d characters.", max=WITHDRAWAL_REASON_MAX), field="reason")
    transition(proposal, ProposalStatus.WITHDRAWN, by=by, reason=reason, at=now)
    db.session.flush()
    return proposal


def can_reopen(proposal: Proposal, user, now: dt.datetime | None = None) -> bool:
    return (
        proposal.status == ProposalStatus.WITHDRAWN
        and proposal.is_applicant_member(user)
        and (now or utcnow()) < submission_deadline(proposal)
    )


def reopen_proposal(proposal: Proposal, *, by, now: dt.datetime | None = None) -> Proposal:
    """A withdrawn proposal becomes a draft again (before the deadline), to be changed and submitted anew."""
    now = now or utcnow()
    if proposal.status != ProposalStatus.WITHDRAWN:
        raise _error(_("Only a withdrawn proposal can be reopened as a draft."))
    if not proposal.is_applicant_member(by):
        raise _error(_("Only the lead applicant's users can reopen the proposal."))
    if now >= submission_deadline(proposal):
        raise _error(stage_deadline_message(proposal))
    transition(proposal, ProposalStatus.DRAFT, by=by, reason="reopened after withdrawal", at=now)
    # The earlier submission stays in its snapshot; the draft is no longer "submitted".
    proposal.submitted_at = None
    db.session.flush()
    return proposal


# -- two-stage calls --------------------------------------------------------------------------------------------------


def can_invite_full_application(proposal: Proposal, user) -> bool:
    return (
        bool(user.is_authenticated)
        and user.is_staff
        and proposal.call.is_two_stage
        and proposal.stage == ProposalStage.CONCEPT_NOTE
        and proposal.status in (ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW)
    )


def invite_full_application(proposal: Proposal, *, by, now: dt.datetime | None = None) -> Proposal:
    """A manager invites a concept note's lead to submit a full application (status "invited"); the lead is told."""
    now = now or utcnow()
    if not (by.is_authenticated and by.is_staff):
        raise _error(_("Only programme managers can invite a full application."))
    if not proposal.call.is_two_stage or proposal.stage != ProposalStage.CONCEPT_NOTE:
        raise _error(_("Only a concept note under a two-stage call can be invited to the full-application stage."))
    # A shortlisted concept note is invited too (portal.evaluation.committee invites the whole shortlist at once).
    if proposal.status not in (ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW, ProposalStatus.SHORTLISTED):
        raise _error(_("Only a submitted concept note can be invited to the full-application stage."))
    try:
        if proposal.status == ProposalStatus.SUBMITTED:
            # The state machine goes through review: the invitation is the review's outcome.
            transition(proposal, ProposalStatus.UNDER_REVIEW, by=by, reason="invited to full application", at=now)
        transition(proposal, ProposalStatus.INVITED, by=by, at=now)
    except IllegalTransitionError as exc:
        raise _error(str(exc)) from exc
    db.session.flush()
    recipient = _lead_contact(proposal)
    call = proposal.call
    mail.send(
        recipient.email,
        "proposals_invited",
        recipient.locale or "en",
        user=recipient,
        proposal=proposal,
        call=call,
        deadline=call.full_application_closes_at,
        reader_tz=recipient.timezone or "UTC",
        url=external_url("proposals.view", proposal_id=proposal.id),
    )
    return proposal


def _lead_contact(proposal: Proposal):
    """Who hears about the proposal: the user who last submitted it, else who started it."""
    last = db.session.scalar(
        select(ProposalSnapshot)
        .where(ProposalSnapshot.proposal_id == proposal.id)
        .order_by(ProposalSnapshot.version.desc())
        .limit(1)
    )
    if last is not None and last.created_by_id is not None:
        from portal.accounts.models import User

        user = db.session.get(User, last.created_by_id)
        if user is not None and user.is_active:
            return user
    return proposal.created_by


def can_start_full_application(note: Proposal, user) -> bool:
    return (
        note.stage == ProposalStage.CONCEPT_NOTE
        and note.status == ProposalStatus.INVITED
        and note.full_application is None
        and note.is_applicant_member(user)
    )


def start_full_application(note: Proposal, *, by, now: dt.datetime | None = None) -> Proposal:
    """The lead of an invited concept note starts its full application: a new draft (reference "<note>-FA"),
    pre-filled from the note. One full application per note."""
    now = now or utcnow()
    call = note.call
    if note.stage != ProposalStage.CONCEPT_NOTE or not call.is_two_stage:
        raise _error(_("Only a concept note under a two-stage call has a full application."))
    if not note.is_applicant_member(by):
        raise _error(_("Only the lead applicant's users can start the full application."))
    if note.status != ProposalStatus.INVITED:
        raise _error(
            _("This concept note has not been invited to the full-application stage, so it has no full application.")
        )
    if note.full_application is not None:
        raise _error(
            _(
                "The full application of this concept note has already been started: %(reference)s.",
                reference=note.full_application.reference,
            )
        )
    deadline = call.deadline_for(ProposalStage.FULL_APPLICATION)
    if now >= deadline:
        raise _error(
            _(
                "The deadline for full applications was %(deadline)s; it is too late to start one.",
                deadline=instant(deadline, call.timezone),
            )
        )
    application = Proposal(
        reference=f"{note.reference}{FULL_APPLICATION_SUFFIX}",
        call_id=call.id,
        organisation_id=note.organisation_id,
        created_by_id=by.id,
        stage=ProposalStage.FULL_APPLICATION.value,
        parent_id=note.id,
        status=ProposalStatus.DRAFT.value,
        title=note.title,
        summary=note.summary,
        requested_amount=note.requested_amount,
        total_budget=note.total_budget,
        duration_months=note.duration_months,
        jvap_domain_id=note.jvap_domain_id,
        created_at=now,
    )
    try:
        # A savepoint: a second request starting the same application at the same moment fails alone.
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        raise _error(_("The full application of this concept note has already been started.")) from None
    db.session.expire(note, ["full_application"])  # set through parent_id: let the note load it again
    _copy_content(note, application)
    db.session.flush()
    audit.record(
        "proposal.created",
        application,
        actor=by,
        after={
            "reference": application.reference,
            "call": call.reference,
            "organisation_id": application.organisation_id,
            "stage": application.stage,
            "from_concept_note": note.reference,
        },
    )
    db.session.flush()
    return application


def _copy_content(note: Proposal, application: Proposal) -> None:
    """Everything the applicant wrote in the concept note, into the new draft: dialogues, countries with their shares,
    sections (but the declarations), the consortium as it stands (accepted partners only, still accepted), the
    budget and co-financing."""
    application.dialogues = list(note.dialogues)
    application.country_rows = [
        ProposalCountry(country_code=row.country_code, share_pct=row.share_pct) for row in note.country_rows
    ]
    # Not the declarations: they vouch for the content submitted ("accurate and complete"), which the full
    # application does not have yet; the lead's users make them again before submitting it.
    application.sections = [
        ProposalSection(key=s.key, data=json.loads(json.dumps(s.data or {})))
        for s in note.sections
        if s.key != "declarations"
    ]
    partners: dict[int, ProposalPartner] = {}
    for old in note.partners:
        if old.status != PartnerStatus.ACCEPTED:
            continue
        new = ProposalPartner(
            organisation_id=old.organisation_id,
            role=old.role,
            budget_share=old.budget_share,
            status=old.status,
            invited_email=old.invited_email,
            invited_name=old.invited_name,
            invited_at=old.invited_at,
            invited_by_id=old.invited_by_id,
            responded_at=old.responded_at,
            responded_by_id=old.responded_by_id,
            confirmed_at=old.confirmed_at,
            editable_sections=list(old.editable_sections or []),
        )
        application.partners.append(new)
        partners[old.id] = new
    db.session.flush()  # the partners' ids, for the budget lines
    for line in note.budget_lines:
        if line.partner_id is not None and line.partner_id not in partners:
            continue  # a partner that never accepted is not in the consortium of the full application
        application.budget_lines.append(
            BudgetLine(
                partner_id=partners[line.partner_id].id if line.partner_id is not None else None,
                category=line.category,
                description=line.description,
                unit=line.unit,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                position=line.position,
            )
        )
    application.cofinancing = [
        CofinancingSource(source=c.source, amount=c.amount, secured=c.secured, position=c.position)
        for c in note.cofinancing
    ]
    _copy_attachments(note, application, partners)


def _copy_attachments(note: Proposal, application: Proposal, partners: dict[int, ProposalPartner]) -> None:
    """The concept note's documents that the full application asks for too (statutes, registration proof: the
    requirements of "any" stage), so that nobody uploads them twice. Each is copied into a file of its own: removing
    it from the draft must never touch what the concept note was submitted with."""
    for old in note.attachments:
        requirement = old.requirement
        if requirement is None or not requirement.applies_to(ProposalStage.FULL_APPLICATION):
            continue
        if old.partner_id is not None and old.partner_id not in partners:
            continue
        extension = "." + old.storage_key.rpartition(".")[2] if "." in old.storage_key.rpartition("/")[2] else ""
        key = storage.new_key("attachments", extension)
        storage.put(key, storage.get(old.storage_key))
        application.attachments.append(
            ProposalAttachment(
                requirement_id=old.requirement_id,
                kind=old.kind,
                partner_id=partners[old.partner_id].id if old.partner_id is not None else None,
                title=old.title,
                filename=old.filename,
                content_type=old.content_type,
                size=old.size,
                sha256=old.sha256,
                storage_key=key,
                uploaded_at=old.uploaded_at,
                uploaded_by_id=old.uploaded_by_id,
            )
        )
