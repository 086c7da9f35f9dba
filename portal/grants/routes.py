"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("grants", __name__, url_prefix=None)


@bp.route("/grants", methods=["GET"])
@authenticated
def list_grants():
    return "stub grants.list_grants"


@bp.route("/grants/<int:grant_id>", methods=["GET"])
@authenticated
def view(grant_id):
    return "stub grants.view"
