"""The rules about evaluators: their profile, the declaration they sign before their first assignment, automatic
assignment of a whole stage (planned by portal.evaluation.solver, confirmed by a manager) and reminders.

Like operations.py: check, change, audit, flush; never read the request, never commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, selectinload

from portal.accounts.models import Role, User
from portal.calls.models import JvapDomain
from portal.core import audit, countries, mail
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.evaluation import pipeline, solver
from portal.evaluation.conflicts import consortium_of, names_matching_many, profile_of
from portal.evaluation.evaluator_models import DECLARATION_VERSION, EvaluationReminder, EvaluatorProfile
from portal.evaluation.models import Assignment, AssignmentStatus, EvaluationStage
from portal.evaluation.operations import EvaluationError, _create_assignment
from portal.evaluation.queries import ASSIGNABLE_STATUSES
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.proposals.models import Proposal, ProposalPartner

log = logging.getLogger(__name__)

# Languages an evaluator can declare (ISO 639-1): the dialogues' working languages and those of many applicants.
EVALUATOR_LANGUAGES = ("en", "fr", "pt", "ar", "es", "de", "it", "nl", "sw", "am", "ti", "so", "ha", "wo")
MAX_EMPLOYER_NAMES = 20


def proposal_language(proposal: Proposal) -> str:
    """The language a proposal is written in: its own when it records one, else its call's."""
    return getattr(proposal, "language", None) or proposal.call.language or "en"


def language_choices(locale: str) -> list[tuple[str, str]]:
    names = []
    for code in EVALUATOR_LANGUAGES:
        try:
            name = Locale.parse(code).get_display_name(locale) or code
        except (UnknownLocaleError, ValueError):
            name = code
        names.append((code, name[:1].upper() + name[1:]))
    return sorted(names, key=lambda c: c[1])


def profile_for(user: User) -> EvaluatorProfile:
    """The user's profile, created empty on first use."""
    profile = profile_of(user)
    if profile is None:
        profile = EvaluatorProfile(user=user, languages=[], countries=[], past_employer_names=[], themes="")
        db.session.add(profile)
        db.session.flush()
    return profile


@dataclass
class ProfileData:
    domain_ids: list[int]
    themes: str
    languages: list[str]
    countries: list[str]
    organisation_id: int | None
    past_employer_names: list[str]  # as written, one per line


def save_profile(user: User, data: ProfileData, *, by: User) -> EvaluatorProfile:
    """Save the evaluator's own profile; every value is checked against its list."""
    if by.id != user.id or user.role != Role.EVALUATOR:
        raise EvaluationError(_l("Only the evaluator can change their own profile."))
    unknown_languages = [code for code in data.languages if code not in EVALUATOR_LANGUAGES]
    if unknown_languages or not data.languages:
        raise EvaluationError(_l("Choose at least one language you can evaluate in."), field="languages")
    unknown_countries = [code for code in data.countries if not countries.is_valid(code)]
    if unknown_countries:
        raise EvaluationError(_l("Choose countries from the list."), field="countries")
    domains = list(db.session.scalars(select(JvapDomain).where(JvapDomain.id.in_(data.domain_ids or [0]))))
    if len(domains) != len(set(data.domain_ids)):
        raise EvaluationError(_l("Choose JVAP domains from the list."), field="domains")
    organisation = None
    if data.organisation_id:
        organisation = db.session.get(Organisation, data.organisation_id)
        if organisation is None:
            raise EvaluationError(_l("Choose your organisation from the list."), field="organisation_id")
    names = list(dict.fromkeys(n.strip() for n in data.past_employer_names if n.strip()))
    if len(names) > MAX_EMPLOYER_NAMES or any(len(n) > 300 for n in names):
        raise EvaluationError(
            _l(
                "Write at most %(num)d past employers, one per line, each under 300 characters.", num=MAX_EMPLOYER_NAMES
            ),
            field="past_employer_names",
        )
    employers = registered_employers(names)

    profile = profile_for(user)
    before = _facts(profile)
    profile.domains = domains
    profile.themes = (data.themes or "").strip()
    profile.languages = sorted(set(data.languages))
    profile.countries = sorted({c.upper() for c in data.countries})
    profile.organisation = organisation
    profile.past_employers = employers
    profile.past_employer_names = names
    db.session.flush()
    audit.record("evaluator.profile_saved", profile, actor=by, before=before, after=_facts(profile))
    return profile


def registered_employers(names: list[str]) -> list[Organisation]:
    """The registered organisations that the organisation matcher finds among the written names."""
    if not names:
        return []
    registered = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).options(load_only(Organisation.id, Organisation.legal_name, Organisation.acronym))
        )
    }
    matched = names_matching_many({0: names}, registered).get(0, {})
    return [registered[org_id] for org_id in sorted(matched)]


