"""What people read for the codes the calls area stores: themes, attachment kinds, stages, procedures, statuses,
and the regions that group countries in the call form."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.calls.models import AttachmentKind, CallStatus, Procedure, Theme
from portal.core import countries
from portal.core.uploads import format_size as file_size  # noqa: F401 - for the templates (labels.file_size)
from portal.organisations.forms import TYPE_LABELS

# The organisation types' labels, for the calls' templates (which get this module as `labels`).
ORGANISATION_TYPE_LABELS = TYPE_LABELS

THEME_LABELS = {
    Theme.CLIMATE.value: _l("Climate change and migration"),
    Theme.DIASPORA.value: _l("Diaspora engagement"),
    Theme.REMITTANCES.value: _l("Remittances"),
    Theme.FREE_MOVEMENT.value: _l("Free movement of people"),
    Theme.GOVERNANCE.value: _l("Migration governance"),
}

ATTACHMENT_KIND_LABELS = {
    AttachmentKind.STATUTES.value: _l("Statutes"),
    AttachmentKind.REGISTRATION.value: _l("Proof of registration"),
    AttachmentKind.ACCOUNTS.value: _l("Financial statements (accounts)"),
    AttachmentKind.CV.value: _l("CVs of key staff"),
    AttachmentKind.SUPPORT_LETTER.value: _l("Letter of support"),
    AttachmentKind.OTHER.value: _l("Other document"),
}

STAGE_LABELS = {
    "any": _l("Every stage"),
    "concept_note": _l("Concept note"),
    "full_application": _l("Full application"),
}

PROCEDURE_LABELS = {
    Procedure.SINGLE.value: _l("Single stage: a full application"),
    Procedure.TWO_STAGE.value: _l("Two stages: a concept note, then a full application by invitation"),
}

STATUS_LABELS = {
    CallStatus.DRAFT.value: _l("Draft"),
    CallStatus.PUBLISHED.value: _l("Published"),
    CallStatus.EVALUATION.value: _l("In evaluation"),
    CallStatus.DECIDED.value: _l("Decided"),
    CallStatus.ARCHIVED.value: _l("Archived"),
}

DOCUMENT_KIND_LABELS = {"guidelines": _l("Guidelines for applicants"), "annex": _l("Annex")}

DOCUMENT_LANGUAGES = {"en": _l("English"), "fr": _l("French"), "pt": _l("Portuguese"), "ar": _l("Arabic")}

# The five regions of the African Union (Executive Council decision of 1976, as the AU lists its member states),
# kept here because neither pycountry nor Babel carries them. Together they hold the 55 members of
# countries.AFRICAN_UNION (a test checks it).
AU_REGIONS: tuple[tuple[str, object, frozenset[str]], ...] = (
    ("au-north", _l("Northern Africa"), frozenset({"DZ", "EG", "LY", "MR", "MA", "EH", "TN"})),
    (
        "au-west",
        _l("Western Africa"),
        frozenset({"BJ", "BF", "CV", "CI", "GM", "GH", "GN", "GW", "LR", "ML", "NE", "NG", "SN", "SL", "TG"}),
    ),
    ("au-central", _l("Central Africa"), frozenset({"BI", "CM", "CF", "TD", "CG", "CD", "GQ", "GA", "ST"})),
    (
        "au-east",
        _l("Eastern Africa"),
        frozenset({"KM", "DJ", "ER", "ET", "KE", "MG", "MU", "RW", "SC", "SO", "SS", "SD", "TZ", "UG"}),
    ),
    ("au-south", _l("Southern Africa"), frozenset({"AO", "BW", "SZ", "LS", "MW", "MZ", "NA", "ZA", "ZM", "ZW"})),
)


def country_groups(locale: str) -> list[dict]:
    """The countries of the call form, grouped: the five AU regions, the EU, then every other country.
    Each group: {"key", "label", "union" ("au", "eu" or ""), "choices": [(code, name)], "open"}."""
    groups = [
        {"key": key, "label": label, "union": "au", "choices": countries.choices(locale, only=codes)}
        for key, label, codes in AU_REGIONS
    ]
    groups.append(
        {
            "key": "eu",
            "label": _l("European Union"),
            "union": "eu",
            "choices": countries.choices(locale, only=countries.EUROPEAN_UNION),
        }
    )
    others = frozenset(countries.all_codes()) - countries.AFRICAN_UNION - countries.EUROPEAN_UNION
    groups.append(
        {"key": "other", "label": _l("Other countries"), "union": "", "choices": countries.choices(locale, only=others)}
    )
    return groups


def label(table: dict, value: str | None) -> str:
    return str(table.get(value or "", value or ""))


def percent(value: Decimal | int, places: int | None = None) -> str:
    """A rate as the reader's language writes it ("7 %" in French): with `places` decimals, or else without needless
    ones: 7%, 7.5%, 12.25%."""
    from portal.core.i18n import number

    value = Decimal(value)
    if places is None:
        places = next(p for p in (0, 1, 2) if value == round(value, p)) if value == round(value, 2) else 2
    return _("%(value)s%%", value=number(value, places))
