"""Language selection and formatting of money, dates and instants for the reader (Babel does the work)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

from babel import Locale, support
from babel.dates import format_date as _format_date
from babel.dates import get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency
from babel.numbers import parse_pattern as _parse_number_pattern
from flask import Request, current_app, g, has_request_context, request, session
from flask_babel import Domain, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # Celery tasks and the CLI choose with force_locale(); default otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The reader's time zone: the signed-in user's, else UTC. Chosen once per request (a page of a hundred instants
    asked for it a hundred times), and kept on the request itself, which ends with it."""
    if not has_request_context():
        return "UTC"
    chosen = getattr(request, "_portal_timezone", None)
    if chosen is None:
        chosen = "UTC"
        if getattr(current_user, "is_authenticated", False) and current_user.timezone:
            chosen = current_user.timezone
        request._portal_timezone = chosen
    return chosen


def colon() -> str:
    """The colon between a label and its value, as the reader's language writes it: "Total: 35" in English,
    "Total : 35" in French (a narrow no-break space before it, as the catalogue's messages have)."""
    return "\u202f: " if locale_code() == "fr" else ": "


def _babel_state():
    """Flask-Babel's per-request state (flask.g._flask_babel), or None (none yet, or no application context)."""
    try:
        return g._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:
        return None


