"""Language selection and formatting of money, dates and instants for the reader (Babel does the work)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import format_currency, format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


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
    if not has_request_context():
        return "UTC"
    if getattr(current_user, "is_authenticated", False) and current_user.timezone:
        return current_user.timezone
    return "UTC"


def locale_code() -> str:
    return str(get_locale() or "en")


def money(amount: Decimal | int | None, currency: str = "EUR") -> str:
    if amount is None:
        return "—"
    return format_currency(Decimal(amount), currency, locale=locale_code())


def number(value: Decimal | int | None, places: int = 2) -> str:
    """A decimal number (a score, a mean) written as the reader's language writes it: 44.50, 44,50."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), format=f"#,##0.{'0' * places}", locale=locale_code())


def date(value: dt.date | None) -> str:
    if value is None:
        return "—"
    return _format_date(value, format="long", locale=locale_code())


def instant(value: dt.datetime | None, tz: str | None = None) -> str:
    """An instant in the reader's time zone (or `tz`), with the zone named."""
    if value is None:
        return "—"
    zone = zoneinfo.ZoneInfo(tz or select_timezone())
    local = value.astimezone(zone)
    return f"{_format_datetime(local, format='medium', tzinfo=zone, locale=locale_code())} ({zone.key})"


def localized(obj: object, field: str) -> str:
    """The `<field>_<lang>` attribute in the reader's language, falling back to English."""
    value = getattr(obj, f"{field}_{locale_code()}", None)
    return value or getattr(obj, f"{field}_en", "")
