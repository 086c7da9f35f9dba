"""Read helpers of the calls area. Each runs a fixed number of SQL statements, whatever the number of calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import User
from portal.calls.models import (
    Call,
    CallCountry,
    CallQuestion,
    CallStatus,
    Dialogue,
    JvapDomain,
    QuestionStatus,
    call_dialogues,
    call_domains,
)
from portal.core import countries
from portal.core.db import utcnow
from portal.core.ids import digits
from portal.evaluation.models import EvaluationStage, GridSection
from portal.extensions import db
from portal.organisations.models import Membership
from portal.proposals.models import PartnerStatus, Proposal, ProposalPartner, ProposalStatus

PHASES = ("open", "upcoming", "closed")


def _grid_loader():
    return selectinload(Call.stages).selectinload(EvaluationStage.sections).selectinload(GridSection.criteria)


def public_calls(now: dt.datetime | None = None) -> list[Call]:
    """Published (non-draft) calls: open ones first (nearest deadline first), then upcoming, then closed
    (most recent deadline first)."""
    return filtered_public_calls(CallFilters(), now)


@dataclass(frozen=True)
class CallFilters:
    """What the public list is narrowed to; None means "any"."""

    phase: str | None = None
    dialogue: Dialogue | None = None
    domain: JvapDomain | None = None
    country: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.phase, self.dialogue, self.domain, self.country))


def resolve_filters(
    *, phase: str | None, dialogue: str | None, domain: str | None, country: str | None
) -> tuple[CallFilters, list[str]]:
    """Read the public list's filters from what the URL holds (empty means "any"). A value that names nothing
    is dropped with a message saying so, never an error page."""
    problems: list[str] = []
    phase = (phase or "").strip().lower() or None
    if phase is not None and phase not in PHASES:
        problems.append(_("“%(value)s” is not a status a call can have; choose open, upcoming or closed.", value=phase))
        phase = None
    found_dialogue = None
    code = (dialogue or "").strip()
    if code:
        found_dialogue = db.session.scalar(select(Dialogue).where(func.lower(Dialogue.code) == code.lower()))
        if found_dialogue is None:
            problems.append(_("There is no dialogue “%(value)s”; choose one from the list.", value=code))
    found_domain = None
    number = (domain or "").strip()
    if number:
        if digits(number) and len(number) < 4:
            found_domain = db.session.scalar(select(JvapDomain).where(JvapDomain.number == int(number)))
        if found_domain is None:
            problems.append(_("There is no JVAP domain “%(value)s”; choose one from the list.", value=number))
    code = (country or "").strip().upper() or None
    if code is not None and not countries.is_valid(code):
        problems.append(_("“%(value)s” is not a country code; choose a country from the list.", value=country.strip()))
        code = None
    return CallFilters(phase=phase, dialogue=found_dialogue, domain=found_domain, country=code), problems


def _phase_clause(phase: str, now: dt.datetime):
    published = Call.status == CallStatus.PUBLISHED
    if phase == "open":
        return and_(published, Call.opens_at <= now, Call.closes_at > now)
    if phase == "upcoming":
        return and_(published, Call.opens_at > now)
    # closed: past its deadline, or in evaluation or later (Call.phase() says the same in Python)
    return or_(
        Call.status.in_([CallStatus.EVALUATION, CallStatus.DECIDED, CallStatus.ARCHIVED]),
        and_(published, Call.closes_at <= now),
    )


def filtered_public_calls(filters: CallFilters, now: dt.datetime | None = None) -> list[Call]:
    """The public list narrowed by `filters` (they combine), in the order of public_calls, with the dialogues and
    domains each row shows loaded: a fixed number of SQL statements whatever the number of calls."""
    now = now or utcnow()
    published = Call.status == CallStatus.PUBLISHED
    rank = case(
        (and_(published, Call.opens_at <= now, Call.closes_at > now), 0),
        (and_(published, Call.opens_at > now), 1),
        else_=2,
    )
    stmt = select(Call).where(Call.status != CallStatus.DRAFT)
    if filters.phase is not None:
        stmt = stmt.where(_phase_clause(filters.phase, now))
    if filters.dialogue is not None:
        stmt = stmt.where(
            exists().where(call_dialogues.c.call_id == Call.id, call_dialogues.c.dialogue_id == filters.dialogue.id)
        )
    if filters.domain is not None:
        stmt = stmt.where(
            exists().where(call_domains.c.call_id == Call.id, call_domains.c.domain_id == filters.domain.id)
        )
    if filters.country is not None:
        stmt = stmt.where(exists().where(CallCountry.call_id == Call.id, CallCountry.country_code == filters.country))
    stmt = stmt.order_by(rank, Call.closes_at, Call.id)
    stmt = stmt.options(selectinload(Call.dialogues), selectinload(Call.domains))
    calls = list(db.session.scalars(stmt))
    # Open and upcoming calls: nearest deadline first; closed ones: most recent deadline first.
    current = [c for c in calls if c.phase(now) != "closed"]
    closed = [c for c in calls if c.phase(now) == "closed"]
    return current + closed[::-1]


def filter_choices() -> tuple[list[Dialogue], list[JvapDomain], list[str]]:
    """What the public list's filters offer: every dialogue and domain, and the countries of public calls."""
    dialogues = list(db.session.scalars(select(Dialogue).order_by(Dialogue.id)))
    domains = list(db.session.scalars(select(JvapDomain).order_by(JvapDomain.number)))
    codes = list(
        db.session.scalars(
            select(CallCountry.country_code)
            .join(Call, Call.id == CallCountry.call_id)
            .where(Call.status != CallStatus.DRAFT)
            .distinct()
        )
    )
    return dialogues, domains, codes