def locale_code() -> str:
    """The reader's language code ("en", "fr"). Every amount, date and number asks for it (a hundred and fifty times on
    the portfolio's page): the code is kept beside Flask-Babel's per-request state with the `Locale` object it was
    written from, so force_locale() and refresh() still change it (a different object is a different code)."""
    state = _babel_state()
    kept = getattr(state, "portal_locale_code", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    locale = get_locale()
    code = str(locale or "en")
    state = _babel_state()  # made by get_locale() within a request
    if state is not None and locale is not None and getattr(state, "babel_locale", None) is locale:
        state.portal_locale_code = (locale, code)
    return code


@functools.lru_cache(maxsize=16)
def wtforms_translations(code: str):
    """WTForms' own messages ("This field is required.") in a language, read once per process: Flask-WTF reads its
    catalogue from disk again at every request that builds a form (a twentieth of the scoring page)."""
    return support.Translations.load(messages_path(), [code], domain="wtforms")


class PortalRequest(Request):
    """The application's request: WTForms' translations from `wtforms_translations`, in the language of the moment.
    Flask-WTF looks for them in the request's `wtforms_translations` attribute, and reads its catalogue itself (and
    keeps it for the rest of the request, whatever force_locale() says after) only when the attribute is missing
    (flask_wtf/i18n.py). tests/core/test_wtforms_translations.py checks both."""

    @property
    def wtforms_translations(self):
        return wtforms_translations(locale_code())

    @wtforms_translations.setter
    def wtforms_translations(self, _value) -> None:
        pass  # Flask-WTF sets what it loaded when the attribute was missing; it never is here


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the translations looked up once per request and language.

    Flask-Babel finds them again for every message (the context, the locale and its identifier, the cache: about
    40 µs each time), and a page prints two to three hundred messages, in its templates and in Python: a tenth of a
    page's time. The translations found are kept beside Flask-Babel's own per-request state, with the `Locale`
    object they were found for, so `force_locale()` (a document in another language) and `refresh()` still change
    them: a different object is a different lookup. Installed as the application's domain by
    `extensions.PortalBabel`."""

    def get_translations(self):
        if not g:  # no application context: Flask-Babel answers with the null translations
            return super().get_translations()
        found = _kept_translations(_babel_state(), self)
        if found is not None:
            return found
        found = super().get_translations()
        state = g._flask_babel
        state.portal_translations = (getattr(state, "babel_locale", None), self, found)
        return found


def _kept_translations(state, domain):
    """The translations `RequestDomain` kept in Flask-Babel's per-request `state`, if they are for `domain` and for
    the `Locale` object of the moment; else None."""
    kept = getattr(state, "portal_translations", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None) and kept[1] is domain:
        return kept[2]
    return None


def current_translations():
    """The translations of the moment, as `flask_babel.get_translations()` gives them, in one step instead of four
    when `RequestDomain` has them already for this language (the common case: every message of a page after the
    first). The templates' `_()` and `ngettext()` call this: a page prints two to three hundred messages."""
    state = _babel_state()
    found = _kept_translations(state, getattr(state, "babel_domain", None))
    return found if found is not None else get_translations()


def install_template_gettext(app) -> None:
    """The templates' gettext functions (as Flask-Babel installs them, newstyle), through `current_translations`,
    and `_()` itself written out: Jinja's wrapper costs as much again as the lookup."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["gettext"] = _template_gettext


@pass_context
def _template_gettext(context, string, **variables):
    """Jinja's newstyle `gettext` (jinja2.ext._make_new_gettext), with the lookup in one step. As there, the text is a
    format string even without variables ("%%" prints "%"); formatting a text that has no "%" is skipped, since it
    changes nothing."""
    text = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - as Jinja does: messages are ours (the catalogues), variables are escaped
    return text % variables if variables or "%" in text else text


# Babel parses a locale identifier into a new Locale object on every call, and that object loads its CLDR data
# again on first use: a page of 150 dates or numbers spent a third of its time there. The parsed Locale objects
# and number patterns are kept per process (they never change; the reader's language is still chosen per call,
# so force_locale() keeps working).
@functools.lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale:
    return Locale.parse(code)


@functools.lru_cache(maxsize=128)
def _number_pattern(pattern: str):
    return _parse_number_pattern(pattern)


def format_number(value: Decimal | int, pattern: str, locale: str | None = None) -> str:
    """`babel.numbers.format_decimal(value, pattern, locale)` with the locale and the pattern parsed once, and each
    number written once per process, pattern and language (budget tables and score sheets repeat them)."""
    value = Decimal(value)
    code = locale or locale_code()
    if not value.is_finite():
        return _number_pattern(pattern).apply(value, babel_locale(code))
    # Numbers equal as numbers (3.5 and 3.50) are written alike by a pattern; -0 and 0 are not: the sign is in the key.
    return _number_text(value, value.is_signed(), pattern, code)


@functools.lru_cache(maxsize=8192)
def _number_text(value: Decimal, _signed: bool, pattern: str, code: str) -> str:
    return _number_pattern(pattern).apply(value, babel_locale(code))


def money(amount: Decimal | int | None, currency: str = "EUR") -> str:
    if amount is None:
        return "—"
    value = Decimal(amount)
    if not value.is_finite():
        return format_currency(value, currency, locale=babel_locale(locale_code()))
    if not value:
        value = abs(value)  # no "-€0.00" (and -0 and 0 are one key below)
    return _money_text(value, currency, locale_code())


# A page writes the same amounts again and again (a budget's totals, the portfolio's figures on every request): each
# is written once per process, language and currency (about 60 µs each in Babel). The text depends on nothing else:
# amounts equal as numbers (100 and 100.00) are written alike, with the currency's own number of decimals.
@functools.lru_cache(maxsize=8192)
def _money_text(value: Decimal, currency: str, code: str) -> str:
    return format_currency(value, currency, locale=babel_locale(code))


def number(value: Decimal | int | None, places: int = 2) -> str:
    """A decimal number (a score, a mean) written as the reader's language writes it: 44.50, 44,50."""
    if value is None:
        return "—"
    return format_number(value, f"#,##0.{'0' * places}")


def date(value: dt.date | None) -> str:
    if value is None:
        return "—"
    return _date_text(value, locale_code())


# Lists repeat their dates (a stage's due date on every assignment): each is written once per process and language.
@functools.lru_cache(maxsize=4096)
def _date_text(value: dt.date, code: str) -> str:
    return _format_date(value, format="long", locale=babel_locale(code))


@functools.lru_cache(maxsize=64)
def _instant_patterns(code: str):
    """The "medium" date-and-time pattern of a language as `babel.dates.format_datetime` composes it (the date
    pattern, the time pattern and the pattern joining them), parsed once per process."""
    locale = babel_locale(code)
    joined = get_datetime_format("medium", locale=locale).replace("'", "")
    return locale, joined, get_date_format("medium", locale=locale), get_time_format("medium", locale=locale)


def instant(value: dt.datetime | None, tz: str | None = None, named: bool = True) -> str:
    """An instant in the reader's time zone (or `tz`), with the zone named unless `named` is false (a table that
    says its zone once): `format_datetime(..., "medium")` with the patterns parsed once (tests/core/test_i18n.py
    checks the two agree)."""
    if value is None:
        return "—"
    return _instant_text(value, tz or select_timezone(), locale_code(), named)


# A list repeats its instants (every assignment of a stage has the stage's deadline): each one is written once per
# process, language, zone and form. Instants are immutable, the text depends on nothing else.
@functools.lru_cache(maxsize=4096)
def _instant_text(value: dt.datetime, tz: str, code: str, named: bool) -> str:
    zone = zoneinfo.ZoneInfo(tz)
    local = value.astimezone(zone)
    locale, joined, date_pattern, time_pattern = _instant_patterns(code)
    written = joined.replace("{0}", time_pattern.apply(local, locale)).replace("{1}", date_pattern.apply(local, locale))
    return f"{written} ({zone.key})" if named else written


def localized(obj: object, field: str) -> str:
    """The `<field>_<lang>` attribute in the reader's language, falling back to English."""
    value = getattr(obj, f"{field}_{locale_code()}", None)
    return value or getattr(obj, f"{field}_en", "")


class Written(str):
    """A text that people wrote (a call's title, a clarification), in the reader's language when it exists in it,
    else in the language it was written in. `language` says which one it is; `fallback` is true when the reader's
    language was missing, so that the page can say so. It is a str, so templates print it as it is."""

    language: str
    fallback: bool

    def __new__(cls, value: str, language: str, fallback: bool) -> Written:
        text = super().__new__(cls, value or "")
        text.language, text.fallback = language, fallback
        return text


def written(obj: object, field: str, locale: str | None = None) -> Written:
    """`obj.<field>` in the reader's language: `obj.translations[<locale>][field]` when the reader's language is not
    the one `obj` was written in (`obj.language`) and a translation exists; otherwise the original. Works for any
    object with `language` and a `translations` mapping (calls, clarifications)."""
    locale = locale or locale_code()
    original_language = getattr(obj, "language", None) or "en"
    original = getattr(obj, field, "") or ""
    if locale == original_language:
        return Written(original, original_language, False)
    translated = ((getattr(obj, "translations", None) or {}).get(locale) or {}).get(field) or ""
    if translated.strip():
        return Written(translated, locale, False)
    return Written(original, original_language, bool(original.strip()))


def language_name(code: str, locale: str | None = None) -> str:
    """The name of a language in the reader's language ("anglais" for "en" in French), by Babel."""
    from babel import Locale

    return Locale.parse(code).get_display_name(locale or locale_code()) or code


def portal_languages() -> list[tuple[str, str]]:
    """The portal's languages, each named in itself ("Français", "Português", "العربية"), for the switcher."""
    from babel import Locale

    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in current_app.config["LANGUAGES"]]


def text_direction(locale: str | None = None) -> str:
    """ "rtl" for right-to-left languages (Arabic), else "ltr" (from CLDR, through Babel)."""
    from babel import Locale

    return Locale.parse(locale or locale_code()).text_direction
