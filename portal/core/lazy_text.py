"""Lazy translations are escaped like any other text when a template prints them (ASVS 5.3.3).

Flask-Babel's LazyString (`_l`) declares `__html__` and returns its text unescaped from it, which tells Jinja and
MarkupSafe that it is already safe HTML. A lazy message that interpolates what someone typed, e.g. a form error
"“%(value)s” is not a score." with the value sent, was therefore printed raw: a script typed as a score ran in the
page (found by tests/fuzz). No lazy string of the portal carries markup on purpose (links and emphasis are written
in the templates), so `__html__` is made to escape, as Jinja does for a plain `str`. This is a patch of a library
class, applied once when the app is created; tests/core/test_lazy_text.py proves it."""

from __future__ import annotations

from flask import Flask
from flask_babel.speaklater import LazyString
from markupsafe import escape


def _escaped_html(self: LazyString) -> str:
    return str(escape(str(self)))


def init_app(app: Flask) -> None:
    LazyString.__html__ = _escaped_html
