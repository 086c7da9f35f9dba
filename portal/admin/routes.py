"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET"])
@role_required("admin")
def users():
    return "stub admin.users"


@bp.route("/invitations/new", methods=["GET", "POST"])
@role_required("admin")
def invite():
    return "stub admin.invite"


@bp.route("/audit", methods=["GET"])
@role_required("manager")
def audit_log():
    return "stub admin.audit_log"
