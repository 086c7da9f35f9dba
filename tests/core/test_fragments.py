"""A pure macro's HTML kept per process for the same arguments, language and time zone (portal/core/fragments.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale, lazy_gettext
from jinja2 import meta
from markupsafe import Markup

from portal.core import fragments
from portal.proposals.models import Proposal

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
READ = "proposals/_read.html"


@pytest.fixture(autouse=True)
def _empty(app):
    with app.app_context():
        fragments.clear()
    yield
    with app.app_context():
        fragments.clear()


def _sections(text: str = "Remittances cost too much.", amount: str = "1200.50") -> list[dict]:
    """A read-out as portal.proposals.reading gives it: a text, a choice list, a number and a declaration."""
    return [
        {
            "key": "relevance",
            "title": "Relevance",
            "filled": True,
            "items": [
                {"kind": "text", "label": "Objectives", "paragraphs": [[text]]},
                {"kind": "choices", "label": "Groups", "values": ["Youth", "Women"]},
                {"kind": "number", "label": "People reached", "value": Decimal(amount)},
                {"kind": "declared", "by": "Amina Diallo", "at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)},
            ],
        }
    ]


def _direct(app, sections) -> str:
    return str(app.jinja_env.get_template(READ).module.read_sections(sections))


def test_the_kept_html_is_the_macros_own(app):
    with app.test_request_context():
        html = fragments.render_macro(READ, "read_sections", _sections())
        assert str(html) == _direct(app, _sections())
        assert "Remittances cost too much." in html and "Declared by Amina Diallo" in html
        assert isinstance(html, Markup)


def test_the_same_arguments_are_written_once(app, monkeypatch):
    renders = []
    module = app.jinja_env.get_template(READ).module
    original = module.read_sections
    monkeypatch.setattr(module, "read_sections", lambda *a, **k: renders.append(a) or original(*a, **k))
    with app.test_request_context():
        first = fragments.render_macro(READ, "read_sections", _sections())
        again = fragments.render_macro(READ, "read_sections", _sections())  # equal data, other objects
    assert again is first
    assert len(renders) == 1


def test_other_content_language_or_time_zone_is_written_afresh(app):
    """Nothing goes stale: the key is the content itself, with the language and the zone."""
    with app.test_request_context():
        english = fragments.render_macro(READ, "read_sections", _sections())
        changed = fragments.render_macro(READ, "read_sections", _sections(text="Remittances still cost too much."))
        assert "Remittances still cost too much." in changed and changed != english
        amount = fragments.render_macro(READ, "read_sections", _sections(amount="1200.5"))
        assert amount == english  # 1200.5 and 1200.50 print alike (as one number): a separate entry, the same HTML
        with force_locale("fr"):
            french = fragments.render_macro(READ, "read_sections", _sections())
            assert str(french) == _direct(app, _sections())
    assert french != english
    with app.test_request_context():
        from flask import request

        request._portal_timezone = "Africa/Dakar"  # the reader's zone (core/i18n.select_timezone)
        dakar = fragments.render_macro(READ, "read_sections", _sections())
        request._portal_timezone = "Asia/Tokyo"
        tokyo = fragments.render_macro(READ, "read_sections", _sections())
    assert "9:30:00" in dakar and "(Africa/Dakar)" in dakar
    assert "6:30:00" in tokyo and "(Asia/Tokyo)" in tokyo


def test_only_plain_data_is_taken(app, session):
    with app.test_request_context():
        for wrong in (
            [Proposal(reference="P-1")],  # an ORM object: its repr does not say its content
            {"label": lazy_gettext("Relevance")},  # a lazy string
            {"values": {"a", "b"}},  # a set
            [object()],
        ):
            with pytest.raises(TypeError, match="plain data only"):
                fragments.render_macro(READ, "read_sections", wrong)
        # Markup and the same text as a string print differently, and are two keys.
        text = "<b>bold</b>"
        plain = fragments.key_of(READ, "m", ([text],), {})
        marked = fragments.key_of(READ, "m", ([Markup(text)],), {})  # noqa: S704 - a constant
        assert plain != marked


def test_the_kept_html_is_bounded(app, monkeypatch):
    monkeypatch.setattr(fragments, "MAX_BYTES", 3 * len(_direct_in(app)))
    with app.test_request_context():
        for n in range(10):
            fragments.render_macro(READ, "read_sections", _sections(text=f"Text number {n}."))
        kept = fragments._kept()
        assert 0 < len(kept.entries) <= 3
        assert kept.size == sum(len(h) for h in kept.entries.values()) <= fragments.MAX_BYTES


def _direct_in(app) -> str:
    with app.test_request_context():
        return _direct(app, _sections(text="Text number 0."))


def _rendered_macros() -> set[tuple[str, str]]:
    """Every (template, macro) a template renders through render_macro."""
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        found |= set(re.findall(r'render_macro\(\s*"([^"]+)",\s*"([^"]+)"', path.read_text()))
    return found


def test_macros_kept_this_way_read_nothing_but_their_arguments(app):
    """The macro's template module sees the environment's globals and filters only; a name from a request's context
    (current_user, request, a context processor's helper) would print as nothing there. Every template a kept macro
    uses, with the templates it imports, names only globals."""
    macros = _rendered_macros()
    assert (READ, "read_sections") in macros
    env = app.jinja_env
    seen: set[str] = set()
    todo = [template for template, _macro in macros]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = env.parse(env.loader.get_source(env, name)[0])
        unknown = meta.find_undeclared_variables(tree) - set(env.globals)
        assert not unknown, f"{name} reads {sorted(unknown)}, which are not the environment's globals"
        todo.extend(t for t in meta.find_referenced_templates(tree) if t)
    assert "proposals/_budget_table.html" in seen
    for template, macro in macros:
        assert hasattr(env.get_template(template).module, macro), (template, macro)
