"""Every response carries the security headers (portal/core/security.py): walked over the URL map, a sample of
routes of every blueprint, for an anonymous visitor and for an administrator, whatever the status."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from werkzeug.routing import IntegerConverter

from portal.core.security import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
PER_BLUEPRINT = 4
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"")


def _sample_urls(app) -> list[str]:
    """Up to PER_BLUEPRINT GET routes of each blueprint (and the static files), arguments filled with dummies."""
    chosen: dict[str, list[str]] = defaultdict(list)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        blueprint = rule.endpoint.rpartition(".")[0] or rule.endpoint
        if len(chosen[blueprint]) >= PER_BLUEPRINT:
            continue
        values = {
            name: 1 if isinstance(converter, IntegerConverter) else "css/portal.css"
            for name, converter in rule._converters.items()
        }
        with app.test_request_context():
            from flask import url_for

            chosen[blueprint].append(url_for(rule.endpoint, **values))
    return [url for urls in chosen.values() for url in urls]


def test_the_sample_covers_every_blueprint(app):
    blueprints = {rule.endpoint.rpartition(".")[0] for rule in app.url_map.iter_rules()} - {""}
    urls = _sample_urls(app)
    assert len(urls) >= len(blueprints)
    assert any(url.startswith("/static/css/portal.css") for url in urls)


def test_the_policy_allows_no_inline_script_or_style():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_blueprint_sends_the_security_headers(app, make_user, login, who):
    client = app.test_client()
    if who == "admin":
        login(client, make_user("admin"))
    for url in _sample_urls(app):
        response = client.get(url)
        for name, value in EXPECTED.items():
            if name == "Content-Security-Policy" and response.headers.get(name) == "default-src 'none'; sandbox":
                continue  # a stored file keeps its stricter policy (portal/core/downloads.py)
            assert response.headers.get(name) == value, f"{name} on {url} ({response.status_code})"
        assert "Strict-Transport-Security" not in response.headers, url  # plain HTTP outside production
        if response.mimetype == "text/html":  # nothing on the page that the policy would block
            body = response.get_data(as_text=True)
            assert not INLINE.search(body), f"inline script or style on {url}: {INLINE.search(body).group(0)}"
        response.close()


def test_error_pages_send_them_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_hsts_when_the_configuration_says_https(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 31536000)
    response = client.get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_templates_have_no_inline_script_or_style():
    """What the policy forbids is not in any template: scripts and styles come from portal/static."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "pdf" in path.relative_to(root).parts or "emails" in path.relative_to(root).parts:
            continue  # rendered to PDF or sent by e-mail, never served as a page under the CSP
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text) or "<style" in text:
            offenders.append(str(path.relative_to(root)))
    assert not offenders, offenders


def test_charts_carry_no_inline_style_and_their_stylesheet_is_pygals():
    """pygal writes a <style> into each chart, which the policy blocks: the charts drop it and the portfolio pages
    load the same rules from static/css/charts.css. If the palette changes, regenerate the file with
    `python -c "from portal.portfolio.charts import stylesheet as s; print(s(), end='')" > portal/static/css/charts.css`
    (from the repository's root)."""
    from pathlib import Path

    from portal.portfolio import charts

    svg = charts.bar_chart("Grants", "Grants per domain", ["A", "B"], [3, 5], str)
    assert "<style" not in svg and " style=" not in svg
    assert 'class="pygal-chart"' in svg
    static = Path(__file__).resolve().parents[2] / "portal" / "static" / "css" / "charts.css"
    assert static.read_text(encoding="utf-8") == charts.stylesheet()
    # Plain CSS: entities of the SVG's XML would make the selectors that hold them void (charts drawn black).
    assert "&gt;" not in charts.stylesheet() and "&amp;" not in charts.stylesheet()
    assert "svg.pygal-chart .plot > .background{fill:transparent" in charts.stylesheet()
