"""The staff's search box: /search?q=... finds calls, proposals, grants and organisations, grouped by kind."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from portal.core.access import role_required
from portal.search import queries

bp = Blueprint("search", __name__)


@bp.route("/search", methods=["GET"])
@role_required("manager")
def search():
    query = request.args.get("q", "").strip()
    error, results = None, None
    if query:
        if len(query) > queries.MAX_LENGTH:
            error = _("Search for at most %(n)d characters.", n=queries.MAX_LENGTH)
        elif len(query) < queries.MIN_LENGTH or not queries.words(query):
            error = _("Type at least %(n)d letters or digits.", n=queries.MIN_LENGTH)
        else:
            results = queries.search(query)
    return render_template(
        "search/results.html",
        query=query,
        error=error,
        results=results,
        limit=queries.LIMIT,
        max_length=queries.MAX_LENGTH,
    ), (400 if error else 200)