def open_calls(now: dt.datetime | None = None) -> list[Call]:
    now = now or utcnow()
    stmt = (
        select(Call)
        .where(Call.status == CallStatus.PUBLISHED, Call.opens_at <= now, Call.closes_at > now)
        .order_by(Call.closes_at, Call.id)
    )
    return list(db.session.scalars(stmt))


def manage_calls() -> list[Call]:
    """Every call, drafts included, newest deadline first."""
    return list(db.session.scalars(select(Call).order_by(Call.closes_at.desc(), Call.id.desc())))


def proposal_counts_by_call(call_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{call_id: {status: count}} for the given calls (all calls if None), in one grouped query."""
    stmt = select(Proposal.call_id, Proposal.status, func.count(Proposal.id)).group_by(
        Proposal.call_id, Proposal.status
    )
    if call_ids is not None:
        if not call_ids:
            return {}
        stmt = stmt.where(Proposal.call_id.in_(call_ids))
    counts: dict[int, dict[str, int]] = {}
    for call_id, status, count in db.session.execute(stmt):
        counts.setdefault(call_id, {})[status] = count
    return counts


def call_with_details(call_id: int) -> Call | None:
    """A call with every rule, document, deadline change and its evaluation grid loaded in a fixed number of
    queries."""
    stmt = (
        select(Call)
        .where(Call.id == call_id)
        .options(
            selectinload(Call.dialogues),
            selectinload(Call.domains),
            selectinload(Call.country_rows),
            selectinload(Call.lead_country_rows),
            selectinload(Call.applicant_type_rows),
            selectinload(Call.theme_rows),
            selectinload(Call.documents),
            selectinload(Call.attachment_requirements),
            selectinload(Call.deadline_changes),
            _grid_loader(),
        )
    )
    return db.session.scalars(stmt).one_or_none()


def published_questions(call: Call) -> list[CallQuestion]:
    """The call's published clarifications, oldest first (never with their askers)."""
    stmt = (
        select(CallQuestion)
        .where(CallQuestion.call_id == call.id, CallQuestion.status == QuestionStatus.PUBLISHED)
        .order_by(CallQuestion.published_at, CallQuestion.id)
    )
    return list(db.session.scalars(stmt))


def questions_by_status(call: Call) -> dict[str, list[CallQuestion]]:
    """Every question of the call, with its asker, grouped by status (pending oldest first)."""
    stmt = (
        select(CallQuestion)
        .where(CallQuestion.call_id == call.id)
        .options(joinedload(CallQuestion.asked_by))
        .order_by(CallQuestion.asked_at, CallQuestion.id)
    )
    grouped: dict[str, list[CallQuestion]] = {s.value: [] for s in QuestionStatus}
    for question in db.session.scalars(stmt):
        grouped.setdefault(question.status, []).append(question)
    return grouped


def pending_question_count(call: Call) -> int:
    stmt = select(func.count(CallQuestion.id)).where(
        CallQuestion.call_id == call.id, CallQuestion.status == QuestionStatus.PENDING
    )
    return db.session.scalar(stmt) or 0


def my_questions(call: Call, user) -> list[CallQuestion]:
    """The questions `user` asked on the call (shown to them only, with their status)."""
    if not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(CallQuestion)
        .where(CallQuestion.call_id == call.id, CallQuestion.asked_by_id == user.id)
        .order_by(CallQuestion.asked_at, CallQuestion.id)
    )
    return list(db.session.scalars(stmt))


def drafting_users(call: Call) -> list[User]:
    """Active users drafting a proposal under the call: members of the lead organisation of each draft, and of
    its co-applicants and associated entities that accepted to take part. One query."""
    lead = select(Proposal.organisation_id).where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.DRAFT)
    partners = (
        select(ProposalPartner.organisation_id)
        .join(Proposal, Proposal.id == ProposalPartner.proposal_id)
        .where(
            Proposal.call_id == call.id,
            Proposal.status == ProposalStatus.DRAFT,
            ProposalPartner.status == PartnerStatus.ACCEPTED,
            ProposalPartner.organisation_id.is_not(None),
        )
    )
    stmt = (
        select(User)
        .where(
            User.active.is_(True),
            exists().where(
                Membership.user_id == User.id,
                or_(Membership.organisation_id.in_(lead), Membership.organisation_id.in_(partners)),
            ),
        )
        .order_by(User.id)
    )
    return list(db.session.scalars(stmt))


def call_proposals(call: Call) -> list[Proposal]:
    stmt = (
        select(Proposal)
        .where(Proposal.call_id == call.id)
        .options(joinedload(Proposal.organisation))
        .order_by(Proposal.reference)
    )
    return list(db.session.scalars(stmt))


def submitted_proposal_count(call: Call) -> int:
    """Proposals of the call that have been submitted (anything but a draft)."""
    stmt = select(func.count(Proposal.id)).where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.DRAFT)
    return db.session.scalar(stmt) or 0


def proposal_count(call: Call) -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.call_id == call.id)) or 0
