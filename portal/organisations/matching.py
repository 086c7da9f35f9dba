"""Finding an organisation that is already registered, so that a second person from it asks to join it instead of
registering a duplicate.

Two organisations are the same when they have the same registration number in the same country, written with or
without spaces, dots, dashes or capitals ("SN-2019/123" is "sn 2019 123"). They are probably the same when their
legal names in the same country are nearly identical once accents, capitals, punctuation, connecting words
("&", "et", "and") and legal-form suffixes ("ASBL", "SARL", "Ltd", "e.V.") are set aside; the similarity score
comes from RapidFuzz (a maintained C++ implementation of the Levenshtein-based ratios) rather than our own code."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy.orm import load_only

from portal.extensions import db
from portal.organisations.models import Organisation

# Scores are 0-100; 90 accepts a changed connector or suffix and a typo or two in a long name, and keeps
# "Red Cross Dakar" apart from "Red Cross Thiès".
NAME_SIMILARITY_THRESHOLD = 90
MAX_MATCHES = 5

# Suffixes and abbreviations of legal forms common among the facility's applicants (French, Belgian, English,
# German, Portuguese, Italian, Dutch law), written without their dots.
LEGAL_FORMS = frozenset(
    {
        "aisbl",
        "asbl",
        "ivzw",
        "vzw",
        "sarl",
        "sarlu",
        "suarl",
        "sa",
        "sas",
        "sasu",
        "srl",
        "spa",
        "gmbh",
        "ggmbh",
        "ev",
        "ag",
        "ug",
        "ltd",
        "limited",
        "inc",
        "llc",
        "plc",
        "cic",
        "cio",
        "bv",
        "nv",
        "lda",
        "ong",
        "ngo",
        "gie",
    }
)
# Words that join the parts of a name and that people write differently ("&", "et", "and").
CONNECTORS = frozenset({"and", "et", "und", "y", "e", "en"})

_DOTTED = re.compile(r"\b(?:\w\.){2,}")  # "S.A.R.L." -> "SARL", "e.V." -> "eV"
_NOT_ALNUM = re.compile(r"[\W_]+")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_registration(number: str | None) -> str:
    """A registration number without case, spaces or punctuation: "sn 2019/123" -> "SN2019123"."""
    return _NOT_ALNUM.sub("", strip_accents(number or "")).upper()


def normalise_name(name: str | None) -> str:
    """A legal name reduced to the words that tell organisations apart."""
    text = strip_accents(name or "").casefold()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    words = _NOT_ALNUM.sub(" ", text).split()
    kept = [w for w in words if w not in LEGAL_FORMS and w not in CONNECTORS]
    return " ".join(kept or words)


@dataclass
class Matches:
    """Organisations already registered that look like the one being registered."""

    exact: list[Organisation] = field(default_factory=list)  # same registration number, same country
    similar: list[Organisation] = field(default_factory=list)  # nearly the same legal name, same country

    @property
    def all(self) -> list[Organisation]:
        return [*self.exact, *self.similar]

    def __bool__(self) -> bool:
        return bool(self.exact or self.similar)


def find_matches(country: str, registration_number: str, legal_name: str, *, exclude_id: int | None = None) -> Matches:
    """Organisations of `country` with the same registration number, then those with a near-identical name."""
    query = (
        db.select(Organisation)
        .where(Organisation.country == (country or "").upper())
        .options(
            load_only(
                Organisation.id,
                Organisation.legal_name,
                Organisation.acronym,
                Organisation.country,
                Organisation.type,
                Organisation.registration_number,
            )
        )
        .order_by(Organisation.id)
    )
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    # One query for the country; comparing normalised forms needs Python (no portable SQL for accents), and a
    # country holds at most a few thousand organisations.
    candidates = list(db.session.scalars(query))
    wanted_number = normalise_registration(registration_number)
    matches = Matches()
    if wanted_number:
        matches.exact = [o for o in candidates if normalise_registration(o.registration_number) == wanted_number]
    wanted_name = normalise_name(legal_name)
    if wanted_name:
        exact_ids = {o.id for o in matches.exact}
        others = {o.id: normalise_name(o.legal_name) for o in candidates if o.id not in exact_ids}
        by_id = {o.id: o for o in candidates}
        found = process.extract(
            wanted_name,
            others,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=NAME_SIMILARITY_THRESHOLD,
            limit=MAX_MATCHES,
        )
        matches.similar = [by_id[key] for _name, _score, key in found]
    return matches
