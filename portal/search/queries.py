"""The staff's search: calls, proposals, grants and organisations found by reference, title, organisation name or
acronym, country (name or code) or person (name or e-mail), grouped by kind.

One query per kind (four, plus one per process to learn whether PostgreSQL has `unaccent`), whatever the number of
rows, each limited to `LIMIT + 1` rows (the extra one only says that there are more).

How words are matched is chosen by `text_match` from the database in use:
- PostgreSQL: full-text search with the 'simple' configuration (no stemming: names and references in any language),
  accents ignored through `unaccent` when the extension is installed (migration 0005), each word as a prefix
  ("diaspo" finds "diaspora"; a single letter or digit only as a whole word); every word must match;
- SQLite (development and tests): every word must start a word of one of the columns, whatever the case and
  accents (LIKE on the column folded by `portal_fold`, a function registered on each SQLite connection).
References, acronyms and e-mail addresses are also matched as plain substrings (ILIKE) on both, so that part of an
agreement number ("2026-01-G0") or a whole address is found.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, event, false, func, literal, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.calls.models import Call, CallCountry
from portal.core import countries
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation
from portal.organisations.models import Membership, Organisation
from portal.proposals.models import Proposal, ProposalCountry, ProposalPartner

LIMIT = 10
MIN_LENGTH = 2
MAX_LENGTH = 200
MAX_WORDS = 8
KINDS = ("calls", "proposals", "grants", "organisations")


def words(query: str) -> list[str]:
    """The words of the query (letters and digits), at most MAX_WORDS; anything else only separates them."""
    return list(dict.fromkeys(_fold(w) for w in re.findall(r"[^\W_]+", query)))[:MAX_WORDS]


def _fold(value: str) -> str:
    """Lower case without accents, to compare country names ("Sénégal" and "senegal")."""
    return "".join(c for c in unicodedata.normalize("NFKD", value.casefold()) if not unicodedata.combining(c))


@lru_cache(maxsize=4)
def _country_names() -> tuple[tuple[str, str], ...]:
    """(folded name, code) in English and French, computed once (names come from CLDR, not the database)."""
    pairs = []
    for locale in ("en", "fr"):
        for code in countries.all_codes():
            pairs.append((_fold(countries.name(code, locale)), code))
    return tuple(pairs)


def country_codes(query: str) -> set[str]:
    """Countries the query names: an ISO alpha-2 code ("SN") or (three letters at least) part of a name in English or
    French ("sénégal", "Ivoire")."""
    query = query.strip()
    codes = set()
    if len(query) == 2 and query.isalpha() and countries.is_valid(query):
        codes.add(query.upper())
    folded = _fold(query)
    if len(folded) >= 3:
        codes.update(code for name, code in _country_names() if folded in name)
    return codes


@lru_cache(maxsize=8)
def _has_unaccent(url: str) -> bool:
    return bool(db.session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'")))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_match(columns: list, query: str) -> ColumnElement[bool]:
    """Every word of `query` is in `columns`: full-text search on PostgreSQL, LIKE elsewhere (see the module's
    docstring). The one place where the database in use decides how text is searched."""
    terms = words(query)
    if not terms:
        return false()
    if _dialect() == "postgresql":
        document = func.concat_ws(" ", *columns)
        # Words are letters and digits only (see `words`): none of tsquery's operators can reach it.
        tsquery = " & ".join(term if len(term) == 1 else f"{term}:*" for term in terms)
        if _has_unaccent(str(db.engine.url)):
            document, tsquery = func.unaccent(document), func.unaccent(literal(tsquery))
        return func.to_tsvector("simple", document).op("@@")(func.to_tsquery("simple", tsquery))
    # As full-text search does: each word starts a word of one of the columns, whatever the case and accents
    # (portal_fold, registered below, turns "Réseau Sénégalais (RSD)" into " reseau senegalais rsd ").
    folded = [func.portal_fold(column) for column in columns]
    return and_(*[or_(*[column.like(_word_pattern(term), escape="\\") for column in folded]) for term in terms])


def fold_for_search(value: str | None) -> str:
    """Lower case, no accents, punctuation as spaces, one space before and after."""
    if value is None:
        return " "
    return " " + re.sub(r"[\W_]+", " ", _fold(value)) + " "


@event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection, _record) -> None:
    """SQLite has no unaccent and its lower() knows ASCII only: give its connections `portal_fold`."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("portal_fold", 1, fold_for_search, deterministic=True)


