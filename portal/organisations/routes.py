"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.route("", methods=["GET"])
@authenticated
def mine():
    return "stub organisations.mine"


@bp.route("/new", methods=["GET", "POST"])
@authenticated
def create():
    return "stub organisations.create"


@bp.route("/<int:org_id>", methods=["GET"])
@authenticated
def view(org_id):
    return "stub organisations.view"


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@authenticated
def edit(org_id):
    return "stub organisations.edit"


@bp.route("/<int:org_id>/members/invite", methods=["GET", "POST"])
@authenticated
def invite_member(org_id):
    return "stub organisations.invite_member"
