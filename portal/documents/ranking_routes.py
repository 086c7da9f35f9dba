"""The committee's ranked list as a document: a manager asks for a (new) version from the committee page; the
versions, their status, downloads and the retry of a failed one are shown there (templates/documents/
_ranked_lists.html) and on the jobs page. Thin handlers: load -> check access -> operation -> commit."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from portal.calls.models import Call
from portal.core.access import load, role_required
from portal.core.i18n import locale_code
from portal.documents import rankings
from portal.documents.operations import DocumentError
from portal.documents.routes import bp
from portal.extensions import db


def committee_url(call_id: int, stage_id: int | None) -> str:
    # No "#ranked-list" here: the flashed message sits at the top of the page, just above the section, and a jump to
    # the section would hide it.
    return url_for("evaluation.committee_page", call_id=call_id, stage_id=stage_id)


@bp.route("/manage/calls/<int:call_id>/committee/ranked-list", methods=["POST"])
@role_required("manager")
def request_ranked_list(call_id: int):
    from portal.evaluation import committee

    call = load(Call, call_id, need="manage")
    stage = committee.committee_stage(call, request.form.get("stage_id", type=int))
    if stage is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(committee_url(call.id, stage.id))
    try:
        asked = rankings.request_ranked_list(call, stage, by=current_user, language=locale_code())
    except DocumentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(committee_url(call.id, stage.id))
    try:
        db.session.commit()  # the render job is sent after this commit
    except IntegrityError:  # another manager asked at the same moment: theirs is the new version
        db.session.rollback()
        flash(_("Another manager has just asked for the ranked list; it is on its way."), "info")
        return redirect(committee_url(call.id, stage.id))
    if asked.created:
        flash(
            _(
                "Version %(version)d of the ranked list is being prepared; it will be ready in a moment.",
                version=asked.document.version,
            ),
            "success",
        )
    else:
        flash(str(rankings.UNCHANGED % {"version": asked.document.version}), "info")
    return redirect(committee_url(call.id, stage.id))


@bp.app_context_processor
def _ranked_list_helpers() -> dict:
    def ranked_lists_of(call, stage):
        """The versions of the ranked list of the call's stage, for staff (an empty list for anyone else)."""
        if stage is None or not current_user.is_authenticated or not current_user.is_staff:
            return []
        return rankings.ranked_lists(call.id, stage.id)

    return {"ranked_lists_of": ranked_lists_of}
