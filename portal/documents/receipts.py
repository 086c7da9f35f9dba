"""Submission receipts: the PDF summary of a frozen proposal snapshot, and the e-mail that carries it.

A receipt describes the snapshot, never the live proposal (which may be withdrawn, reopened and changed later): its
data comes from the snapshot's JSON only. The template gets plain data, never ORM objects. The sections are
read by portal.proposals.reading from the snapshot's JSON, under the form's own translated labels, and rendered
by the macros the proposal page uses (templates/proposals/_read.html)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel.numbers import format_percent
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.accounts.models import User
from portal.core import audit, facility, mail
from portal.core import countries as country_names
from portal.core.db import utcnow
from portal.core.i18n import locale_code
from portal.core.urls import external_url
from portal.documents.models import Document, DocumentKind
from portal.documents.versions import queue_new_version
from portal.extensions import db

log = logging.getLogger(__name__)

RECEIPT_TEMPLATE = "pdf/submission_receipt/receipt.html"  # the built-in template; managers may save their own


# -- requesting ---------------------------------------------------------------------------------------------------


def receipt_language(user) -> str:
    languages = current_app.config["LANGUAGES"]
    locale = getattr(user, "locale", None)
    return locale if locale in languages else "en"


def request_submission_receipt(snapshot, *, by) -> Document:
    """Queue the receipt of a snapshot (one per snapshot) in the submitter's language; receipts of the proposal's
    earlier snapshots are marked superseded. The render job is sent once the caller commits."""
    from portal.documents import tasks
    from portal.proposals.models import ProposalSnapshot

    earlier = db.session.scalars(
        db.select(Document)
        .join(ProposalSnapshot, Document.snapshot_id == ProposalSnapshot.id)
        .where(
            Document.kind == DocumentKind.SUBMISSION_RECEIPT.value,
            ProposalSnapshot.proposal_id == snapshot.proposal_id,
            Document.superseded_at.is_(None),
        )
    ).all()
    return queue_new_version(
        earlier,
        tasks.render_submission_receipt,
        by=by,
        details={"proposal": snapshot.proposal.reference, "snapshot_version": snapshot.version},
        version=snapshot.version,  # one receipt per snapshot, numbered as the snapshot
        kind=DocumentKind.SUBMISSION_RECEIPT.value,
        snapshot=snapshot,
        language=receipt_language(by),
    )


# -- the receipt's content ----------------------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _sections(data: dict) -> list[dict]:
    """Every section of the snapshot, read under the form's own translated labels (portal.proposals.reading)."""
    from portal.proposals.reading import snapshot_sections

    return snapshot_sections(data)


def _share(value, locale: str) -> str | None:
    share = _decimal(value)
    if share is None:
        return None
    return format_percent(share / 100, locale=locale, decimal_quantization=False)


def receipt_data(
    data: dict,
    *,
    snapshot_version: int,
    sha256: str,
    created_at: dt.datetime,
    verification_code: str,
    verification_url: str,
) -> dict:
    """Plain data for the receipt template (dicts, lists, strings, numbers, dates; never ORM objects), from the JSON
    of a snapshot only: what a manager's version of the template may use, as the built-in one does."""
    from portal.documents.operations import page_counter_css, qr_svg
    from portal.proposals.reading import snapshot_budget_summary

    locale = locale_code()
    call = data.get("call") or {}
    lead = data.get("lead_organisation") or {}
    submitted_by = data.get("submitted_by") or {}
    return {
        "facility_name": facility.name(),
        "issued_on": utcnow().date(),
        "reference": data.get("reference"),
        "stage": data.get("stage"),
        "parent_reference": data.get("parent_reference"),
        "call_reference": call.get("reference"),
        "call_title": call.get("title"),
        "call_timezone": call.get("timezone") or "UTC",
        "deadline": _instant(call.get("deadline")),
        "title": data.get("title") or "",
        "summary": data.get("summary") or "",
        "lead_name": lead.get("legal_name"),
        "lead_acronym": lead.get("acronym"),
        "lead_country": lead.get("country"),
        "submitted_by": submitted_by.get("name") or submitted_by.get("email"),
        "requested_amount": _decimal(data.get("requested_amount")),
        "total_budget": _decimal(data.get("total_budget")),
        "duration_months": data.get("duration_months"),
        "jvap_domain": data.get("jvap_domain"),
        "dialogues": [d.get("name_en") or d.get("code") for d in data.get("dialogues") or []],
        "countries": [
            {"name": country_names.name(row["country"], locale), "share": _share(row.get("share_pct"), locale)}
            for row in data.get("country_shares") or [{"country": c} for c in data.get("countries") or []]
        ],
        "partners": [
            {
                "name": p.get("legal_name"),
                "country": p.get("country"),
                "role": p.get("role"),
                "status": p.get("status"),
                "budget_share": _decimal(p.get("budget_share")),
            }
            for p in data.get("partners") or []
        ],
        "budget_lines": [
            dict(line, total=_decimal(line.get("total")), unit_cost=_decimal(line.get("unit_cost")))
            for line in data.get("budget_lines") or []
        ],
        "cofinancing": [dict(c, amount=_decimal(c.get("amount"))) for c in data.get("cofinancing") or []],
        "attachments": data.get("attachments") or [],
        "sections": _sections(data),
        "budget": snapshot_budget_summary(data),
        "submitted_at": _instant(data.get("submitted_at")) or created_at,
        "snapshot_version": snapshot_version,
        "sha256": sha256,
        "verification_code": verification_code,
        "verification_url": verification_url,
        "qr_svg": qr_svg(verification_url),
        "page_counter": Markup(page_counter_css(_("Page %(page)s of %(pages)s"))),  # noqa: S704 - CSS-escaped there
    }


