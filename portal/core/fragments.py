"""HTML written by a template macro, kept per process for the same arguments, language and time zone.

Some macros are pure: what they write depends only on their arguments, the reader's language (messages, numbers,
amounts, dates) and the reader's time zone (instants). The proposal page's read-out is one: every section of the form
under its labels, with the budget's tables, written from plain data (portal.proposals.reading). It was a fifth of the
page's time, and it is the same HTML for every reader of an unchanged proposal in one language. `render_macro` writes
such a macro once per process for each set of arguments and gives the same HTML back afterwards.

Nothing goes stale, because nothing is kept under a name: the key is the arguments themselves (their `repr`, hashed),
with the language and the time zone, so different content is a different key. That is only sound for plain data,
whose `repr` says all of it: the arguments are checked to be dicts, lists, tuples, strings, numbers, dates, instants,
booleans and None, and anything else (an ORM object, a lazy string) is refused with a TypeError. The macro is taken
from its template's module, which sees the environment's globals and filters but none of a request's context
(`current_user`, `request`, context processors): tests/core/test_fragments.py checks that the macros rendered this way
name nothing else.

Written here rather than taken from a caching library because the key is the point: a cache keyed by name (Flask-
Caching's `cached`, Jinja fragment-cache extensions) would need every change to a proposal to forget its entry.
The kept HTML is bounded by its size (MAX_BYTES per application, least recently used first out)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from decimal import Decimal

from flask import current_app
from markupsafe import Markup

from portal.core.i18n import locale_code, select_timezone

MAX_BYTES = 16 * 1024 * 1024  # characters of kept HTML per application (process); a read-out is 10-60 thousand
_PLAIN = (str, int, float, Decimal, dt.date, dt.time, type(None))  # bool is an int; datetime a date


class _Kept:
    """The HTML kept by one application, least recently used first."""

    def __init__(self) -> None:
        self.entries: OrderedDict[bytes, Markup] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: bytes) -> Markup | None:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
            return html

    def put(self, key: bytes, html: Markup) -> None:
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = html
            self.size += len(html)
            while self.size > MAX_BYTES and self.entries:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


def _kept() -> _Kept:
    kept = current_app.extensions.get("portal_fragments")
    if kept is None:
        kept = current_app.extensions.setdefault("portal_fragments", _Kept())
    return kept


def check_plain(value: object, path: str = "") -> None:
    """Raise TypeError unless `value` is plain data whose `repr` says all of it."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            check_plain(key, path)
            check_plain(item, f"{path}[{key!r}]")
    elif kind is list or kind is tuple:
        for index, item in enumerate(value):  # type: ignore[arg-type]
            check_plain(item, f"{path}[{index}]")
    elif not isinstance(value, _PLAIN) or (isinstance(value, str) and kind not in (str, Markup)):
        raise TypeError(f"render_macro takes plain data only; {path or 'an argument'} is a {kind.__name__}")


def key_of(template: str, macro: str, args: tuple, kwargs: dict) -> bytes:
    """The key of a macro's HTML: its arguments, the language and the time zone."""
    check_plain(args)
    check_plain(kwargs)
    text = repr((template, macro, locale_code(), select_timezone(), args, sorted(kwargs.items())))
    return hashlib.blake2b(text.encode(), digest_size=20).digest()


def render_macro(template: str, macro: str, *args, **kwargs) -> Markup:
    """`macro(*args, **kwargs)` of `template`, written once per process for the same arguments, language and time
    zone (the macro must be pure: see the module's docstring)."""
    key = key_of(template, macro, args, kwargs)
    kept = _kept()
    html = kept.get(key)
    if html is None:
        # A macro of an autoescaped template gives Markup, its variables escaped as they were written.
        html = getattr(current_app.jinja_env.get_template(template).module, macro)(*args, **kwargs)
        kept.put(key, html)
    return html


def clear() -> None:
    _kept().clear()
