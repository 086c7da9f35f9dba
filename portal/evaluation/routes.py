"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("evaluation", __name__, url_prefix=None)


@bp.route("/evaluation", methods=["GET"])
@role_required("evaluator")
def queue():
    return "stub evaluation.queue"


@bp.route("/evaluation/assignments/<int:assignment_id>/declaration", methods=["GET", "POST"])
@role_required("evaluator")
def declare(assignment_id):
    return "stub evaluation.declare"


@bp.route("/evaluation/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required("evaluator")
def score(assignment_id):
    return "stub evaluation.score"


@bp.route("/manage/calls/<int:call_id>/assignments", methods=["GET", "POST"])
@role_required("manager")
def assign(call_id):
    return "stub evaluation.assign"


@bp.route("/manage/calls/<int:call_id>/ranking", methods=["GET"])
@role_required("manager")
def ranking(call_id):
    return "stub evaluation.ranking"


@bp.route("/manage/proposals/<int:proposal_id>/decision", methods=["GET", "POST"])
@role_required("manager")
def decide(proposal_id):
    return "stub evaluation.decide"
