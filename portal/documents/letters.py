"""Letters besides the award letter's first version: rejection and reserve-list letters (one per decision), a new
version of the award letter after an approved amendment, the grant's special conditions printed in its letter, and
the bulk issue of the award letters of a call.

Like every operation: check, change, audit, flush; the render jobs are sent once the caller commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func

from portal.core import audit, facility
from portal.core.db import utcnow
from portal.documents import tasks
from portal.documents.models import Document, DocumentKind, DocumentStatus
from portal.documents.operations import DocumentError, page_counter_css, qr_svg, request_award_letter, verification_url
from portal.documents.versions import queue_new_version
from portal.extensions import db
from portal.organisations.models import Membership

log = logging.getLogger(__name__)

DECISION_KINDS = {"reject": DocumentKind.REJECTION_LETTER.value, "reserve": DocumentKind.RESERVE_LETTER.value}
SPECIAL_CONDITIONS_MAX = 5000
REISSUE_REASON_MIN = 10


def _contact(organisation_id: int) -> Membership | None:
    return db.session.scalar(
        db.select(Membership)
        .where(Membership.organisation_id == organisation_id, Membership.is_contact.is_(True))
        .order_by(Membership.id)
        .limit(1)
    )


def organisation_language(organisation_id: int) -> str:
    """The language of the organisation's contact person, if the portal speaks it; English otherwise."""
    contact = _contact(organisation_id)
    locale = contact.user.locale if contact is not None else None
    return locale if locale in current_app.config["LANGUAGES"] else "en"


# -- rejection and reserve-list letters ----------------------------------------------------------------------------


def request_decision_letter(decision, *, by) -> Document | None:
    """Queue the letter that tells the lead applicant a "reject" or "reserve" decision (an award is told by the
    award letter of its grant: nothing to do). A new decision letter of the same decision supersedes the older."""
    kind = DECISION_KINDS.get(str(decision.outcome))
    if kind is None:
        return None
    previous = db.session.scalars(
        db.select(Document).where(Document.decision_id == decision.id, Document.kind == kind)
    ).all()
    return queue_new_version(
        previous,
        tasks.task_for(kind),
        by=by,
        details={"proposal": decision.proposal.reference},
        kind=kind,
        decision=decision,
        language=organisation_language(decision.proposal.organisation_id),
    )


def decision_letter_context(document: Document) -> dict:
    """Plain data for a rejection or reserve-list letter (no ORM objects reach the template)."""
    decision = document.decision
    proposal = decision.proposal
    lead = proposal.organisation
    contact = _contact(lead.id)
    url = verification_url(document)
    # The evaluation summary the applicant reads on the portal, annexed: final scores and comments per criterion,
    # evaluators never named (portal.evaluation.summary); plain dicts for the sandbox.
    from portal.evaluation.summary import applicant_summary  # evaluation imports this module (its decision hook)

    summary = applicant_summary(proposal, document.language or "en")
    evaluation = dataclasses.asdict(summary) if summary is not None else None
    return {
        "facility_name": facility.name(),
        "signatory": facility.signatory(),
        "letter_date": utcnow().date(),
        "evaluation": evaluation,
        "max_total": evaluation["stages"][-1]["max_total"] if evaluation and evaluation["stages"] else None,
        "reference": f"{proposal.reference}/DL-v{document.version}",
        "version": document.version,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "final_score": decision.final_score,
        "decided_on": decision.decided_at.date() if decision.decided_at else None,
        "call_reference": proposal.call.reference,
        "call_title": proposal.call.title,
        "proposal_reference": proposal.reference,
        "title": proposal.title,
        "lead_name": lead.legal_name,
        "lead_acronym": lead.acronym,
        "lead_country": lead.country,
        "representative_name": lead.legal_representative or None,
        "representative_title": lead.legal_representative_title or None,
        "contact_name": contact.user.display_name if contact is not None else None,
        "verification_code": document.verification_code,
        "verification_url": url,
        "qr_svg": qr_svg(url),
        "page_counter": Markup(page_counter_css(_("Page %(page)s of %(pages)s"))),  # noqa: S704 - CSS-escaped there
    }


