"""Countries: ISO 3166-1 alpha-2 codes from pycountry, names in the reader's language from Babel's CLDR data.

The lists of African Union and European Union member states are ours to keep: neither library carries
political memberships, and the facility's partnership rules (South-North, South-South) depend on them."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale

# African Union member states (55), as ISO 3166-1 alpha-2 codes; Western Sahara (EH) is the SADR.
AFRICAN_UNION = frozenset(
    [
        "DZ",
        "AO",
        "BJ",
        "BW",
        "BF",
        "BI",
        "CV",
        "CM",
        "CF",
        "TD",
        "KM",
        "CG",
        "CD",
        "CI",
        "DJ",
        "EG",
        "GQ",
        "ER",
        "SZ",
        "ET",
        "GA",
        "GM",
        "GH",
        "GN",
        "GW",
        "KE",
        "LS",
        "LR",
        "LY",
        "MG",
        "MW",
        "ML",
        "MR",
        "MU",
        "MA",
        "MZ",
        "NA",
        "NE",
        "NG",
        "RW",
        "EH",
        "ST",
        "SN",
        "SC",
        "SL",
        "SO",
        "ZA",
        "SS",
        "SD",
        "TZ",
        "TG",
        "TN",
        "UG",
        "ZM",
        "ZW",
    ]
)
# European Union member states (27).
EUROPEAN_UNION = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


@lru_cache
def all_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_2 for c in pycountry.countries))


def is_valid(code: str | None) -> bool:
    return bool(code) and pycountry.countries.get(alpha_2=code.upper()) is not None


@lru_cache(maxsize=8)
def _names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    names = {}
    for code in all_codes():
        names[code] = territories.get(code) or pycountry.countries.get(alpha_2=code).name
    return names


def name(code: str | None, locale: str = "en") -> str:
    if not code:
        return ""
    return _names(locale).get(code.upper(), code)


def choices(locale: str = "en", only: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the given language, for select fields."""
    names = _names(locale)
    codes = only if only is not None else names.keys()
    return sorted(((c, names[c]) for c in codes if c in names), key=lambda pair: pair[1])


def is_african(code: str | None) -> bool:
    return bool(code) and code.upper() in AFRICAN_UNION


def is_european(code: str | None) -> bool:
    return bool(code) and code.upper() in EUROPEAN_UNION
