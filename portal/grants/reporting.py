"""Reporting on a grant: the lead organisation's users upload the report of a milestone (checked by its content,
every upload kept as a new GrantReportFile version) and it becomes "submitted"; a manager approves it or asks for
changes with a comment ("changes_requested": the lead uploads again). The lead's contacts are e-mailed on each
decision. A milestone is overdue when its due date has passed and it is not submitted (or was sent back).

Managers also edit the reporting schedule (add a milestone, change its due date or title, remove it) while the grant
is open and nobody has uploaded a file for that milestone; a milestone a tranche waits for is never removed, nor the
grant's last final narrative or financial report. A due date lies after the grant's start; a final report's on or
after its end date."""

from __future__ import annotations

import datetime as dt
import logging

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core import audit, i18n, mail, storage
from portal.core.db import utcnow
from portal.core.uploads import DEFAULT_KINDS, check_upload, store_upload
from portal.core.urls import external_url
from portal.extensions import db
from portal.grants.models import Grant, GrantReport, GrantReportFile, ReportPeriod, ReportStatus, ReportType
from portal.grants.operations import GrantError
from portal.organisations.models import Membership

log = logging.getLogger(__name__)

ALLOWED_KINDS = DEFAULT_KINDS  # PDF, Word, Excel, OpenDocument text, PNG, JPEG
COMMENT_MAX = 2000
MIN_CHANGES_COMMENT = 10
# Whole labels (not "Interim" + "narrative report"), so that each language orders its own words.
LABELS = {
    (ReportPeriod.INTERIM, ReportType.NARRATIVE): _l("Interim narrative report"),
    (ReportPeriod.INTERIM, ReportType.FINANCIAL): _l("Interim financial report"),
    (ReportPeriod.FINAL, ReportType.NARRATIVE): _l("Final narrative report"),
    (ReportPeriod.FINAL, ReportType.FINANCIAL): _l("Final financial report"),
}
STATUS_LABELS = {
    ReportStatus.DUE: _l("Due"),
    ReportStatus.SUBMITTED: _l("Submitted"),
    ReportStatus.CHANGES_REQUESTED: _l("Changes requested"),
    ReportStatus.APPROVED: _l("Approved"),
}


def report_label(report: GrantReport) -> str:
    """ "Interim financial report", "Final narrative report" (with the title a manager gave, if any)."""
    label = str(LABELS[(ReportPeriod(report.period), ReportType(report.type))])
    return f"{label} — {report.title}" if report.title else label


def lead_contacts(grant: Grant) -> list:
    """The contact person(s) of the lead organisation; every active member when nobody is marked as contact."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.organisation_id == grant.lead_organisation_id)
        .options(joinedload(Membership.user))
        .order_by(Membership.id)
    ).all()
    users = [m.user for m in memberships if m.user.active]
    return [m.user for m in memberships if m.is_contact and m.user.active] or users


def _facts(report: GrantReport) -> dict:
    return {
        "period": report.period,
        "type": report.type,
        "due_date": report.due_date,
        "status": report.status,
        "files": len(report.files),
        "review_comment": report.review_comment,
    }


def upload_report(
    report: GrantReport, *, by, filename: str | None, data, comment: str = "", field: str | None = "file"
) -> GrantReportFile:
    """Check the file by its content, store it as the report's next version and mark the report submitted.
    The file is written at once; if the caller's transaction rolls back, the caller deletes it (see routes)."""
    grant = report.grant
    if not grant.can_report(by):
        raise GrantError(_l("Only the lead organisation's users upload the reports of this grant."), field=field)
    if grant.status == "contracting":
        raise GrantError(_l("Reports are uploaded once the grant has started."), field=field)
    if report.status == ReportStatus.APPROVED:
        raise GrantError(_l("This report is approved: it can no longer change."), field=field)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=COMMENT_MAX), field="comment")
    info = check_upload(filename, data, allowed=ALLOWED_KINDS, field=field)
    key = store_upload(info, prefix="grant-reports")
    try:
        before = _facts(report)
        version = max((f.version for f in report.files), default=0) + 1
        upload = GrantReportFile(
            version=version,
            filename=info.filename,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            storage_key=key,
            comment=comment,
            uploaded_at=utcnow(),
            uploaded_by_id=by.id,
        )
        report.files.append(upload)
        report.status = ReportStatus.SUBMITTED.value
        report.submitted_at = upload.uploaded_at
        db.session.flush()
        audit.record(
            "grant.report_submitted",
            report,
            actor=by,
            before=before,
            after=_facts(report) | {"version": version, "filename": info.filename, "sha256": info.sha256},
        )
        db.session.flush()
    except Exception:
        _delete_quietly(key)
        raise
    return upload