def _facts(profile: EvaluatorProfile) -> dict:
    return {
        "domains": [d.number for d in profile.domains],
        "themes": profile.themes,
        "languages": list(profile.languages or []),
        "countries": list(profile.countries or []),
        "organisation_id": profile.organisation_id,
        "past_employers": [o.id for o in profile.past_employers],
        "past_employer_names": list(profile.past_employer_names or []),
    }


def sign_declaration(user: User, *, confidentiality: bool, impartiality: bool, by: User) -> EvaluatorProfile:
    """The evaluator signs the current version of the confidentiality and impartiality declaration."""
    if by.id != user.id or user.role != Role.EVALUATOR:
        raise EvaluationError(_l("Only the evaluator can sign their own declaration."))
    if not confidentiality:
        raise EvaluationError(_l("Confirm that you will keep what you read confidential."), field="confidentiality")
    if not impartiality:
        raise EvaluationError(_l("Confirm that you will evaluate impartially."), field="impartiality")
    profile = profile_for(user)
    if profile.has_signed:
        raise EvaluationError(_l("You have already signed this declaration."))
    before = {
        "declaration_signed_at": profile.declaration_signed_at,
        "declaration_version": profile.declaration_version,
    }
    profile.declaration_signed_at = utcnow()
    profile.declaration_version = DECLARATION_VERSION
    db.session.flush()
    audit.record(
        "evaluator.declaration_signed",
        profile,
        actor=by,
        before=before,
        after={"declaration_signed_at": profile.declaration_signed_at, "declaration_version": DECLARATION_VERSION},
    )
    return profile


# -- automatic assignment --------------------------------------------------------------------------------------


@dataclass
class StagePlan:
    stage: EvaluationStage
    plan: solver.AssignmentPlan
    proposals: dict[int, Proposal]
    evaluators: dict[int, User]


def stage_proposals(stage: EvaluationStage) -> list[Proposal]:
    """The stage's proposals that can still receive evaluators, with what the solver needs (one query each)."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(pipeline.proposals_in_stage(stage), Proposal.status.in_(ASSIGNABLE_STATUSES))
            .order_by(Proposal.reference)
            .options(
                joinedload(Proposal.organisation),
                joinedload(Proposal.call),
                selectinload(Proposal.country_rows),
                selectinload(Proposal.partners).joinedload(ProposalPartner.organisation),
                selectinload(Proposal.assignments),
            )
        )
    )


def evaluators_with_profiles() -> list[tuple[User, EvaluatorProfile | None]]:
    users = list(
        db.session.scalars(
            select(User).where(User.role == Role.EVALUATOR.value, User.active.is_(True)).order_by(User.id)
        )
    )
    profiles = {
        p.user_id: p
        for p in db.session.scalars(
            select(EvaluatorProfile)
            .where(EvaluatorProfile.user_id.in_([u.id for u in users] or [0]))
            .options(selectinload(EvaluatorProfile.domains), selectinload(EvaluatorProfile.past_employers))
        )
    }
    return [(u, profiles.get(u.id)) for u in users]


def plan_stage(stage: EvaluationStage, per_proposal: int | None = None) -> StagePlan:
    """What automatic assignment would do now in `stage` (nothing is changed)."""
    proposals = stage_proposals(stage)
    people = evaluators_with_profiles()
    plan = propose_assignments(stage, proposals, people, per_proposal)
    return StagePlan(stage, plan, {p.id: p for p in proposals}, {u.id: u for u, _p in people})


def propose_assignments(
    stage: EvaluationStage,
    proposals: list[Proposal],
    evaluators: list[tuple[User, EvaluatorProfile | None]],
    per_proposal: int | None = None,
) -> solver.AssignmentPlan:
    """Turn the stage's proposals and the evaluators (with their profiles) into the solver's facts and solve."""
    required = per_proposal or stage.evaluators_required
    # Organisations each evaluator may not judge: their own, their past employers, and those whose names match a
    # past employer they wrote down (compared once with every consortium member of the stage).
    organisations = {o.id: o for p in proposals for o in consortium_of(p)}
    barred_by_org: dict[int, set[int]] = defaultdict(set)
    written = names_matching_many(
        {user.id: list(profile.past_employer_names or []) for user, profile in evaluators if profile is not None},
        organisations,
    )
    for user, profile in evaluators:
        if profile is None:
            continue
        ids = {o.id for o in profile.past_employers}
        if profile.organisation_id:
            ids.add(profile.organisation_id)
        ids |= set(written.get(user.id, {}))
        for org_id in ids:
            barred_by_org[org_id].add(user.id)

    loads: dict[int, int] = defaultdict(int)
    facts = []
    for proposal in proposals:
        mine = [a for a in proposal.assignments if a.stage_id == stage.id]
        for a in mine:
            if a.is_active:
                loads[a.evaluator_id] += 1
        excluded = {a.evaluator_id for a in mine}
        for organisation in consortium_of(proposal):
            excluded |= barred_by_org.get(organisation.id, set())
        active = sum(1 for a in mine if a.is_active)
        facts.append(
            solver.ProposalFacts(
                id=proposal.id,
                language=proposal_language(proposal),
                domain_id=proposal.jvap_domain_id,
                countries=frozenset(proposal.countries),
                excluded=frozenset(excluded),
                needed=max(0, required - active),
            )
        )
    people = [
        solver.EvaluatorFacts(
            id=user.id,
            languages=frozenset(profile.languages or []) if profile else frozenset(),
            domain_ids=frozenset(d.id for d in profile.domains) if profile else frozenset(),
            countries=frozenset(profile.countries or []) if profile else frozenset(),
            load=loads.get(user.id, 0),
            signed=profile is not None and profile.has_signed,
        )
        for user, profile in evaluators
    ]
    return solver.solve(facts, people)


def confirm_plan(stage: EvaluationStage, fingerprint: str, *, by: User) -> StagePlan:
    """Carry out the automatic assignment the manager saw, if the data has not changed since (the plan is computed
    again and must have the same fingerprint). Each evaluator is e-mailed once, with the list of their proposals."""
    current = plan_stage(stage)
    if current.plan.fingerprint != fingerprint:
        raise PlanChangedError(current)
    if not current.plan.pairs:
        raise EvaluationError(_l("There is nothing to assign in this stage."))
    created: dict[int, list[Assignment]] = defaultdict(list)
    for proposal_id, evaluator_id in current.plan.pairs:
        proposal, evaluator = current.proposals[proposal_id], current.evaluators[evaluator_id]
        created[evaluator_id].append(_create_assignment(proposal, evaluator, stage, by=by, automatic=True))
    audit.record(
        "assignment.automatic_confirmed",
        stage,
        actor=by,
        after={
            "fingerprint": fingerprint,
            "assignments": len(current.plan.pairs),
            "unassignable": [p for p, _r in current.plan.unassignable],
        },
    )
    for evaluator_id, assignments in created.items():
        evaluator = current.evaluators[evaluator_id]
        mail.send(
            evaluator.email,
            "evaluation_assigned_batch",
            evaluator.locale,
            evaluator=evaluator,
            stage=stage,
            call=stage.call,
            assignments=assignments,
            url=external_url("evaluation.queue"),
        )
    db.session.flush()
    return current


class PlanChangedError(EvaluationError):
    """The data changed since the manager's preview: `current` is the new plan to show."""

    def __init__(self, current: StagePlan) -> None:
        super().__init__(
            _l("Assignments or evaluators changed since you looked at the plan. Here is the new plan: check it again.")
        )
        self.current = current


