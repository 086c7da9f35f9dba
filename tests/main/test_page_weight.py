"""Slow connections: every page an applicant uses weighs at most 100 KB transferred on a first visit with an empty
cache, all assets included and compressed as a browser receives them; no asset comes from another site; static
assets are fingerprinted and cached for a year."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import brotli
import pytest

from portal.extensions import db
from portal.proposals.sections import SECTION_KEYS
from tests.grants.conftest import awarded, consortium  # noqa: F401 - shared fixtures

BUDGET = 100 * 1024
BROWSER_ENCODINGS = {"Accept-Encoding": "gzip, deflate, br"}  # what Chromium sends


class _Assets(HTMLParser):
    """The URLs a browser fetches to show the page: stylesheets, icons, scripts, images, media."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(
            (a.get("rel") or "").lower().split()
        ):
            self.urls.append(a.get("href") or "")
        elif tag in ("script", "img", "iframe", "audio", "video", "source", "embed", "input") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        for name in ("srcset",):
            if a.get(name):
                self.urls.extend(part.strip().split()[0] for part in a[name].split(",") if part.strip())
        if a.get("style"):
            self.urls.extend(_css_urls(a["style"]))


def _css_urls(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    imports = re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)
    return [u for u in urls if not u.startswith("data:")] + imports


def _decoded(response) -> str:
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "br":
        data = brotli.decompress(data)
    elif response.headers.get("Content-Encoding") == "gzip":
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8")


def page_weight(client, path: str) -> tuple[int, dict[str, int]]:
    """The bytes a browser with an empty cache receives for the page at `path` (bodies as transferred)."""
    response = client.get(path, headers=BROWSER_ENCODINGS)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    assert response.headers.get("Content-Encoding") in ("br", "gzip"), f"{path} is sent uncompressed"
    sizes = {path: len(response.get_data())}
    parser = _Assets()
    parser.feed(_decoded(response))
    queue = [(path, u) for u in parser.urls]
    while queue:
        base, url = queue.pop()
        absolute = urljoin(base, url)
        parts = urlsplit(absolute)
        assert not parts.scheme and not parts.netloc, f"{path} loads {url} from another site"
        if absolute in sizes:
            continue
        asset = client.get(absolute, headers=BROWSER_ENCODINGS)
        assert asset.status_code == 200, f"{path}: {absolute} answered {asset.status_code}"
        sizes[absolute] = len(asset.get_data())
        if parts.path.startswith("/static/"):
            assert "v=" in parts.query, f"{path}: {absolute} is not fingerprinted"
            assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        if asset.mimetype == "text/css":
            queue.extend((absolute, u) for u in _css_urls(_decoded(asset)))
    return sum(sizes.values()), sizes


def applicant_pages(consortium, awarded, make_call, make_proposal) -> list[str]:  # noqa: F811
    lead = consortium.lead_user
    call = make_call(reference="CFP-WEIGHT")
    draft = make_proposal(call, organisation=consortium.lead, created_by=lead, complete=True)
    pid = draft.id
    return [
        "/proposals",
        "/organisations",
        "/organisations/new",
        f"/organisations/{consortium.lead.id}",
        "/account",
        f"/calls/{call.id}",
        f"/calls/{make_call(reference='CFP-WEIGHT-2').id}/apply",
        f"/proposals/{pid}",
        f"/proposals/{pid}/sections",
        *(f"/proposals/{pid}/sections/{key}" for key in SECTION_KEYS if key != "budget"),
        f"/proposals/{pid}/budget",
        f"/proposals/{pid}/consortium",
        f"/proposals/{pid}/attachments",
        f"/proposals/{pid}/check",
        f"/proposals/{consortium.proposal.id}",
        "/grants",
        f"/grants/{awarded.id}",
    ]


PUBLIC_PAGES = ["/", "/calls", "/login", "/register", "/password/forgot"]


def test_public_pages_weigh_at_most_100_kb(client, make_call):
    call = make_call(reference="CFP-PUBLIC")
    for path in [*PUBLIC_PAGES, f"/calls/{call.id}"]:
        total, sizes = page_weight(client, path)
        assert total <= BUDGET, f"{path} weighs {total} bytes: {sizes}"


def test_every_applicant_page_weighs_at_most_100_kb(client, login, consortium, awarded, make_call, make_proposal):  # noqa: F811
    pages = applicant_pages(consortium, awarded, make_call, make_proposal)
    login(client, consortium.lead_user)
    weights = {}
    for path in pages:
        total, sizes = page_weight(client, path)
        weights[path] = total
        assert total <= BUDGET, f"{path} weighs {total} bytes: {sizes}"
    assert len(weights) == len(pages)
    print("heaviest applicant pages:", sorted(weights.items(), key=lambda kv: -kv[1])[:5])


class _FakeSite:
    """Answers like the test client from a dict of path -> (mimetype, body), compressed as the portal would."""

    def __init__(self, files: dict[str, tuple[str, str]]) -> None:
        self.files = files

    def get(self, url, headers=None):
        from werkzeug.wrappers import Response

        mimetype, body = self.files[url]
        data = brotli.compress(body.encode())
        response = Response(data, mimetype=mimetype, headers={"Content-Encoding": "br"})
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def test_the_measure_counts_every_asset_and_refuses_outside_ones():
    page = '<link rel="stylesheet" href="/static/a.css?v=1"><img src="/static/i.svg?v=2"><p>Hello</p>'
    site = _FakeSite(
        {
            "/p": ("text/html", page),
            "/static/a.css?v=1": ("text/css", "body{background:url('/static/font.woff2?v=3')}"),
            "/static/i.svg?v=2": ("image/svg+xml", "<svg></svg>"),
            "/static/font.woff2?v=3": ("font/woff2", "x" * 50),
        }
    )
    total, sizes = page_weight(site, "/p")
    assert set(sizes) == {"/p", "/static/a.css?v=1", "/static/i.svg?v=2", "/static/font.woff2?v=3"}
    assert total == sum(sizes.values())

    site.files["/p"] = ("text/html", '<script src="https://cdn.example.org/lib.js"></script>')
    with pytest.raises(AssertionError, match="from another site"):
        page_weight(site, "/p")
    site.files["/p"] = ("text/html", '<link rel="stylesheet" href="/static/a.css">')
    site.files["/static/a.css"] = ("text/css", "")
    with pytest.raises(AssertionError, match="not fingerprinted"):
        page_weight(site, "/p")


def test_static_assets_are_fingerprinted_and_cached_for_a_year(client, app):
    from flask import url_for

    with app.test_request_context():
        url = url_for("static", filename="css/portal.css")
    assert re.fullmatch(r"/static/css/portal\.css\?v=[0-9a-f]{12}", url)
    fresh = client.get(url, headers=BROWSER_ENCODINGS)
    assert fresh.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert fresh.headers["Content-Encoding"] in ("br", "gzip")
    assert len(fresh.get_data()) < len(client.get(url).get_data()) / 2
    # Without the fingerprint, or with an outdated one, the browser keeps the file only briefly.
    for stale in ("/static/css/portal.css", "/static/css/portal.css?v=000000000000"):
        assert client.get(stale).headers["Cache-Control"] == "public, max-age=300"
    db.session.rollback()
