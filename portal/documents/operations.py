"""Generated documents: requesting an award letter or a submission receipt, rendering it (from the Celery task),
failing and retrying it, and finding the jobs that never ran. A submission receipt is e-mailed to the person who
submitted, with its PDF, in the transaction that marks it ready (so exactly once).

The request is committed first and the render job sent after the commit (portal.core.jobs.enqueue); a job lost
on the way (broker down, worker killed) is found by `find_stalled` and re-sent by the periodic sweep."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re

from babel.numbers import format_percent
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from portal.core import audit, facility, i18n, jobs, storage
from portal.core import countries as country_names
from portal.core.db import utcnow
from portal.documents import receipts, tasks
from portal.documents.models import Document, DocumentKind, DocumentStatus
from portal.documents.versions import queue_new_version
from portal.extensions import db
from portal.grants.models import Grant, GrantOrganisation, GrantRole
from portal.organisations.models import Membership

log = logging.getLogger(__name__)

LETTER_TEMPLATE = "pdf/award_letter/letter.html"
# A render that has been "running" for longer than this is taken as lost (the worker died) and re-sent.
RUNNING_TIMEOUT = dt.timedelta(minutes=10)
MAX_ERROR_LENGTH = 2000
# What a verification code may look like in a URL; anything else is unknown without asking the database.
CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


class DocumentError(ValueError):
    """A refused document action, with a message a person can read."""


class DocumentNotFoundError(DocumentError):
    """The job names a document that does not exist (deleted, or a message left over from another database)."""


# -- requesting ---------------------------------------------------------------------------------------------------


def letter_language(grant: Grant) -> str:
    """The language of the lead organisation's contact person, if the portal speaks it; English otherwise."""
    languages = current_app.config["LANGUAGES"]
    contact = db.session.scalar(
        db.select(Membership)
        .where(Membership.organisation_id == grant.lead_organisation_id, Membership.is_contact.is_(True))
        .order_by(Membership.id)
        .limit(1)
    )
    locale = contact.user.locale if contact is not None else None
    return locale if locale in languages else "en"


def request_award_letter(grant: Grant, *, by, language: str | None = None) -> Document:
    """Queue a new version of the grant's award letter; earlier versions are marked superseded.

    The render job is sent once the caller commits."""
    if language is not None and language not in current_app.config["LANGUAGES"]:
        raise DocumentError(_l("The portal cannot write letters in “%(language)s”.", language=language))
    language = language or letter_language(grant)
    previous = db.session.scalars(
        db.select(Document).where(Document.grant_id == grant.id, Document.kind == DocumentKind.AWARD_LETTER.value)
    ).all()
    return queue_new_version(
        previous,
        tasks.render_award_letter,
        by=by,
        details={"grant": grant.agreement_number},
        kind=DocumentKind.AWARD_LETTER.value,
        grant=grant,
        language=language,
    )


# -- rendering (called by the task) -------------------------------------------------------------------------------


def _load_for_update(document_id: int) -> Document:
    document = db.session.scalar(db.select(Document).where(Document.id == document_id).with_for_update())
    if document is None:
        raise DocumentNotFoundError(f"document {document_id} does not exist")
    return document


def page_counter_css(text: str) -> str:
    """A CSS `content` value for "Page X of Y" from one translated sentence with %(page)s and %(pages)s in it,
    so that translators see the whole sentence and may reorder it."""
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", text)
    out = []
    for part in parts:
        if part == "%(page)s":
            out.append("counter(page)")
        elif part == "%(pages)s":
            out.append("counter(pages)")
        elif part:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3C ")
            out.append(f'"{escaped}"')
    return " ".join(out) or '""'


