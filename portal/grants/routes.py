"""Grant pages: the list (staff: all; applicants: their organisations' grants) and one grant with its letter."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.core.access import authenticated, load, role_required
from portal.grants import queries
from portal.grants.models import Grant

bp = Blueprint("grants", __name__)


@bp.route("/grants", methods=["GET"])
@role_required("applicant", "manager")
def list_grants():
    return render_template("grants/list.html", grants=queries.grants_for(current_user))


@bp.route("/grants/<int:grant_id>", methods=["GET"])
@authenticated
def view(grant_id: int):
    queries.preload_grant(grant_id)
    grant = load(Grant, grant_id)
    versions = sorted(grant.documents, key=lambda d: d.version, reverse=True)
    return render_template(
        "grants/view.html",
        grant=grant,
        letter=grant.current_letter,
        versions=versions,
        can_download=grant.can_download_letter(current_user),
        can_manage=grant.can_manage(current_user),
    )
