"""Grant pages: the list (staff: all; implementing organisations: their own), one grant with its terms, letter,
payments, reports and amendments; the manager's status changes and payment schedule; reports uploaded by the lead
and reviewed by managers; amendments requested and decided. Handlers stay thin: load and check access, call an
operation, commit or roll back, and show the page again with the messages when something is refused."""

from __future__ import annotations

import datetime as dt
import logging

from babel.lists import format_list
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.core import i18n
from portal.core.access import authenticated, load, role_required
from portal.core.downloads import send_stored
from portal.core.errors import RuleError
from portal.core.ids import whole_number
from portal.core.uploads import accepted_list
from portal.extensions import db
from portal.grants import amendments, operations, payments, queries, reporting
from portal.grants.forms import (
    AmendmentDecisionForm,
    CategoryReallocationForm,
    ExtensionForm,
    MilestoneChangeForm,
    MilestoneForm,
    PartnerChangeForm,
    PaymentForm,
    ReportUploadForm,
    ReviewForm,
    StatusForm,
    TrancheForm,
)
from portal.grants.models import AmendmentKind, Grant, GrantReport, GrantRole, Tranche

log = logging.getLogger(__name__)
bp = Blueprint("grants", __name__)


@bp.app_context_processor
def _template_helpers() -> dict:
    return {
        "my_grants_for": queries.my_grants,
        "grant_report_label": reporting.report_label,
        "grant_report_status_labels": reporting.STATUS_LABELS,
        "tranche_kind_labels": payments.KIND_LABELS,
        "amendment_kind_labels": amendments.KIND_LABELS,
        "amendment_status_labels": amendments.STATUS_LABELS,
    }


@bp.app_template_filter("iso_date")
def _iso_date(value: str | None) -> str:
    """A date kept as text in an amendment's terms ("2027-06-30"), written for the reader."""
    try:
        return i18n.date(dt.date.fromisoformat(value)) if value else "—"
    except (TypeError, ValueError):
        return str(value)


def _attach(form, exc: RuleError) -> None:
    """Show each message next to its field when the form has it, else at the top of the form."""
    for field, message in exc.errors:
        if form is not None and field and field in form:
            form[field].errors = [*form[field].errors, message]
        elif form is not None:
            form.form_errors.append(message)


def _load_grant(grant_id: int, need: str = "view") -> Grant:
    queries.preload_grant(grant_id)
    return load(Grant, grant_id, need=need)


# -- list and page ---------------------------------------------------------------------------------------------


@bp.route("/grants", methods=["GET"])
@role_required("applicant", "manager")
def list_grants():
    return render_template("grants/list.html", rows=queries.grant_rows_for(current_user), today=queries.today())


def _render_view(grant: Grant, *, status_form: StatusForm | None = None, code: int = 200):
    versions = sorted(grant.documents, key=lambda d: d.version, reverse=True)
    status_form = status_form or StatusForm(formdata=None)
    status_form.version.data = str(grant.version_id)  # the version of the grant this page shows
    today = queries.today()
    return (
        render_template(
            "grants/view.html",
            grant=grant,
            letter=grant.current_letter,
            versions=versions,
            can_download=grant.can_download_letter(current_user),
            can_manage=grant.can_manage(current_user),
            can_report=grant.can_report(current_user),
            can_amend=grant.can_request_amendment(current_user) and grant.is_open,
            moves=operations.moves_for(grant) if grant.can_manage(current_user) else [],
            status_form=status_form,
            today=today,
            overdue=grant.overdue_reports(today),
            paid=payments.paid_total(grant),
            people=queries.people_of(grant),
        ),
        code,
    )


@bp.route("/grants/<int:grant_id>", methods=["GET"])
@authenticated
def view(grant_id: int):
    return _render_view(_load_grant(grant_id))