def qr_svg(data: str) -> Markup:
    """An inline SVG QR code of `data` (our own URL, generated here: safe to embed)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=0)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    return Markup(svg)  # noqa: S704 - produced by qrcode from our own URL, not from user input


def verification_url(document: Document) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{document.verification_code}"


def _percent(value, locale: str) -> str | None:
    if value is None or value >= 100:
        return None
    return format_percent(value / 100, locale=locale, decimal_quantization=False)


def tranche_labels() -> dict:
    from portal.grants.payments import KIND_LABELS

    return {str(k.value if hasattr(k, "value") else k): str(v) for k, v in KIND_LABELS.items()}


def report_labels() -> dict:
    from portal.grants.reporting import LABELS

    return {(str(p), str(t)): str(label) for (p, t), label in LABELS.items()}


def letter_context(document: Document) -> dict:
    """Plain data for the letter template (no ORM objects reach it)."""
    grant = db.session.scalar(
        db.select(Grant)
        .where(Grant.id == document.grant_id)
        .options(
            selectinload(Grant.organisations).selectinload(GrantOrganisation.organisation),
            selectinload(Grant.country_rows),
        )
    )
    lead = grant.lead_organisation
    contact = db.session.scalar(
        db.select(Membership)
        .where(Membership.organisation_id == lead.id, Membership.is_contact.is_(True))
        .order_by(Membership.id)
        .limit(1)
    )
    role_order = {GrantRole.LEAD: 0, GrantRole.CO_BENEFICIARY: 1, GrantRole.ASSOCIATED: 2}
    consortium = [
        {
            "name": row.organisation.name,
            "role": row.role,
            "country": row.organisation.country,
            "budget_share": row.budget_share,
        }
        for row in sorted(grant.organisations, key=lambda r: (role_order.get(r.role, 9), r.id))
    ]
    locale = i18n.locale_code()
    url = verification_url(document)
    tranche_names = tranche_labels()
    report_names = report_labels()
    return {
        "facility_name": facility.name(),
        "signatory": facility.signatory(),
        "letter_date": utcnow().date(),
        "reference": f"{grant.agreement_number}/AL-v{document.version}",
        "version": document.version,
        "agreement_number": grant.agreement_number,
        "call_reference": grant.call.reference,
        "call_title": grant.call.title,
        "proposal_reference": grant.proposal.reference,
        "title": grant.title,
        "amount": grant.amount,
        "start_date": grant.start_date,
        "end_date": grant.end_date,
        "duration_months": grant.duration_months,
        "countries": [
            {"name": country_names.name(row.country_code, locale), "share": _percent(row.share_pct, locale)}
            for row in grant.country_rows
        ],
        "cofinancing": grant.cofinancing,
        "total_cost": grant.amount + (grant.cofinancing or 0),
        "tranches": [
            {
                "number": t.number,
                "kind": tranche_names.get(t.kind, t.kind),
                "planned_date": t.planned_date,
                "amount": t.planned_amount,
                "condition": report_names.get((t.requires_report.period, t.requires_report.type))
                if t.requires_report is not None
                else None,
            }
            for t in sorted(grant.tranches, key=lambda t: t.number)
        ],
        "reports": [
            {
                "label": report_names.get((r.period, r.type), r.type),
                "title": r.title or "",
                "due_date": r.due_date,
            }
            for r in sorted(grant.reports, key=lambda r: (r.due_date, r.id))
        ],
        "special_conditions": [p.strip() for p in re.split(r"\n\s*\n", grant.special_conditions or "") if p.strip()],
        "representative_name": lead.legal_representative or None,
        "representative_title": lead.legal_representative_title or None,
        "lead_name": lead.legal_name,
        "lead_acronym": lead.acronym,
        "lead_country": lead.country,
        "contact_name": contact.user.display_name if contact is not None else None,
        "consortium": consortium,
        "verification_code": document.verification_code,
        "verification_url": url,
        "qr_svg": qr_svg(url),
        "page_counter": Markup(page_counter_css(_("Page %(page)s of %(pages)s"))),  # noqa: S704 - CSS-escaped above
    }


def render_award_letter_pdf(document: Document) -> bytes:
    """The letter as PDF bytes, in the document's language, from the active template of its kind (the manager's
    version, or the built-in one), in the sandbox."""
    from portal.documents import templates

    with force_locale(document.language or "en"):
        return templates.render_kind(document.kind, letter_context(document))


def render_decision_letter_pdf(document: Document) -> bytes:
    """A rejection or reserve-list letter as PDF bytes, in the document's language (portal.documents.letters)."""
    from portal.documents import letters, templates

    with force_locale(document.language or "en"):
        return templates.render_kind(document.kind, letters.decision_letter_context(document))


