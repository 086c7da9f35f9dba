"""Notification pages: every signed-in user's list and e-mail settings; the administrators' outbox (what the portal
sent, is sending or failed to send, with a retry)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal.core import audit
from portal.core.access import authenticated, role_required
from portal.extensions import db
from portal.notifications import operations
from portal.notifications.forms import PreferencesForm
from portal.notifications.models import MESSAGE_STATUS_VALUES, MessageStatus, Notification, OutboxMessage

bp = Blueprint("notifications", __name__)
PER_PAGE = 50

MESSAGE_STATUS_LABELS = {
    MessageStatus.QUEUED: _l("queued"),
    MessageStatus.HELD: _l("held for the digest"),
    MessageStatus.DIGESTED: _l("sent in a digest"),
    MessageStatus.SENT: _l("sent"),
    MessageStatus.FAILED: _l("failed"),
}


@bp.app_context_processor
def _helpers() -> dict:
    def unread_notifications() -> int:
        # Called by the page header only, so e-mails and PDFs rendered with templates never query it.
        return operations.unread_count(current_user) if current_user.is_authenticated else 0

    from portal.core.uploads import format_size

    return {
        "unread_notifications": unread_notifications,
        "format_size": format_size,
        "message_status_label": lambda status: str(MESSAGE_STATUS_LABELS.get(status, status)),
    }


@bp.route("/notifications", methods=["GET"])
@authenticated
def index():
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "notifications/index.html", page=page, unread=operations.unread_count(current_user), form=FlaskForm()
    )


@bp.route("/notifications/read", methods=["POST"])
@authenticated
def mark_read():
    if FlaskForm().validate_on_submit():
        count = operations.mark_all_read(current_user)
        db.session.commit()
        if count:
            flash(_("Every notification is marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@authenticated
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        for category, delivery in operations.preferences_of(current_user).items():
            form[category].data = delivery
    elif form.validate_on_submit():
        operations.save_preferences(current_user, {c: form[c].data for c in operations.CATEGORIES})
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form)


# -- administrators ------------------------------------------------------------------------------------------------


@bp.route("/admin/outbox", methods=["GET"])
@role_required("admin")
def outbox():
    status = request.args.get("status", "")
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status in MESSAGE_STATUS_VALUES:
        query = query.where(OutboxMessage.status == status)
    else:
        status = ""
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("notifications/outbox.html", page=page, status=status, statuses=MESSAGE_STATUS_VALUES)


def _message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return message


@bp.route("/admin/outbox/<int:message_id>", methods=["GET"])
@role_required("admin")
def message(message_id: int):
    return render_template("notifications/message.html", message=_message(message_id), form=FlaskForm())


@bp.route("/admin/outbox/<int:message_id>/html", methods=["GET"])
@role_required("admin")
def message_html(message_id: int):
    """The HTML version as the recipient's mail program shows it, sandboxed: no script, no form, no same origin."""
    response = make_response(_message(message_id).html or "")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@role_required("admin")
def retry(message_id: int):
    message = _message(message_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if message.status != MessageStatus.FAILED:
        flash(_("Only a message that failed can be sent again."), "error")
    else:
        before = {"status": message.status, "error": message.error}
        message.status = MessageStatus.QUEUED.value
        message.attempts = 0
        db.session.flush()
        audit.record("outbox.retry", message, actor=current_user, before=before, after={"status": message.status})
        operations.queue(message)
        db.session.commit()
        flash(_("The message to %(to)s is queued again.", to=message.recipient), "success")
    return redirect(url_for("notifications.message", message_id=message.id))
