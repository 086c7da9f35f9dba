"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("calls", __name__, url_prefix=None)


@bp.route("/calls", methods=["GET"])
@public
def public_list():
    return "stub calls.public_list"


@bp.route("/calls/<int:call_id>", methods=["GET"])
@public
def public_view(call_id):
    return "stub calls.public_view"


@bp.route("/manage/calls", methods=["GET"])
@role_required("manager")
def manage_list():
    return "stub calls.manage_list"


@bp.route("/manage/calls/new", methods=["GET", "POST"])
@role_required("manager")
def create():
    return "stub calls.create"


@bp.route("/manage/calls/<int:call_id>", methods=["GET"])
@role_required("manager")
def manage_view(call_id):
    return "stub calls.manage_view"


@bp.route("/manage/calls/<int:call_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(call_id):
    return "stub calls.edit"


@bp.route("/manage/calls/<int:call_id>/publish", methods=["POST"])
@role_required("manager")
def publish(call_id):
    return "stub calls.publish"