def _word_pattern(term: str) -> str:
    """A word starting with `term`; a single letter or digit only as a whole word ("a" in "CFP-PF-A", not "and")."""
    return f"% {_escape_like(term)} %" if len(term) == 1 else f"% {_escape_like(term)}%"


def substring_match(columns: list, query: str) -> ColumnElement[bool]:
    """The whole query as a substring of one of `columns` (identifiers: references, acronyms, e-mail addresses)."""
    pattern = f"%{_escape_like(query.strip())}%"
    return or_(*[column.ilike(pattern, escape="\\") for column in columns])


@dataclass
class Results:
    query: str
    calls: list = field(default_factory=list)
    proposals: list = field(default_factory=list)
    grants: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
    more: set[str] = field(default_factory=set)  # the kinds that have more than LIMIT results

    @property
    def total(self) -> int:
        return sum(len(getattr(self, kind)) for kind in KINDS)


def search(query: str, limit: int = LIMIT) -> Results:
    """What the staff's search box finds for `query` (already checked for length by the caller)."""
    query = query.strip()
    results = Results(query=query)
    if not words(query):
        return results
    codes = country_codes(query)
    users = select(User.id).where(
        or_(text_match([User.full_name, User.email], query), substring_match([User.email], query))
    )
    users_orgs = select(Membership.organisation_id).where(Membership.user_id.in_(users))
    orgs = select(Organisation.id).where(
        or_(
            text_match([Organisation.legal_name, Organisation.acronym], query),
            substring_match([Organisation.acronym], query),
        )
    )
    by_country = bool(codes)

    calls = select(Call).where(
        or_(
            text_match([Call.reference, Call.title], query),
            substring_match([Call.reference], query),
            Call.id.in_(select(CallCountry.call_id).where(CallCountry.country_code.in_(codes)))
            if by_country
            else false(),
        )
    )
    proposals = select(Proposal).where(
        or_(
            text_match([Proposal.reference, Proposal.title], query),
            substring_match([Proposal.reference], query),
            Proposal.organisation_id.in_(orgs),
            Proposal.organisation_id.in_(users_orgs),
            Proposal.created_by_id.in_(users),
            Proposal.id.in_(select(ProposalPartner.proposal_id).where(ProposalPartner.organisation_id.in_(orgs))),
            Proposal.id.in_(select(ProposalCountry.proposal_id).where(ProposalCountry.country_code.in_(codes)))
            if by_country
            else false(),
        )
    )
    implementers = select(GrantOrganisation.grant_id).where(
        or_(GrantOrganisation.organisation_id.in_(orgs), GrantOrganisation.organisation_id.in_(users_orgs))
    )
    grants = select(Grant).where(
        or_(
            text_match([Grant.agreement_number, Grant.title], query),
            substring_match([Grant.agreement_number], query),
            Grant.id.in_(implementers),
            Grant.id.in_(select(GrantCountry.grant_id).where(GrantCountry.country_code.in_(codes)))
            if by_country
            else false(),
        )
    )
    organisations = select(Organisation).where(
        or_(
            Organisation.id.in_(orgs),
            substring_match([Organisation.registration_number], query),
            Organisation.id.in_(users_orgs),
            Organisation.country.in_(codes) if by_country else false(),
        )
    )
    for kind, statement, order in (
        ("calls", calls, (Call.closes_at.desc(), Call.id.desc())),
        (
            "proposals",
            proposals.options(joinedload(Proposal.organisation), joinedload(Proposal.call)),
            (Proposal.created_at.desc(), Proposal.id.desc()),
        ),
        ("grants", grants.options(joinedload(Grant.lead_organisation)), (Grant.agreement_number,)),
        ("organisations", organisations, (Organisation.legal_name, Organisation.id)),
    ):
        found = list(db.session.scalars(statement.order_by(*order).limit(limit + 1)))
        if len(found) > limit:
            results.more.add(kind)
        setattr(results, kind, found[:limit])
    return results
