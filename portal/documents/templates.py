"""Document templates: the built-in file templates (templates/pdf/...) are the defaults; a manager's saved version
of a kind overrides its default. Every save is a new version (the history is kept), restoring the default or an
old version is audited too. Everything renders in the sandbox of portal.core.pdf with plain data only; a preview
renders on made-up sample data, never on a real grant or proposal."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.core import audit, countries, facility, pdf
from portal.core.db import utcnow
from portal.core.i18n import locale_code
from portal.documents.models import DocumentKind
from portal.documents.template_models import DocumentTemplate
from portal.extensions import db

log = logging.getLogger(__name__)

# The built-in template of every kind of document, under templates/ (the sandbox's loader reaches templates/pdf).
BUILTIN = {
    DocumentKind.AWARD_LETTER.value: "pdf/award_letter/letter.html",
    DocumentKind.REJECTION_LETTER.value: "pdf/decision_letter/rejection.html",
    DocumentKind.RESERVE_LETTER.value: "pdf/decision_letter/reserve.html",
    DocumentKind.SUBMISSION_RECEIPT.value: "pdf/submission_receipt/receipt.html",
}
# Kinds managers may rewrite. The submission receipt gets plain data built from the snapshot's JSON (receipts.
# receipt_data: dicts and lists, sections already read under the form's labels), and may import the two read-only
# partials its built-in template uses (proposals/_read.html, proposals/_budget_table.html).
EDITABLE = {
    DocumentKind.AWARD_LETTER.value: _l("Award letter"),
    DocumentKind.REJECTION_LETTER.value: _l("Rejection letter"),
    DocumentKind.RESERVE_LETTER.value: _l("Reserve-list letter"),
    DocumentKind.SUBMISSION_RECEIPT.value: _l("Submission receipt"),
}
# The name under which a template receives its data.
VARIABLE = {DocumentKind.SUBMISSION_RECEIPT.value: "receipt"}


def variable(kind: str) -> str:
    return VARIABLE.get(kind, "letter")


MAX_SOURCE = 200_000


class TemplateEditError(ValueError):
    """A refused edit, with a message a person can read (and the line of the template when known)."""

    def __init__(self, message, *, field: str = "html", line: int | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.line = line


def _check_kind(kind: str) -> None:
    if kind not in EDITABLE:
        raise TemplateEditError(_l("This kind of document cannot be edited in the portal."))


def active_template(kind: str) -> DocumentTemplate | None:
    return db.session.scalar(
        db.select(DocumentTemplate).where(DocumentTemplate.kind == kind, DocumentTemplate.active.is_(True))
    )


def versions(kind: str) -> list[DocumentTemplate]:
    return list(
        db.session.scalars(
            db.select(DocumentTemplate).where(DocumentTemplate.kind == kind).order_by(DocumentTemplate.version.desc())
        )
    )


def builtin_source(kind: str) -> str:
    root = Path(current_app.root_path).parent / "templates"
    return (root / BUILTIN[kind]).read_text(encoding="utf-8")


def render_kind(kind: str, letter: dict) -> bytes:
    """A document of `kind` as PDF from its data: the active manager's version, or the built-in template."""
    custom = active_template(kind) if kind in EDITABLE else None
    data = {variable(kind): letter}
    if custom is None:
        return pdf.render_pdf(BUILTIN[kind], **data)
    return pdf.render_pdf(source=custom.html, css=custom.css, **data)


# -- sample data for previews --------------------------------------------------------------------------------------