# -- award letters: amendments, special conditions, bulk -----------------------------------------------------------


def reissue_after_amendment(amendment, *, by) -> Document | None:
    """An approved amendment changed the grant's terms: the award letter gets a new version (the old ones stay
    downloadable, marked superseded)."""
    if str(amendment.status) != "approved":
        return None
    return request_award_letter(amendment.grant, by=by)


def set_special_conditions(grant, text: str, *, by) -> None:
    """The conditions particular to this grant, printed in its award letter (paragraphs separated by blank lines).
    They take effect in the next version of the letter."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > SPECIAL_CONDITIONS_MAX:
        raise DocumentError(_l("Use at most %(max)d characters.", max=SPECIAL_CONDITIONS_MAX))
    before = grant.special_conditions or ""
    if text == before:
        return
    grant.special_conditions = text
    audit.record(
        "grant.special_conditions_changed",
        grant,
        actor=by,
        before={"special_conditions": before},
        after={"special_conditions": text},
    )
    db.session.flush()


def call_letters(call_id: int) -> list[Document]:
    """The current (not superseded) award letter of every grant of the call."""
    from portal.grants.models import Grant

    return list(
        db.session.scalars(
            db.select(Document)
            .join(Grant, Document.grant_id == Grant.id)
            .where(
                Grant.call_id == call_id,
                Document.kind == DocumentKind.AWARD_LETTER.value,
                Document.superseded_at.is_(None),
            )
            .order_by(Grant.agreement_number)
        )
    )


def call_letter_counts(call_id: int) -> dict[str, int]:
    """How many current award letters of the call are queued, running, ready, failed (one query)."""
    from portal.grants.models import Grant

    rows = db.session.execute(
        db.select(Document.status, func.count(Document.id))
        .join(Grant, Document.grant_id == Grant.id)
        .where(
            Grant.call_id == call_id,
            Document.kind == DocumentKind.AWARD_LETTER.value,
            Document.superseded_at.is_(None),
        )
        .group_by(Document.status)
    ).all()
    counts = {status.value: 0 for status in DocumentStatus}
    counts.update(dict(rows))
    return counts


def issue_call_letters(call, *, by, reissue: bool = False, reason: str = "") -> list[Document]:
    """Queue the award letter of every grant of the call that has none ready or on its way (no current letter, or
    a failed one). With `reissue`, every grant gets a new version (the current one is superseded) — for a change
    that concerns them all (a corrected template, a new signatory) — and a reason is required and audited."""
    from portal.grants.models import Grant

    reason = (reason or "").strip()
    if reissue and len(reason) < REISSUE_REASON_MIN:
        raise DocumentError(
            _l("Give the reason for issuing every letter again in at least %(min)d characters.", min=REISSUE_REASON_MIN)
        )
    grants = db.session.scalars(db.select(Grant).where(Grant.call_id == call.id).order_by(Grant.agreement_number))
    queued = []
    for grant in grants:
        current = grant.current_letter
        if not reissue and current is not None and current.status != DocumentStatus.FAILED:
            continue
        queued.append(request_award_letter(grant, by=by))
    if not queued:
        return queued
    audit.record(
        "call.award_letters_issued",
        call,
        actor=by,
        after={"reissue": reissue, "reason": reason, "documents": [d.id for d in queued]},
    )
    db.session.flush()
    return queued


# -- the jobs page -------------------------------------------------------------------------------------------------


def recent_documents(*, days: int, status: str | None = None, limit: int = 200) -> list[Document]:
    from sqlalchemy.orm import selectinload

    from portal.evaluation.models import Decision
    from portal.proposals.models import ProposalSnapshot

    since = utcnow() - dt.timedelta(days=days)
    query = (
        db.select(Document)
        .where(Document.queued_at >= since)
        .options(
            selectinload(Document.grant),
            selectinload(Document.snapshot).selectinload(ProposalSnapshot.proposal),
            selectinload(Document.decision).selectinload(Decision.proposal),
            selectinload(Document.call),
        )
    )
    if status:
        query = query.where(Document.status == status)
    return list(db.session.scalars(query.order_by(Document.queued_at.desc(), Document.id.desc()).limit(limit)))
