"""Open data, published without login: a page explaining the files, and the two files themselves, streamed (the
first bytes leave before the last grant is read)."""

from __future__ import annotations

import click
from flask import Blueprint, Response, current_app, render_template, request, stream_with_context

from portal.core import storage
from portal.core.access import public
from portal.opendata import giving360, iati, publication
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


def _encoding(published: publication.Published) -> str | None:
    """The stored compressed copy the client accepts (Brotli before gzip, as publication.ENCODINGS orders them; a
    quality of 0 refuses, `*` accepts), or None for the plain file."""
    return next((name for name in published.encodings if request.accept_encodings[name] > 0), None)


def _published(kind: str, mimetype: str, filename: str) -> Response | None:
    """The file published ahead of time (portal/opendata/publication.py) when it describes the database as it is
    now, compressed as the client accepts; None when it is missing or out of date (a worker is then asked to publish
    again)."""
    try:
        found = publication.current_file(kind)
        if found is None:
            publication.request_publication()
            return None
        encoding = _encoding(found)
        key, size = found.encodings[encoding] if encoding else (found.key, found.size)
        etag = f'"{found.fingerprint}-{encoding}"' if encoding else f'"{found.fingerprint}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = Response(status=304)
        else:
            response = Response(storage.iter_chunks(key), mimetype=mimetype, direct_passthrough=True)
            response.headers["Content-Length"] = str(size)
        if encoding:  # Flask-Compress leaves a response that already has an encoding as it is
            response.headers["Content-Encoding"] = encoding
    except storage.StorageError:
        current_app.logger.exception("published open-data file unreadable; streaming from the database")
        return None
    response.vary.add("Accept-Encoding")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/iati.xml", methods=["GET"])
@public
def iati_xml():
    config = current_app.config
    return _published("iati", "application/xml", "iati.xml") or _stream(
        iati.document(published_grants(), config), "application/xml", "iati.xml"
    )


@bp.route("/360giving.json", methods=["GET"])
@public
def giving360_json():
    config = current_app.config
    return _published("360giving", "application/json", "360giving.json") or _stream(
        giving360.document(published_grants(), config), "application/json", "360giving.json"
    )


@bp.cli.command("publish")
@click.option("--force", is_flag=True, help="Write the files even when they are current.")
def publish_command(force: bool) -> None:
    """Write the open-data files now (`flask opendata publish`): after a deployment or a bulk import."""
    from portal.extensions import db

    written = publication.publish(force=force)
    db.session.rollback()
    click.echo("Open-data files written." if written else "Open-data files already current.")
