"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("proposals", __name__, url_prefix=None)


@bp.route("/proposals", methods=["GET"])
@authenticated
def dashboard():
    return "stub proposals.dashboard"


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@authenticated
def start(call_id):
    return "stub proposals.start"


@bp.route("/proposals/<int:proposal_id>", methods=["GET"])
@authenticated
def view(proposal_id):
    return "stub proposals.view"


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@authenticated
def edit(proposal_id):
    return "stub proposals.edit"


@bp.route("/proposals/<int:proposal_id>/submit", methods=["POST"])
@authenticated
def submit(proposal_id):
    return "stub proposals.submit"
