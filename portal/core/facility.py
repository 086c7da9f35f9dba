"""The facility's own name and the title of the person who signs its letters, in a given language.

They are configuration (FACILITY_NAME, FACILITY_SIGNATORY), written in English; each other language the portal speaks
has its own pair, FACILITY_NAME_<LANG> and FACILITY_SIGNATORY_<LANG> (e.g. FACILITY_NAME_FR), so that a French letter
is French throughout. A language without its own value falls back to the English one."""

from __future__ import annotations

from flask import current_app

from portal.core.i18n import locale_code


def _value(key: str, language: str | None) -> str:
    config = current_app.config
    code = (language or locale_code()).split("_")[0].split("-")[0].upper()
    if code != "EN":
        value = config.get(f"{key}_{code}")
        if value:
            return value
    return config[key]


def name(language: str | None = None) -> str:
    """The facility's name in `language` (default: the current locale)."""
    return _value("FACILITY_NAME", language)


def signatory(language: str | None = None) -> str:
    """The signatory's title in `language` (default: the current locale)."""
    return _value("FACILITY_SIGNATORY", language)