def _decide(report: GrantReport, status: ReportStatus, *, by, comment: str) -> GrantReport:
    if report.status != ReportStatus.SUBMITTED:
        raise GrantError(
            _l(
                "Only a submitted report can be reviewed; this one is “%(status)s”.",
                status=STATUS_LABELS[ReportStatus(report.status)],
            )
        )
    before = _facts(report)
    report.status = status.value
    report.reviewed_at = utcnow()
    report.reviewed_by_id = by.id
    report.review_comment = comment
    audit.record(f"grant.report_{status.value}", report, actor=by, before=before, after=_facts(report))
    grant = report.grant
    url = external_url("grants.report", grant_id=grant.id, report_id=report.id)
    for user in lead_contacts(grant):
        mail.send(
            user.email,
            "grants_report_decision",
            user.locale,
            user=user,
            grant=grant,
            report=report,
            label=report_label,
            url=url,
        )
    db.session.flush()
    return report


def approve_report(report: GrantReport, *, by, comment: str = "") -> GrantReport:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=COMMENT_MAX), field="comment")
    return _decide(report, ReportStatus.APPROVED, by=by, comment=comment)


def request_changes(report: GrantReport, *, by, comment: str) -> GrantReport:
    comment = (comment or "").strip()
    if len(comment) < MIN_CHANGES_COMMENT:
        raise GrantError(
            _l("Say what must change, in at least %(min)d characters.", min=MIN_CHANGES_COMMENT), field="comment"
        )
    if len(comment) > COMMENT_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=COMMENT_MAX), field="comment")
    return _decide(report, ReportStatus.CHANGES_REQUESTED, by=by, comment=comment)


# -- the reporting schedule -----------------------------------------------------------------------------------------

TITLE_MAX = 200


def _date(day: dt.date) -> LazyString:
    return LazyString(i18n.date, day)


def _milestone_facts(report: GrantReport) -> dict:
    return {
        "report_id": report.id,
        "period": report.period,
        "type": report.type,
        "title": report.title,
        "due_date": report.due_date,
    }


def _check_milestone(grant: Grant, period: str, due_date: dt.date | None, title: str) -> str:
    """The title as it is kept; GrantError (tied to the form field) when a rule of the schedule is broken."""
    if not grant.is_open:
        raise GrantError(_l("The grant is closed: its reporting schedule can no longer change."))
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        raise GrantError(_l("Use at most %(max)d characters.", max=TITLE_MAX), field="title")
    if due_date is None:
        raise GrantError(_l("Enter the due date."), field="due_date")
    if due_date <= grant.start_date:
        raise GrantError(
            _l("The due date must be after the start of the grant, %(start)s.", start=_date(grant.start_date)),
            field="due_date",
        )
    if period == ReportPeriod.FINAL and due_date < grant.end_date:
        raise GrantError(
            _l("A final report is due on or after the end date of the grant, %(end)s.", end=_date(grant.end_date)),
            field="due_date",
        )
    return title


def _check_no_file(report: GrantReport, message) -> None:
    if report.files:
        raise GrantError(message)


def add_milestone(
    grant: Grant, *, period: str, type: str, due_date: dt.date | None, by, title: str = ""
) -> GrantReport:
    if period not in tuple(ReportPeriod) or type not in tuple(ReportType):
        raise GrantError(_l("Choose the kind of report."), field="kind")
    title = _check_milestone(grant, period, due_date, title)
    report = GrantReport(period=period, type=type, title=title, due_date=due_date, status=ReportStatus.DUE.value)
    grant.reports.append(report)
    db.session.flush()
    audit.record("grant.report_added", grant, actor=by, after=_milestone_facts(report))
    db.session.flush()
    return report


def change_milestone(report: GrantReport, *, due_date: dt.date | None, by, title: str = "") -> GrantReport:
    """A milestone's due date and title; its period and type stay (tranches and payment rules rest on them)."""
    _check_no_file(report, _l("A file was uploaded for this report: it can no longer change."))
    grant = report.grant
    title = _check_milestone(grant, report.period, due_date, title)
    before = _milestone_facts(report)
    report.due_date = due_date
    report.title = title
    audit.record("grant.report_changed", grant, actor=by, before=before, after=_milestone_facts(report))
    db.session.flush()
    return report


def remove_milestone(report: GrantReport, *, by) -> None:
    grant = report.grant
    if not grant.is_open:
        raise GrantError(_l("The grant is closed: its reporting schedule can no longer change."))
    _check_no_file(report, _l("A file was uploaded for this report: it cannot be removed."))
    waiting = sorted((t for t in grant.tranches if t.requires_report_id == report.id), key=lambda t: t.number)
    if waiting:
        raise GrantError(
            _l("Tranche %(number)d waits for this report: change the tranche first.", number=waiting[0].number)
        )
    if report.period == ReportPeriod.FINAL and not any(
        r is not report and r.period == report.period and r.type == report.type for r in grant.reports
    ):
        if report.type == ReportType.NARRATIVE:
            raise GrantError(_l("This is the grant's only final narrative report: a grant always keeps one."))
        raise GrantError(_l("This is the grant's only final financial report: a grant always keeps one."))
    before = _milestone_facts(report)
    grant.reports.remove(report)
    db.session.delete(report)
    audit.record("grant.report_removed", grant, actor=by, before=before)
    db.session.flush()


def is_overdue(report: GrantReport, today: dt.date | None = None) -> bool:
    return report.is_overdue(today or utcnow().date())


def _delete_quietly(key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # a left-over file is harmless; a failed request is not
        log.exception("could not delete stored file %s", key)
