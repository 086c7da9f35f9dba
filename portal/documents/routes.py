"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required

bp = Blueprint("documents", __name__, url_prefix=None)


@bp.route("/documents/<int:document_id>/download", methods=["GET"])
@authenticated
def download(document_id):
    return "stub documents.download"


@bp.route("/documents/<int:document_id>/retry", methods=["POST"])
@role_required("manager")
def retry(document_id):
    return "stub documents.retry"


@bp.route("/verify/<code>", methods=["GET"])
@public
def verify(code):
    return "stub documents.verify"