def sample_letter(kind: str) -> dict:
    """A made-up grant (or decision) with every field the letters use: previews never show real data."""
    from portal.documents.operations import page_counter_css, qr_svg, report_labels, tranche_labels

    if kind == DocumentKind.SUBMISSION_RECEIPT.value:
        from portal.documents.receipts import sample_receipt

        return sample_receipt()
    url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/SAMP-LE23-CODE"
    tranche = tranche_labels()  # the labels real letters print, in the preview's language
    report = report_labels()
    today = utcnow().date()
    start = dt.date(today.year + 1, 1, 1)
    common = {
        "facility_name": facility.name(),
        "signatory": facility.signatory(),
        "letter_date": today,
        "version": 1,
        "call_reference": "SAMPLE-CALL-01",
        "call_title": "Sample call for proposals",
        "proposal_reference": "SAMPLE-CALL-01-007",
        "title": "Sample action: safe and informed mobility in the Sahel",
        "lead_name": "Sample Association for Mobility",
        "lead_acronym": "SAM",
        "lead_country": "SN",
        "contact_name": "Awa Example",
        "representative_name": "Moussa Example",
        "representative_title": "Executive Director",
        "verification_code": "SAMP-LE23-CODE",
        "verification_url": url,
        "qr_svg": qr_svg(url),
        "page_counter": Markup(page_counter_css(str(_l("Page %(page)s of %(pages)s")))),  # noqa: S704
    }
    if kind != DocumentKind.AWARD_LETTER.value:
        return common | {
            "reference": "SAMPLE-CALL-01-007/DL-v1",
            "outcome": "reserve" if kind == DocumentKind.RESERVE_LETTER.value else "reject",
            "reason": "The proposal is relevant, but its work plan does not show how the activities reach the "
            "planned number of participants.",
            "final_score": Decimal("61.50"),
            "decided_on": today,
        }
    return common | {
        "reference": "SAMPLE-2026-001/AL-v1",
        "agreement_number": "SAMPLE-2026-001",
        "amount": Decimal("150000.00"),
        "cofinancing": Decimal("16666.67"),
        "total_cost": Decimal("166666.67"),
        "start_date": start,
        "end_date": dt.date(start.year + 1, 12, 31),
        "duration_months": 24,
        "countries": [
            {"name": countries.name("SN", locale_code()), "share": "60%"},
            {"name": countries.name("ML", locale_code()), "share": "40%"},
        ],
        "consortium": [
            {
                "name": "Sample Association for Mobility",
                "role": "lead",
                "country": "SN",
                "budget_share": Decimal("100000.00"),
            },
            {
                "name": "Example University of Bamako",
                "role": "co_beneficiary",
                "country": "ML",
                "budget_share": Decimal("50000.00"),
            },
            {"name": "Example Network", "role": "associated", "country": "FR", "budget_share": None},
        ],
        "tranches": [
            {
                "number": 1,
                "kind": tranche["pre_financing"],
                "planned_date": start,
                "amount": Decimal("60000.00"),
                "condition": None,
            },
            {
                "number": 2,
                "kind": tranche["further_pre_financing"],
                "planned_date": dt.date(start.year + 1, 2, 1),
                "amount": Decimal("60000.00"),
                "condition": report[("interim", "narrative")],
            },
            {
                "number": 3,
                "kind": tranche["balance"],
                "planned_date": dt.date(start.year + 2, 3, 31),
                "amount": Decimal("30000.00"),
                "condition": report[("final", "financial")],
            },
        ],
        "reports": [
            {"label": report[("interim", "narrative")], "title": "", "due_date": dt.date(start.year, 12, 31)},
            {"label": report[("final", "narrative")], "title": "", "due_date": dt.date(start.year + 2, 2, 28)},
            {"label": report[("final", "financial")], "title": "", "due_date": dt.date(start.year + 2, 2, 28)},
        ],
        "special_conditions": [
            "The first pre-financing is paid once the lead beneficiary's bank account is confirmed."
        ],
    }


def preview(kind: str, html: str, css: str, *, language: str = "en") -> bytes:
    """The PDF of a template as typed, on sample data. TemplateEditError (with the line) if it cannot render."""
    _check_kind(kind)
    _check_size(html, css)
    with force_locale(language):
        try:
            # A person waits for the preview (and for the save, which renders it in each language): a shorter budget.
            return pdf.render_pdf(
                source=html,
                css=css,
                budget=current_app.config["DOCUMENT_PREVIEW_SECONDS"],
                **{variable(kind): sample_letter(kind)},
            )
        except pdf.TemplateRenderError as exc:
            raise TemplateEditError(exc.message, line=exc.line) from exc


def _check_size(html: str, css: str) -> None:
    if not (html or "").strip():
        raise TemplateEditError(_l("The template is empty."))
    if len(html) > MAX_SOURCE or len(css or "") > MAX_SOURCE:
        raise TemplateEditError(_l("Use at most %(max)d characters.", max=MAX_SOURCE))


# -- saving and restoring ------------------------------------------------------------------------------------------


def _new_version(kind: str, html: str, css: str, note: str, *, by) -> DocumentTemplate:
    current = active_template(kind)
    if current is not None:
        current.active = False
        db.session.flush()  # the one-active index must see the old version off before the new one
    number = (
        db.session.scalar(db.select(db.func.max(DocumentTemplate.version)).where(DocumentTemplate.kind == kind)) or 0
    ) + 1
    template = DocumentTemplate(
        kind=kind,
        version=number,
        html=html,
        css=css or "",
        note=(note or "")[:300],
        active=True,
        created_by_id=getattr(by, "id", None),
        created_at=utcnow(),
    )
    db.session.add(template)
    db.session.flush()
    return template


def save_template(kind: str, html: str, css: str, *, note: str = "", by) -> DocumentTemplate:
    """A new active version of `kind`, once it renders on sample data (in English and French)."""
    _check_kind(kind)
    for language in current_app.config["LANGUAGES"]:
        preview(kind, html, css, language=language)
    previous = active_template(kind)
    template = _new_version(kind, html, css, note, by=by)
    audit.record(
        "document_template.saved",
        template,
        actor=by,
        before={"active_version": previous.version if previous else None},
        after={"kind": kind, "version": template.version, "note": template.note},
    )
    return template


def restore_version(template: DocumentTemplate, *, by) -> DocumentTemplate:
    """An old version becomes the active one again, as a new version (the history only grows)."""
    restored = save_template(
        template.kind,
        template.html,
        template.css,
        note=str(_l("Restored from version %(v)d", v=template.version)),
        by=by,
    )
    audit.record("document_template.restored", restored, actor=by, after={"from_version": template.version})
    return restored


def restore_default(kind: str, *, by) -> None:
    """Back to the built-in template: no version stays active (all are kept)."""
    _check_kind(kind)
    current = active_template(kind)
    if current is None:
        raise TemplateEditError(_l("The built-in template is already in use."))
    current.active = False
    audit.record(
        "document_template.default_restored",
        current,
        actor=by,
        before={"active_version": current.version},
        after={"active_version": None},
    )
    db.session.flush()
