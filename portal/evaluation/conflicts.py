"""Conflicts of interest the portal detects itself: the evaluator's organisation, or one of their past employers,
is the lead organisation or a partner of the proposal. Such an evaluator is never assigned to it, by hand or
automatically. (Conflicts only the evaluator knows of are declared per proposal: operations.declare_interest.)

Past employers are registered organisations, or names as the evaluator wrote them; a written name is the same
organisation as a consortium member when the organisation matcher (portal.organisations.matching: accents, case,
connectors and legal forms set aside, RapidFuzz similarity) finds them nearly identical."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from sqlalchemy import select

from portal.evaluation.evaluator_models import EvaluatorProfile
from portal.extensions import db
from portal.organisations.matching import NAME_SIMILARITY_THRESHOLD, normalise_name
from portal.organisations.models import Organisation


def profile_of(user) -> EvaluatorProfile | None:
    if user is None:
        return None
    return db.session.scalar(select(EvaluatorProfile).where(EvaluatorProfile.user_id == user.id))


def consortium_of(proposal) -> list[Organisation]:
    """The lead organisation and every partner organisation of the proposal (invited ones too)."""
    organisations = [proposal.organisation]
    organisations += [p.organisation for p in proposal.partners if p.organisation is not None]
    return organisations


def names_matching(written: Iterable[str], organisations: dict[int, Organisation]) -> dict[int, str]:
    """Organisation id -> the written name that matches it (its legal name or acronym, normalised)."""
    return names_matching_many({0: list(written)}, organisations).get(0, {})


def names_matching_many(
    written_by: dict[int, list[str]], organisations: dict[int, Organisation]
) -> dict[int, dict[int, str]]:
    """For each key (an evaluator), organisation id -> the written name that matches it. One similarity matrix for
    every name against every organisation (RapidFuzz `cdist`), so a whole stage is compared at once."""
    keys: list[int] = []  # the organisation of each choice
    choices: list[str] = []
    for org_id, organisation in organisations.items():
        for text in (organisation.legal_name, organisation.acronym):
            if text:
                keys.append(org_id)
                choices.append(normalise_name(text))
    queries: list[tuple[int, str, str]] = [
        (owner, name, normalise_name(name)) for owner, names in written_by.items() for name in names if name.strip()
    ]
    queries = [q for q in queries if q[2]]
    if not queries or not choices:
        return {}
    scores = process.cdist(
        [q[2] for q in queries],
        choices,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=NAME_SIMILARITY_THRESHOLD,
        workers=-1,
    )
    found: dict[int, dict[int, str]] = {}
    for row, col in zip(*scores.nonzero(), strict=True):
        owner, name, _normalised = queries[row]
        found.setdefault(owner, {}).setdefault(keys[col], name)
    return found


def conflicting_organisations(profile: EvaluatorProfile | None, organisations: Iterable[Organisation]) -> dict:
    """Of `organisations`, those the evaluator works or worked for: organisation id -> reason text."""
    if profile is None:
        return {}
    by_id = {o.id: o for o in organisations}
    reasons: dict[int, object] = {}
    if profile.organisation_id in by_id:
        reasons[profile.organisation_id] = _l(
            "The evaluator works for %(organisation)s, which is in the consortium.",
            organisation=by_id[profile.organisation_id].name,
        )
    for employer in profile.past_employers:
        if employer.id in by_id and employer.id not in reasons:
            reasons[employer.id] = _l(
                "The evaluator worked for %(organisation)s, which is in the consortium.", organisation=employer.name
            )
    rest = {k: v for k, v in by_id.items() if k not in reasons}
    for org_id, written in names_matching(profile.past_employer_names or [], rest).items():
        reasons[org_id] = _l(
            "The evaluator worked for “%(written)s”, which matches %(organisation)s in the consortium.",
            written=written,
            organisation=by_id[org_id].name,
        )
    return reasons


def detected_conflict(evaluator, proposal) -> str | None:
    """Why the portal sees a conflict of interest between the evaluator and the proposal, or None."""
    reasons = conflicting_organisations(profile_of(evaluator), consortium_of(proposal))
    if not reasons:
        return None
    return str(next(iter(reasons.values())))
