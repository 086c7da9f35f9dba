"""Administration: users and invitations (administrators), the audit log (programme managers and administrators).

The audit log is read-only here: there is no route that edits or deletes an entry."""

from __future__ import annotations

import datetime as dt
import json

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import operations
from portal.accounts.forms import ROLE_LABELS, show_error
from portal.accounts.operations import AccountError
from portal.admin import audit_exports, queries
from portal.admin.forms import AuditFilterForm, InviteStaffForm, UserFilterForm
from portal.core.access import role_required
from portal.core.i18n import select_timezone
from portal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _compact_json(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


@bp.route("/users", methods=["GET"])
@role_required("admin")
def users():
    form = UserFilterForm(formdata=request.args)
    form.role.choices = [
        SelectChoice("", _("All roles")),
        *(SelectChoice(r, label) for r, label in ROLE_LABELS.items()),
    ]
    role = form.role.data if form.role.data in ROLE_LABELS else None
    page = queries.users_page(role, request.args.get("page", 1, type=int))
    return render_template(
        "admin/users.html",
        form=form,
        role=role,
        page=page,
        invitations=queries.pending_invitations(role),
    )


@bp.route("/invitations/new", methods=["GET", "POST"])
@role_required("admin")
def invite():
    form = InviteStaffForm()
    if form.validate_on_submit():
        try:
            invitation = operations.invite_user(form.email.data, form.role.data, by=current_user._get_current_object())
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("An invitation was sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


def _audit_filters() -> tuple[AuditFilterForm, queries.AuditFilters]:
    """The filter form read from the query string, and the filters it gives. A value that is not valid is named on
    the form and left out of the filters."""
    form = AuditFilterForm(formdata=request.args)
    form.object_type.choices = [SelectChoice("", _("All types")), *map(SelectChoice, queries.audit_object_types())]
    if request.args:
        form.validate()

    def value(field):
        if field.errors:
            return None
        data = field.data
        return (data.strip() or None) if isinstance(data, str) else data

    filters = queries.AuditFilters(
        text=value(form.q),
        action=value(form.action),
        object_type=value(form.object_type),
        actor=value(form.actor),
        date_from=value(form.date_from),
        date_to=value(form.date_to),
        timezone=select_timezone(),
    )
    return form, filters


@bp.route("/audit", methods=["GET"])
@role_required("manager")
def audit_log():
    form, filters = _audit_filters()
    page = queries.audit_page(filters, request.args.get("page", 1, type=int))
    return render_template(
        "admin/audit_log.html",
        form=form,
        page=page,
        filters=filters.as_args(),
        as_json=_compact_json,
    )


def _export_refused(form):
    """An export of other entries than the ones asked for would mislead: with a filter in error, back to the page
    that names it."""
    if form.errors:
        flash(_("The export was not made: correct the filters first."), "error")
        return redirect(url_for(".audit_log", **request.args.to_dict()))
    return None


def _export_name(extension: str) -> str:
    return f"audit-log-{dt.date.today().isoformat()}.{extension}"


@bp.route("/audit/export.csv", methods=["GET"])
@role_required("manager")
def audit_export_csv():
    form, filters = _audit_filters()
    if refusal := _export_refused(form):
        return refusal
    return Response(
        stream_with_context(audit_exports.csv_lines(queries.audit_entries(filters))),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_export_name("csv")}"'},
    )


@bp.route("/audit/export.xlsx", methods=["GET"])
@role_required("manager")
def audit_export_xlsx():
    form, filters = _audit_filters()
    if refusal := _export_refused(form):
        return refusal
    return send_file(
        audit_exports.xlsx_file(queries.audit_entries(filters)),
        mimetype=audit_exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=_export_name("xlsx"),
    )