def render_pdf_of(document: Document) -> bytes:
    if document.is_ranked_list:
        from portal.documents import rankings

        return rankings.render_ranked_list_pdf(document)
    if document.is_receipt:
        return render_submission_receipt_pdf(document)
    if document.is_decision_letter:
        return render_decision_letter_pdf(document)
    return render_award_letter_pdf(document)


def render_submission_receipt_pdf(document: Document) -> bytes:
    """The receipt as PDF bytes, in the document's language (portal.documents.receipts)."""
    return receipts.render_submission_receipt_pdf(document)


def send_receipt(document: Document, data: bytes | None) -> None:
    receipts.send_receipt(document, data)


request_submission_receipt = receipts.request_submission_receipt


def render_document(document_id: int) -> Document:
    """Render a queued document and store it. Idempotent: a document that is ready (or failed, or being rendered
    by another worker right now) is returned unchanged.

    Unlike other operations this one commits, twice: the "running" status must be visible while the PDF is made,
    and the task that calls it is its only caller. On an exception the caller rolls back and decides."""
    document = _load_for_update(document_id)
    if document.status in (DocumentStatus.READY, DocumentStatus.FAILED):
        db.session.commit()
        return document
    if (
        document.status == DocumentStatus.RUNNING
        and document.started_at is not None
        and utcnow() - document.started_at < RUNNING_TIMEOUT
    ):
        log.info("document %s is already being rendered; this job does nothing", document_id)
        db.session.commit()
        return document
    document.status = DocumentStatus.RUNNING.value
    document.started_at = utcnow()
    document.attempts = (document.attempts or 0) + 1
    db.session.commit()

    data = render_pdf_of(document)
    key = storage.new_key("documents", ".pdf")
    storage.put(key, data)

    document = _load_for_update(document_id)
    document.storage_key = key
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.size = len(data)
    document.rendered_at = utcnow()
    document.status = DocumentStatus.READY.value
    document.error = None
    audit.record(
        "document.rendered",
        document,
        after={"sha256": document.sha256, "size": document.size, "attempts": document.attempts},
    )
    db.session.flush()
    log.info("document %s rendered (%s bytes, sha256 %s)", document_id, document.size, document.sha256)
    if document.is_receipt:
        send_receipt(document, data)
    return document


