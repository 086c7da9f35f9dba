"""The evaluation committee's ranked list as a generated document, like the letters: a manager asks for it, a Celery
task renders the PDF with WeasyPrint in the sandbox (plain data from portal.evaluation.exports), and it carries the
verification block (/verify/<code>).

One document per call, stage and version. Asking again makes a new version only when the ranking has changed (its
fingerprint, `source_digest`, differs from the current version's); the older versions stay downloadable, marked
superseded. Staff only: the list names evaluators and every applicant's scores (Document.can_view).

Like every operation: check, change, audit, flush; the render job is sent once the caller commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.core import facility, pdf
from portal.core.db import utcnow
from portal.documents import tasks
from portal.documents.models import Document, DocumentKind, DocumentStatus
from portal.documents.operations import DocumentError, page_counter_css, qr_svg, verification_url
from portal.documents.versions import queue_new_version
from portal.extensions import db

log = logging.getLogger(__name__)

KIND = DocumentKind.COMMITTEE_RANKING.value
TEMPLATE = "pdf/committee/ranking.html"


@dataclass
class RankedListRequest:
    document: Document
    created: bool  # False: the ranking has not changed since the current version, which is returned


def ranked_lists(call_id: int, stage_id: int) -> list[Document]:
    """Every version of the ranked list of the call's stage, newest first."""
    return list(
        db.session.scalars(
            db.select(Document)
            .where(Document.kind == KIND, Document.call_id == call_id, Document.stage_id == stage_id)
            .order_by(Document.version.desc())
        )
    )


def current_ranked_list(call_id: int, stage_id: int) -> Document | None:
    return db.session.scalar(
        db.select(Document)
        .where(
            Document.kind == KIND,
            Document.call_id == call_id,
            Document.stage_id == stage_id,
            Document.superseded_at.is_(None),
        )
        .order_by(Document.version.desc())
        .limit(1)
    )


def request_ranked_list(call, stage, *, by, language: str = "en") -> RankedListRequest:
    """Queue a new version of the ranked list of `stage`, unless the current one prints the same ranking (and has not
    failed): then it is returned as it is."""
    from portal.evaluation import committee, exports

    problem = committee.committee_problem(call, stage)
    if problem is not None:
        raise DocumentError(problem)
    digest = exports.ranking_digest(call, stage)
    previous = ranked_lists(call.id, stage.id)
    current = next((d for d in previous if d.superseded_at is None), None)
    if current is not None and current.source_digest == digest and current.status != DocumentStatus.FAILED:
        return RankedListRequest(current, created=False)
    document = queue_new_version(
        previous,
        tasks.task_for(KIND),
        by=by,
        details={"call": call.reference, "stage": stage.id, "ranking_sha256": digest},
        kind=KIND,
        call_id=call.id,
        stage_id=stage.id,
        source_digest=digest,
        language=language,
    )
    return RankedListRequest(document, created=True)


def ranked_list_context(document: Document) -> dict:
    """Plain data for the ranked list's template, in the current language."""
    from portal.evaluation import exports

    url = verification_url(document)
    return exports.ranked_list_data(document.call, document.stage) | {
        "facility_name": facility.name(),
        "signatory": facility.signatory(),
        "issued_on": utcnow().date(),
        "version": document.version,
        "verification_code": document.verification_code,
        "verification_url": url,
        "qr_svg": qr_svg(url),
        "page_counter": Markup(page_counter_css(_("Page %(page)s of %(pages)s"))),  # noqa: S704 - CSS-escaped there
    }


def render_ranked_list_pdf(document: Document) -> bytes:
    """The ranked list as PDF bytes, in the document's language, in the sandbox (called by the render task)."""
    with force_locale(document.language or "en"):
        return pdf.render_pdf(TEMPLATE, **ranked_list_context(document))


UNCHANGED = _l("The ranking has not changed since version %(version)d: that version is the current one.")
