"""Open data, published without login: a page explaining the files, and the two files themselves, streamed (the
first bytes leave before the last grant is read)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, stream_with_context

from portal.core.access import public
from portal.opendata import giving360, iati
from portal.opendata.queries import published_grants

bp = Blueprint("opendata", __name__, url_prefix="/open-data")

# Published data changes when grants do, a few times a day at most: caches may keep it for a short while.
CACHE_CONTROL = "public, max-age=300"


@bp.route("/", methods=["GET"])
@public
def index():
    return render_template("opendata/index.html")


def _stream(pieces, mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(pieces), mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: readable by any site's scripts
    return response


@bp.route("/iati.xml", methods=["GET"])
@public
def iati_xml():
    config = current_app.config
    return _stream(iati.document(published_grants(), config), "application/xml", "iati.xml")


@bp.route("/360giving.json", methods=["GET"])
@public
def giving360_json():
    config = current_app.config
    return _stream(giving360.document(published_grants(), config), "application/json", "360giving.json")
