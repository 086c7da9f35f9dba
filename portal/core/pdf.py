"""PDF rendering: a Jinja template and its CSS, through WeasyPrint, to bytes.

The URL fetcher serves only the portal's own static files: no `file:` URLs and nothing from outside,
so a template can never make the worker read the disk or reach the network. Templates refer to static
files as `portal-static:/css/letter.css`."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

SCHEME = "portal-static:"


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_root: Path) -> None:
        super().__init__(allowed_protocols=())
        self.root = static_root.resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith(SCHEME):
            raise FatalURLFetchingError(f"PDF templates may only load the portal's static files, not {url!r}")
        path = (self.root / url[len(SCHEME) :].lstrip("/")).resolve()
        if self.root not in path.parents or not path.is_file():
            raise FatalURLFetchingError(f"no such static file: {url!r}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
        )


def html_to_pdf(html: str) -> bytes:
    """PDF/A-3b, so that letters can be archived."""
    fetcher = StaticOnlyFetcher(Path(current_app.static_folder))
    document = HTML(string=html, base_url=SCHEME + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/a-3b")


def render_pdf(template: str, **context) -> bytes:
    return html_to_pdf(render_template(template, **context))