@bp.route("/grants/<int:grant_id>/status", methods=["POST"])
@role_required("manager")
def change_status(grant_id: int):
    grant = _load_grant(grant_id, need="manage")
    form = StatusForm()
    if form.validate_on_submit():
        try:
            operations.change_status(
                grant,
                form.action.data or "",
                by=current_user,
                on=form.on.data,
                reason=form.reason.data or "",
                expected_version=whole_number(form.version.data),
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Grant %(number)s is now “%(status)s”.",
                    number=grant.agreement_number,
                    status=operations.STATUS_LABELS[grant.status],
                ),
                "success",
            )
            return redirect(url_for("grants.view", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    return _render_view(grant, status_form=form, code=422)


# -- payments --------------------------------------------------------------------------------------------------


def _report_choices(grant: Grant) -> list[SelectChoice]:
    choices = [SelectChoice(0, _("No report"))]
    for report in grant.reports:
        choices.append(
            SelectChoice(
                report.id,
                _(
                    "%(report)s, due on %(date)s",
                    report=reporting.report_label(report),
                    date=i18n.date(report.due_date),
                ),
            )
        )
    return choices


def _tranche_form(grant: Grant, tranche: Tranche | None, formdata=None) -> TrancheForm:
    prefix = f"t{tranche.id}" if tranche is not None else "new"
    form = TrancheForm(formdata=formdata, prefix=prefix, obj=None)
    form.requires_report.choices = _report_choices(grant)
    if formdata is None and tranche is not None:
        form.kind.data = tranche.kind
        form.planned_date.data = tranche.planned_date
        form.planned_amount.data = tranche.planned_amount
        form.requires_report.data = tranche.requires_report_id or 0
        form.note.data = tranche.note
        form.version.data = str(tranche.version_id)
    return form


def _render_payments(grant: Grant, *, failed: dict | None = None, code: int = 200):
    """The schedule page; `failed` holds the form that was refused, by key ("new", "t<id>", "p<id>")."""
    failed = failed or {}
    forms, pay_forms = {}, {}
    for tranche in grant.tranches:
        forms[tranche.id] = failed.get(f"t{tranche.id}") or _tranche_form(grant, tranche)
        pay_forms[tranche.id] = failed.get(f"p{tranche.id}") or PaymentForm(formdata=None, prefix=f"p{tranche.id}")
    return (
        render_template(
            "grants/payments.html",
            grant=grant,
            forms=forms,
            pay_forms=pay_forms,
            new_form=failed.get("new") or _tranche_form(grant, None),
            blockers={t.id: payments.payment_blockers(t) for t in grant.tranches if not t.is_paid},
            paid=payments.paid_total(grant),
            pre_financing=payments.pre_financing_total(grant.tranches),
            max_pre_financing=payments.max_pre_financing(grant),
            scheduled=payments.scheduled_total(grant),
            error_key=next(iter(failed), None),
        ),
        code,
    )


def _tranche_of(grant: Grant, tranche_id: int) -> Tranche:
    tranche = next((t for t in grant.tranches if t.id == tranche_id), None)
    if tranche is None:
        abort(404)
    return tranche


def _report_or_none(grant: Grant, report_id: int | None) -> GrantReport | None:
    if not report_id:
        return None
    return next((r for r in grant.reports if r.id == report_id), None)


@bp.route("/grants/<int:grant_id>/payments", methods=["GET"])
@role_required("manager")
def payment_schedule(grant_id: int):
    return _render_payments(_load_grant(grant_id, need="manage"))


@bp.route("/grants/<int:grant_id>/payments", methods=["POST"])
@role_required("manager")
def add_tranche(grant_id: int):
    grant = _load_grant(grant_id, need="manage")
    form = _tranche_form(grant, None, formdata=request.form)
    if form.validate_on_submit():
        try:
            tranche = payments.add_tranche(
                grant,
                kind=form.kind.data,
                planned_date=form.planned_date.data,
                planned_amount=form.planned_amount.data,
                requires_report=_report_or_none(grant, form.requires_report.data),
                note=form.note.data or "",
                by=current_user,
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            number = tranche.number
            db.session.commit()
            flash(_("Tranche %(number)d is added to the schedule.", number=number), "success")
            return redirect(url_for("grants.payment_schedule", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    return _render_payments(grant, failed={"new": form}, code=422)


@bp.route("/grants/<int:grant_id>/payments/<int:tranche_id>", methods=["POST"])
@role_required("manager")
def change_tranche(grant_id: int, tranche_id: int):
    grant = _load_grant(grant_id, need="manage")
    tranche = _tranche_of(grant, tranche_id)
    form = _tranche_form(grant, tranche, formdata=request.form)
    if form.validate_on_submit():
        try:
            payments.change_tranche(
                tranche,
                kind=form.kind.data,
                planned_date=form.planned_date.data,
                planned_amount=form.planned_amount.data,
                requires_report=_report_or_none(grant, form.requires_report.data),
                note=form.note.data or "",
                by=current_user,
                expected_version=whole_number(form.version.data),
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
            form.version.data = str(tranche.version_id)  # sending again is a deliberate choice
        else:
            number = tranche.number
            db.session.commit()
            flash(_("Tranche %(number)d is changed.", number=number), "success")
            return redirect(url_for("grants.payment_schedule", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    form.requires_report.choices = _report_choices(grant)
    return _render_payments(grant, failed={f"t{tranche_id}": form}, code=422)


@bp.route("/grants/<int:grant_id>/payments/<int:tranche_id>/remove", methods=["POST"])
@role_required("manager")
def remove_tranche(grant_id: int, tranche_id: int):
    grant = _load_grant(grant_id, need="manage")
    tranche = _tranche_of(grant, tranche_id)
    number = tranche.number
    try:
        payments.remove_tranche(tranche, by=current_user)
    except operations.GrantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Tranche %(number)d is removed from the schedule.", number=number), "success")
    return redirect(url_for("grants.payment_schedule", grant_id=grant_id))


@bp.route("/grants/<int:grant_id>/payments/<int:tranche_id>/pay", methods=["POST"])
@role_required("manager")
def record_payment(grant_id: int, tranche_id: int):
    grant = _load_grant(grant_id, need="manage")
    tranche = _tranche_of(grant, tranche_id)
    form = PaymentForm(prefix=f"p{tranche_id}")
    if form.validate_on_submit():
        try:
            payments.record_payment(
                tranche, paid_date=form.paid_date.data, paid_amount=form.paid_amount.data, by=current_user
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            number = tranche.number
            db.session.commit()
            flash(_("The payment of tranche %(number)d is recorded.", number=number), "success")
            return redirect(url_for("grants.payment_schedule", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    return _render_payments(grant, failed={f"p{tranche_id}": form}, code=422)


# -- reports ---------------------------------------------------------------------------------------------------


def _report_of(grant: Grant, report_id: int) -> GrantReport:
    report = _report_or_none(grant, report_id)
    if report is None:
        abort(404)
    return report


def _render_report(grant, report, *, upload_form=None, review_form=None, code: int = 200):
    return (
        render_template(
            "grants/report.html",
            grant=grant,
            report=report,
            label=reporting.report_label(report),
            upload_form=upload_form or ReportUploadForm(formdata=None),
            review_form=review_form or ReviewForm(formdata=None),
            can_report=grant.can_report(current_user),
            can_manage=grant.can_manage(current_user),
            overdue=report.is_overdue(queries.today()),
            people=queries.people_of(grant),
            accepted_kinds=accepted_list(reporting.ALLOWED_KINDS),
            today_date=queries.today(),
        ),
        code,
    )


@bp.route("/grants/<int:grant_id>/reports/<int:report_id>", methods=["GET"])
@authenticated
def report(grant_id: int, report_id: int):
    grant = _load_grant(grant_id)
    return _render_report(grant, _report_of(grant, report_id))


@bp.route("/grants/<int:grant_id>/reports/<int:report_id>/upload", methods=["POST"])
@authenticated
def upload_report(grant_id: int, report_id: int):
    grant = _load_grant(grant_id, need="report")
    report_ = _report_of(grant, report_id)
    form = ReportUploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose the file of the report.")]
        else:
            try:
                reporting.upload_report(
                    report_,
                    by=current_user,
                    filename=upload.filename,
                    data=upload.stream,
                    comment=form.comment.data or "",
                )
                db.session.commit()
            except RuleError as exc:
                db.session.rollback()
                _attach(form, exc)
            else:
                flash(_("The report is submitted; the facility will review it."), "success")
                return redirect(url_for("grants.report", grant_id=grant_id, report_id=report_id))
    grant = _load_grant(grant_id)
    return _render_report(grant, _report_of(grant, report_id), upload_form=form, code=422)


@bp.route("/grants/<int:grant_id>/reports/<int:report_id>/review", methods=["POST"])
@role_required("manager")
def review_report(grant_id: int, report_id: int):
    grant = _load_grant(grant_id, need="manage")
    report_ = _report_of(grant, report_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == "approve":
                reporting.approve_report(report_, by=current_user, comment=form.comment.data or "")
            elif form.decision.data == "changes":
                reporting.request_changes(report_, by=current_user, comment=form.comment.data or "")
            else:
                raise operations.GrantError(_("Approve the report or ask for changes."), field="decision")
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            approved = report_.status == "approved"
            db.session.commit()
            flash(
                _("The report is approved; the lead has been told.")
                if approved
                else _("Changes are requested; the lead has been told."),
                "success",
            )
            return redirect(url_for("grants.report", grant_id=grant_id, report_id=report_id))
    grant = _load_grant(grant_id)
    return _render_report(grant, _report_of(grant, report_id), review_form=form, code=422)


@bp.route("/grants/<int:grant_id>/reports/<int:report_id>/files/<int:file_id>", methods=["GET"])
@authenticated
def download_report_file(grant_id: int, report_id: int, file_id: int):
    grant = _load_grant(grant_id)  # participants and staff only; 404 for everyone else
    report_ = _report_of(grant, report_id)
    upload = next((f for f in report_.files if f.id == file_id), None)
    if upload is None:
        abort(404)
    return send_stored(
        upload.storage_key,
        filename=upload.filename,
        content_type=upload.content_type,
        sha256=upload.sha256,
        what=f"report file {upload.id} of grant {grant.id}",
    )


# -- the reporting schedule ------------------------------------------------------------------------------------
# Staff only; @authenticated and load(need="manage"): 404 for whoever may not see the grant, 403 for its participants.


def _milestone_form(report: GrantReport, formdata=None) -> MilestoneChangeForm:
    form = MilestoneChangeForm(formdata=formdata, prefix=f"r{report.id}")
    if formdata is None:
        form.title.data = report.title
        form.due_date.data = report.due_date
    return form


def _render_reporting(grant: Grant, *, failed: dict | None = None, code: int = 200):
    """The reporting schedule page; `failed` holds the form that was refused, by key ("new", "r<id>")."""
    failed = failed or {}
    waiting: dict[int, list[Tranche]] = {}
    for tranche in grant.tranches:
        if tranche.requires_report_id:
            waiting.setdefault(tranche.requires_report_id, []).append(tranche)
    return (
        render_template(
            "grants/reporting.html",
            grant=grant,
            forms={r.id: failed.get(f"r{r.id}") or _milestone_form(r) for r in grant.reports if not r.files},
            new_form=failed.get("new") or MilestoneForm(formdata=None, prefix="new"),
            waiting=waiting,
            today=queries.today(),
            error_key=next(iter(failed), None),
        ),
        code,
    )


@bp.route("/grants/<int:grant_id>/reporting", methods=["GET"])
@authenticated
def reporting_schedule(grant_id: int):
    return _render_reporting(_load_grant(grant_id, need="manage"))


@bp.route("/grants/<int:grant_id>/reporting", methods=["POST"])
@authenticated
def add_milestone(grant_id: int):
    grant = _load_grant(grant_id, need="manage")
    form = MilestoneForm(prefix="new")
    if form.validate_on_submit():
        period, _sep, type_ = (form.kind.data or "").partition(":")
        try:
            report_ = reporting.add_milestone(
                grant,
                period=period,
                type=type_,
                due_date=form.due_date.data,
                title=form.title.data or "",
                by=current_user,
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            label, due = reporting.report_label(report_), report_.due_date
            db.session.commit()
            flash(_("%(report)s, due on %(date)s, is added.", report=label, date=i18n.date(due)), "success")
            return redirect(url_for("grants.reporting_schedule", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    return _render_reporting(grant, failed={"new": form}, code=422)


@bp.route("/grants/<int:grant_id>/reporting/<int:report_id>", methods=["POST"])
@authenticated
def change_milestone(grant_id: int, report_id: int):
    grant = _load_grant(grant_id, need="manage")
    report_ = _report_of(grant, report_id)
    form = _milestone_form(report_, formdata=request.form)
    if form.validate_on_submit():
        try:
            reporting.change_milestone(
                report_, due_date=form.due_date.data, title=form.title.data or "", by=current_user
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            label = reporting.report_label(report_)
            db.session.commit()
            flash(_("%(report)s is changed.", report=label), "success")
            return redirect(url_for("grants.reporting_schedule", grant_id=grant_id))
    grant = _load_grant(grant_id, need="manage")
    report_ = _report_of(grant, report_id)
    if report_.files:  # refused because a file came in: there is no form to show it on any more
        flash(" ".join(form.form_errors) or _("A file was uploaded for this report: it can no longer change."), "error")
        return redirect(url_for("grants.reporting_schedule", grant_id=grant_id))
    return _render_reporting(grant, failed={f"r{report_id}": form}, code=422)


@bp.route("/grants/<int:grant_id>/reporting/<int:report_id>/remove", methods=["POST"])
@authenticated
def remove_milestone(grant_id: int, report_id: int):
    grant = _load_grant(grant_id, need="manage")
    report_ = _report_of(grant, report_id)
    label = reporting.report_label(report_)
    try:
        reporting.remove_milestone(report_, by=current_user)
    except operations.GrantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(report)s is removed from the reporting schedule.", report=label), "success")
    return redirect(url_for("grants.reporting_schedule", grant_id=grant_id))


# -- amendments ------------------------------------------------------------------------------------------------

AMENDMENT_FORMS = {
    "extension": ExtensionForm,
    "partners": None,  # the new shares are read from share-<organisation id> fields
    "categories": CategoryReallocationForm,
    "partner": PartnerChangeForm,
}


def _amendment_forms(grant: Grant, which: str | None = None, posted=None) -> dict:
    forms = {
        "extension": ExtensionForm(formdata=None, prefix="ext"),
        "categories": CategoryReallocationForm(formdata=None, prefix="cat"),
        "partner": PartnerChangeForm(formdata=None, prefix="partner"),
    }
    if posted is not None and which in forms:
        forms[which] = posted
    partner_form = forms["partner"]
    outside = queries.organisations_outside(grant)
    leaving = [row for row in grant.organisations if row.role != GrantRole.LEAD]
    partner_form.organisation_id.choices = (
        [SelectChoice(0, _("Choose an organisation"))]
        + [SelectChoice(o.id, _("%(name)s (joins)", name=o.name)) for o in outside]
        + [SelectChoice(row.organisation_id, _("%(name)s (leaves)", name=row.organisation.name)) for row in leaving]
    )
    return forms


def _render_amendment_request(grant, *, which=None, posted=None, share_errors=None, shares=None, justification=""):
    code = 422 if which else 200
    return (
        render_template(
            "grants/amendment_request.html",
            grant=grant,
            forms=_amendment_forms(grant, which, posted),
            which=which,
            share_errors=share_errors or [],
            shares=shares
            if shares is not None
            else {str(r.organisation_id): str(r.budget_share or "") for r in grant.funded_organisations},
            partners_justification=justification,
        ),
        code,
    )


@bp.route("/grants/<int:grant_id>/amendments/new", methods=["GET", "POST"])
@authenticated
def request_amendment(grant_id: int):
    grant = _load_grant(grant_id, need="request_amendment")
    if not grant.is_open:
        flash(_("The grant is over: its terms can no longer change."), "error")
        return redirect(url_for("grants.view", grant_id=grant_id))
    if request.method == "GET":
        return _render_amendment_request(grant)
    which = request.form.get("which", "")
    if which == "partners":
        shares = {k[6:]: v for k, v in request.form.items() if k.startswith("share-")}
        justification = request.form.get("justification", "")
        kind, changes = AmendmentKind.BUDGET_REALLOCATION.value, {"mode": "partners", "shares": shares}
        form = None
    elif which in ("extension", "categories", "partner"):
        prefix = {"extension": "ext", "categories": "cat", "partner": "partner"}[which]
        form = AMENDMENT_FORMS[which](prefix=prefix)
        if which == "partner":
            form.organisation_id.choices = []
        if not form.validate_on_submit():
            return _render_amendment_request(grant, which=which, posted=form)
        justification = form.justification.data or ""
        if which == "extension":
            kind, changes = AmendmentKind.NO_COST_EXTENSION.value, {"end_date": form.end_date.data}
        elif which == "categories":
            kind = AmendmentKind.BUDGET_REALLOCATION.value
            changes = {"mode": "categories", "description": form.description.data, "amount": form.amount.data}
            if form.amount.data is None:
                changes["amount"] = "0"
        else:
            kind = AmendmentKind.PARTNER_CHANGE.value
            changes = {
                "action": form.action.data,
                "organisation_id": form.organisation_id.data,
                "role": form.role.data,
                "budget_share": form.budget_share.data,
            }
    else:
        abort(400)
    try:
        amendment = amendments.request_amendment(
            grant, kind=kind, changes=changes, justification=justification, by=current_user
        )
    except operations.GrantError as exc:
        db.session.rollback()
        grant = _load_grant(grant_id)
        if form is None:
            return _render_amendment_request(
                grant, which=which, share_errors=exc.messages, shares=shares, justification=justification
            )
        _attach(form, exc)
        return _render_amendment_request(grant, which=which, posted=form)
    number = amendment.number
    db.session.commit()
    flash(_("Amendment %(number)d is requested; a manager will decide on it.", number=number), "success")
    return redirect(url_for("grants.view", grant_id=grant_id, _anchor="amendments"))


def _render_amendment(grant, amendment, *, form=None, code: int = 200):
    added = amendments.interim_dates_of(amendment)
    return (
        render_template(
            "grants/amendment.html",
            grant=grant,
            amendment=amendment,
            form=form or AmendmentDecisionForm(formdata=None),
            can_manage=grant.can_manage(current_user),
            can_withdraw=amendments.can_withdraw(amendment, current_user),
            interim_added=format_list([i18n.date(d) for d in added], locale=i18n.locale_code()) if added else "",
            people=queries.people_of(grant),
        ),
        code,
    )


@bp.route("/grants/<int:grant_id>/amendments/<int:amendment_id>", methods=["GET"])
@authenticated
def amendment(grant_id: int, amendment_id: int):
    grant = _load_grant(grant_id)
    found = queries.amendment_of(grant, amendment_id)
    if found is None:
        abort(404)
    return _render_amendment(grant, found)


@bp.route("/grants/<int:grant_id>/amendments/<int:amendment_id>", methods=["POST"])
@role_required("manager")
def decide_amendment(grant_id: int, amendment_id: int):
    grant = _load_grant(grant_id, need="manage")
    found = queries.amendment_of(grant, amendment_id)
    if found is None:
        abort(404)
    form = AmendmentDecisionForm()
    if form.validate_on_submit():
        try:
            if form.decision.data not in ("approve", "reject"):
                raise operations.GrantError(_("Approve or reject the amendment."), field="decision")
            amendments.decide_amendment(
                found, approve=form.decision.data == "approve", comment=form.comment.data or "", by=current_user
            )
        except operations.GrantError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            approved = found.status == "approved"
            number = found.number
            db.session.commit()
            flash(
                _("Amendment %(number)d is approved; the grant's terms are updated.", number=number)
                if approved
                else _("Amendment %(number)d is rejected.", number=number),
                "success",
            )
            return redirect(url_for("grants.amendment", grant_id=grant_id, amendment_id=amendment_id))
    grant = _load_grant(grant_id)
    return _render_amendment(grant, queries.amendment_of(grant, amendment_id), form=form, code=422)


@bp.route("/grants/<int:grant_id>/amendments/<int:amendment_id>/withdraw", methods=["POST"])
@authenticated
def withdraw_amendment(grant_id: int, amendment_id: int):
    grant = _load_grant(grant_id, need="request_amendment")
    found = queries.amendment_of(grant, amendment_id)
    if found is None:
        abort(404)
    number = found.number
    try:
        amendments.withdraw_amendment(found, by=current_user)
    except operations.GrantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Amendment %(number)d is withdrawn.", number=number), "success")
    return redirect(url_for("grants.amendment", grant_id=grant_id, amendment_id=amendment_id))