# -- reminders -------------------------------------------------------------------------------------------------


def send_reminders(stage: EvaluationStage, evaluators: list[User], *, by: User, today: dt.date | None = None):
    """E-mail each evaluator a reminder of their unfinished reviews in the stage; never twice the same day for the
    same evaluator and stage. Returns (reminded, skipped) lists of users."""
    today = today or utcnow().date()
    ids = [e.id for e in evaluators] or [0]
    already = set(
        db.session.scalars(
            select(EvaluationReminder.evaluator_id).where(
                EvaluationReminder.stage_id == stage.id,
                EvaluationReminder.evaluator_id.in_(ids),
                EvaluationReminder.sent_on == today,
            )
        )
    )
    open_work: dict[int, list[Assignment]] = defaultdict(list)
    for a in db.session.scalars(
        select(Assignment)
        .where(
            Assignment.stage_id == stage.id,
            Assignment.evaluator_id.in_(ids),
            Assignment.status.in_((AssignmentStatus.PENDING.value, AssignmentStatus.IN_PROGRESS.value)),
        )
        .options(joinedload(Assignment.proposal))
        .order_by(Assignment.id)
    ):
        open_work[a.evaluator_id].append(a)
    reminded, skipped = [], []
    for evaluator in evaluators:
        if evaluator.id in already or not open_work.get(evaluator.id):
            skipped.append(evaluator)
            continue
        reminder = EvaluationReminder(stage_id=stage.id, evaluator_id=evaluator.id, sent_on=today, sent_by_id=by.id)
        db.session.add(reminder)
        db.session.flush()
        audit.record(
            "evaluation.reminder_sent",
            reminder,
            actor=by,
            after={
                "stage_id": stage.id,
                "evaluator_id": evaluator.id,
                "evaluator": evaluator.email,
                "open_reviews": [a.proposal.reference for a in open_work[evaluator.id]],
            },
        )
        mail.send(
            evaluator.email,
            "evaluation_reminder",
            evaluator.locale,
            evaluator=evaluator,
            stage=stage,
            call=stage.call,
            assignments=open_work[evaluator.id],
            due_on=stage.due_on,
            url=external_url("evaluation.queue"),
        )
        reminded.append(evaluator)
    return reminded, skipped
