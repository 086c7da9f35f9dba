"""Administration: users and invitations (administrators), the audit log (programme managers and administrators).

The audit log is read-only here: there is no route that edits or deletes an entry."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import operations
from portal.accounts.forms import ROLE_LABELS, show_error
from portal.accounts.operations import AccountError
from portal.admin import queries
from portal.admin.forms import AuditFilterForm, InviteStaffForm, UserFilterForm
from portal.core.access import role_required
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


@bp.route("/audit", methods=["GET"])
@role_required("manager")
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    form.object_type.choices = [SelectChoice("", _("All types")), *map(SelectChoice, queries.audit_object_types())]
    filters = {
        "action": (form.action.data or "").strip() or None,
        "object_type": form.object_type.data or None,
        "actor": (form.actor.data or "").strip() or None,
    }
    page = queries.audit_page(**filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "admin/audit_log.html",
        form=form,
        page=page,
        filters={k: v for k, v in filters.items() if v},
        as_json=_compact_json,
    )