def receipt_context(document: Document) -> dict:
    """Plain data for the receipt template, from the document's snapshot only."""
    from portal.documents.operations import verification_url

    snapshot = document.snapshot
    return receipt_data(
        snapshot.data,
        snapshot_version=snapshot.version,
        sha256=snapshot.sha256,
        created_at=snapshot.created_at,
        verification_code=document.verification_code,
        verification_url=verification_url(document),
    )


SAMPLE_SNAPSHOT = Path(__file__).with_name("sample_snapshot.json")


def sample_receipt() -> dict:
    """The receipt of a made-up proposal (portal/documents/sample_snapshot.json): template previews never show real
    data."""
    data = json.loads(SAMPLE_SNAPSHOT.read_text(encoding="utf-8"))
    url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/SAMP-LE23-CODE"
    return receipt_data(
        data,
        snapshot_version=1,
        sha256=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
        created_at=utcnow(),
        verification_code="SAMP-LE23-CODE",
        verification_url=url,
    )


def render_submission_receipt_pdf(document: Document) -> bytes:
    """The receipt as PDF bytes, in the document's language, from the active template (a manager's version, or the
    built-in one), in the sandbox."""
    from portal.documents import templates

    with force_locale(document.language or "en"):
        return templates.render_kind(document.kind, receipt_context(document))


# -- the e-mail ---------------------------------------------------------------------------------------------------


def send_receipt(document: Document, data: bytes | None) -> None:
    """E-mail the receipt to whoever submitted (after the caller commits), with its PDF when there is one."""
    snapshot = document.snapshot
    recipient = db.session.get(User, snapshot.created_by_id) if snapshot.created_by_id else None
    if recipient is None:
        recipient = snapshot.proposal.created_by
    attachments = []
    if data is not None:
        attachments.append(mail.MailAttachment(document.filename, "application/pdf", data))
    snap = snapshot.data
    call = snap.get("call") or {}
    mail.send(
        recipient.email,
        "proposals_submitted",
        recipient.locale or "en",
        attachments=attachments,
        user=recipient,
        receipt={
            "reference": snap.get("reference"),
            "title": snap.get("title"),
            "call_reference": call.get("reference"),
            "call_title": call.get("title"),
            "call_timezone": call.get("timezone") or "UTC",
            "lead_name": (snap.get("lead_organisation") or {}).get("legal_name"),
            "requested_amount": _decimal(snap.get("requested_amount")),
            "submitted_at": _instant(snap.get("submitted_at")) or snapshot.created_at,
            "snapshot_version": snapshot.version,
            "sha256": snapshot.sha256,
            "verification_code": document.verification_code,
            "has_pdf": data is not None,
        },
        reader_tz=recipient.timezone or "UTC",
        url=external_url("proposals.view", proposal_id=snapshot.proposal_id),
    )
    audit.record(
        "document.receipt_sent",
        document,
        after={"to": recipient.email, "with_pdf": data is not None},
    )