def failure_reason(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    line = getattr(exc, "line", None)  # a manager's template that cannot render: where, as the editor says it
    if line:
        message = _("Line %(line)d: %(message)s", line=line, message=message)
    return message[:MAX_ERROR_LENGTH]


def mark_retrying(document_id: int, reason: str) -> Document | None:
    """An attempt failed and another will follow: back to queued, with the reason visible meanwhile."""
    document = db.session.get(Document, document_id)
    if document is None or document.status == DocumentStatus.READY:
        return document
    document.status = DocumentStatus.QUEUED.value
    document.error = reason[:MAX_ERROR_LENGTH]
    document.queued_at = utcnow()
    db.session.flush()
    return document


def mark_failed(document_id: int, reason: str) -> Document | None:
    """The last attempt failed: the document stays failed, with the reason, until someone retries it."""
    document = db.session.get(Document, document_id)
    if document is None or document.status == DocumentStatus.READY:
        return document
    before = {"status": document.status}
    document.status = DocumentStatus.FAILED.value
    document.error = reason[:MAX_ERROR_LENGTH]
    audit.record("document.failed", document, before=before, after={"status": "failed", "error": document.error})
    db.session.flush()
    log.error("document %s failed after %s attempts: %s", document_id, document.attempts, document.error)
    if document.is_receipt:
        # The submission is recorded whatever happens to its PDF: the submitter gets the receipt without it now,
        # and the PDF by e-mail once staff have it rendered again.
        send_receipt(document, None)
    return document


def retry_document(document: Document, *, by) -> Document:
    """Send a failed document to the queue again (after the caller commits)."""
    if document.status != DocumentStatus.FAILED:
        raise DocumentError(_l("Only a document whose rendering failed can be retried."))
    before = {"status": document.status, "error": document.error}
    document.status = DocumentStatus.QUEUED.value
    document.queued_at = utcnow()
    document.started_at = None
    audit.record("document.retried", document, actor=by, before=before, after={"status": document.status})
    db.session.flush()
    jobs.enqueue(db.session(), tasks.task_for(document.kind), document.id)
    return document


# -- the sweep ----------------------------------------------------------------------------------------------------


def find_stalled(older_than_seconds: int) -> list[int]:
    """Documents whose job seems lost: queued for longer than `older_than_seconds`, or running for longer than
    ten minutes (the worker died while rendering)."""
    now = utcnow()
    queued_before = now - dt.timedelta(seconds=older_than_seconds)
    running_before = now - RUNNING_TIMEOUT
    return list(
        db.session.scalars(
            db.select(Document.id)
            .where(
                db.or_(
                    db.and_(Document.status == DocumentStatus.QUEUED.value, Document.queued_at < queued_before),
                    db.and_(Document.status == DocumentStatus.RUNNING.value, Document.started_at < running_before),
                )
            )
            .order_by(Document.id)
        )
    )


def requeue_stalled(older_than_seconds: int) -> list[int]:
    """Put every stalled document back in the queue and send its job again after the caller commits."""
    ids = find_stalled(older_than_seconds)
    now = utcnow()
    if not ids:
        return ids
    for document in db.session.scalars(db.select(Document).where(Document.id.in_(ids))):
        document.status = DocumentStatus.QUEUED.value
        document.queued_at = now
        document.started_at = None
        jobs.enqueue(db.session(), tasks.task_for(document.kind), document.id)
    db.session.flush()
    return ids


# -- reading ------------------------------------------------------------------------------------------------------


def find_by_code(code: str) -> Document | None:
    """The rendered document carrying `code`, or None for anything else (including malformed input)."""
    normalised = (code or "").strip().upper()
    if not CODE_RE.fullmatch(normalised):
        return None
    document = db.session.scalar(
        db.select(Document)
        .where(Document.verification_code == normalised)
        .options(
            selectinload(Document.grant).selectinload(Grant.lead_organisation),
            selectinload(Document.snapshot),
            selectinload(Document.call),
        )
    )
    if document is None or document.status != DocumentStatus.READY:
        return None
    return document


def latest_version(document: Document) -> int:
    """The highest version of the same document: of the grant's award letter, or of the proposal's receipts."""
    if document.is_ranked_list:
        return db.session.scalar(
            db.select(db.func.max(Document.version)).where(
                Document.kind == document.kind,
                Document.call_id == document.call_id,
                Document.stage_id == document.stage_id,
            )
        )
    if document.is_receipt:
        from portal.proposals.models import ProposalSnapshot

        return db.session.scalar(
            db.select(db.func.max(Document.version))
            .join(ProposalSnapshot, Document.snapshot_id == ProposalSnapshot.id)
            .where(
                Document.kind == document.kind,
                ProposalSnapshot.proposal_id == document.snapshot.proposal_id,
            )
        )
    if document.is_decision_letter:
        return db.session.scalar(
            db.select(db.func.max(Document.version)).where(
                Document.decision_id == document.decision_id, Document.kind == document.kind
            )
        )
    return db.session.scalar(
        db.select(db.func.max(Document.version)).where(
            Document.grant_id == document.grant_id, Document.kind == document.kind
        )
    )


def read_pdf(document: Document) -> bytes:
    if not document.is_ready or not document.storage_key:
        raise DocumentError(_l("This document is not ready yet."))
    return storage.get(document.storage_key)
