"""The administrative and eligibility checks of a proposal: a manager works through the call's checklist, saves
progress, then concludes (admissible / not admissible, eligible / not eligible) through the proposal's state
machine. A failed item needs a reason: the applicant reads it once the check is concluded.

Each operation checks, changes, audits and flushes; it never commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.core import audit
from portal.core.db import utcnow
from portal.core.i18n import localized
from portal.evaluation.checks_models import CheckConclusion, CheckItem, CheckKind, CheckResult
from portal.extensions import db
from portal.proposals import states
from portal.proposals.models import PartnerRole, PartnerStatus, Proposal, ProposalStatus

log = logging.getLogger(__name__)

# The defaults of DOMAIN.md: (label in English, label in French, answered per consortium member).
DEFAULT_ITEMS = {
    CheckKind.ADMINISTRATIVE: [
        ("The deadline was met", "La date limite a été respectée", False),
        ("The application form is complete", "Le formulaire de demande est complet", False),
        (
            "The proposal is written in a language of the call",
            "La proposition est rédigée dans une langue de l'appel",
            False,
        ),
        ("The required documents are attached", "Les documents requis sont joints", False),
        ("The declarations are signed", "Les déclarations sont signées", False),
    ],
    CheckKind.ELIGIBILITY: [
        (
            "The organisation is eligible (type, country, registration, supporting documents)",
            "L'organisation est éligible (type, pays, enregistrement, pièces justificatives)",
            True,
        ),
    ],
}

KIND_LABELS = {CheckKind.ADMINISTRATIVE: _l("Administrative check"), CheckKind.ELIGIBILITY: _l("Eligibility check")}
OUTCOMES = {
    CheckKind.ADMINISTRATIVE: (ProposalStatus.ADMISSIBLE, ProposalStatus.NOT_ADMISSIBLE),
    CheckKind.ELIGIBILITY: (ProposalStatus.ELIGIBLE, ProposalStatus.NOT_ELIGIBLE),
}
# The statuses a proposal may have while each check is worked through.
OPEN_STATUSES = {
    CheckKind.ADMINISTRATIVE: (ProposalStatus.SUBMITTED,),
    CheckKind.ELIGIBILITY: (ProposalStatus.SUBMITTED, ProposalStatus.ADMISSIBLE),
}


class CheckError(ValueError):
    """A refusal with a message for the manager; `errors` maps form fields to their messages."""

    def __init__(self, message, errors: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


# -- the checklist of a call -----------------------------------------------------------------------------------


def items_of(call, kind: str) -> list[CheckItem]:
    return list(
        db.session.scalars(
            select(CheckItem).where(CheckItem.call_id == call.id, CheckItem.kind == kind).order_by(CheckItem.position)
        )
    )


def ensure_default_items(call, kind: str, *, by) -> list[CheckItem]:
    """Give the call the default checklist of `kind` unless it has items of that kind already."""
    existing = items_of(call, kind)
    if existing:
        return existing
    items = [
        CheckItem(call_id=call.id, kind=kind, position=i, label_en=en, label_fr=fr, per_member=per_member)
        for i, (en, fr, per_member) in enumerate(DEFAULT_ITEMS[CheckKind(kind)], start=1)
    ]
    db.session.add_all(items)
    db.session.flush()
    audit.record("checks.defaults", call, actor=by, after={"kind": kind, "items": [i.label_en for i in items]})
    return items


def add_item(call, kind: str, label_en: str, label_fr: str, per_member: bool, *, by) -> CheckItem:
    errors: dict[str, object] = {}
    if kind not in (CheckKind.ADMINISTRATIVE, CheckKind.ELIGIBILITY):
        errors["kind"] = _l("Choose the check the item belongs to.")
    if not label_en.strip():
        errors["label_en"] = _l("Write the item in English.")
    if not label_fr.strip():
        errors["label_fr"] = _l("Write the item in French.")
    if errors:
        raise CheckError(_l("The item was not added."), errors)
    position = (
        db.session.scalar(
            select(func.max(CheckItem.position)).where(CheckItem.call_id == call.id, CheckItem.kind == kind)
        )
        or 0
    ) + 1
    item = CheckItem(
        call_id=call.id,
        kind=kind,
        position=position,
        label_en=label_en.strip(),
        label_fr=label_fr.strip(),
        per_member=per_member,
    )
    db.session.add(item)
    db.session.flush()
    audit.record("checks.item_added", item, actor=by, after=audit.snapshot(item, ["kind", "label_en", "per_member"]))
    return item


def remove_item(item: CheckItem, *, by) -> None:
    """Remove an item no proposal has been checked against (answers are part of the record)."""
    if db.session.scalar(select(func.count()).select_from(CheckResult).where(CheckResult.item_id == item.id)):
        raise CheckError(_l("Proposals have already been checked against this item: it can no longer be removed."))
    audit.record("checks.item_removed", item, actor=by, before=audit.snapshot(item, ["kind", "label_en"]))
    db.session.delete(item)
    db.session.flush()


# -- the checks of a proposal ----------------------------------------------------------------------------------


@dataclass
class Line:
    """One answer to give: an item, for the proposal as a whole (organisation None) or one member."""

    item: CheckItem
    organisation: object | None
    result: CheckResult | None

    @property
    def key(self) -> str:
        return f"item-{self.item.id}-{self.organisation.id if self.organisation is not None else 0}"


@dataclass
class Checklist:
    proposal: Proposal
    kind: str
    lines: list[Line] = field(default_factory=list)
    conclusion: CheckConclusion | None = None

    @property
    def answered(self) -> int:
        return sum(1 for line in self.lines if line.result is not None)

    @property
    def failed(self) -> list[Line]:
        return [line for line in self.lines if line.result is not None and not line.result.passed]

    @property
    def is_open(self) -> bool:
        return self.conclusion is None and self.proposal.status in OPEN_STATUSES[CheckKind(self.kind)]


def members(proposal: Proposal) -> list:
    """The consortium members whose eligibility is checked: the lead applicant, then each co-applicant that
    confirmed its participation."""
    return [proposal.organisation] + [
        p.organisation
        for p in proposal.partners
        if p.role == PartnerRole.CO_APPLICANT and p.status == PartnerStatus.ACCEPTED
    ]


def checklist(proposal: Proposal, kind: str) -> Checklist:
    results = {
        (r.item_id, r.organisation_id): r
        for r in db.session.scalars(select(CheckResult).where(CheckResult.proposal_id == proposal.id))
    }
    lines = []
    for item in items_of(proposal.call, kind):
        for organisation in members(proposal) if item.per_member else [None]:
            org_id = organisation.id if organisation is not None else 0
            lines.append(Line(item, organisation, results.get((item.id, org_id))))
    conclusion = db.session.scalar(
        select(CheckConclusion).where(CheckConclusion.proposal_id == proposal.id, CheckConclusion.kind == kind)
    )
    return Checklist(proposal, kind, lines, conclusion)


def save_answers(proposal: Proposal, kind: str, answers: dict[str, tuple[bool | None, str]], *, by) -> Checklist:
    """Record the answers given (line key -> (passed, reason)); an unanswered line stays open. A failed line
    needs a reason."""
    current = checklist(proposal, kind)
    if not current.is_open:
        raise CheckError(_l("This check is concluded: its answers can no longer change."))
    errors: dict[str, object] = {}
    for line in current.lines:
        passed, reason = answers.get(line.key, (None, ""))
        if passed is False and not reason.strip():
            errors[line.key + "-reason"] = _l(
                "“%(item)s”: say why it failed. The applicant will read this reason.",
                item=localized(line.item, "label"),
            )
    if errors:
        raise CheckError(_l("The answers were not saved."), errors)
    changes = {}
    for line in current.lines:
        passed, reason = answers.get(line.key, (None, ""))
        if passed is None:
            continue
        reason = "" if passed else reason.strip()
        result = line.result
        if result is None:
            result = CheckResult(
                proposal_id=proposal.id,
                item_id=line.item.id,
                organisation_id=line.organisation.id if line.organisation is not None else 0,
                passed=passed,
                reason=reason,
                checked_by_id=by.id,
            )
            db.session.add(result)
            line.result = result
            changes[line.key] = {"passed": passed, "reason": reason}
        elif (result.passed, result.reason) != (passed, reason):
            result.passed, result.reason, result.checked_by_id = passed, reason, by.id
            result.checked_at = utcnow()
            changes[line.key] = {"passed": passed, "reason": reason}
    if changes:
        audit.record("checks.answers", proposal, actor=by, after={"kind": kind, "answers": changes})
    db.session.flush()
    return checklist(proposal, kind)


def conclude(proposal: Proposal, kind: str, *, by) -> CheckConclusion:
    """End the check: every line answered; any failed line makes the proposal not admissible (or not eligible),
    with the failed items' reasons as the reason of the transition."""
    current = checklist(proposal, kind)
    if current.conclusion is not None:
        raise CheckError(_l("This check is already concluded."))
    if not current.lines:
        raise CheckError(_l("The call has no checklist for this check yet: add its items first."))
    if current.answered < len(current.lines):
        raise CheckError(
            _l(
                "Answer every item before concluding: %(done)d of %(total)d are answered.",
                done=current.answered,
                total=len(current.lines),
            )
        )
    if kind == CheckKind.ELIGIBILITY and _needs_admissibility_first(proposal):
        raise CheckError(
            _l("Conclude the administrative check first: this call checks eligibility of admissible proposals.")
        )
    passed = not current.failed
    success, failure = OUTCOMES[CheckKind(kind)]
    reason = "; ".join(
        f"{line.item.label_en}{f' ({line.organisation.name})' if line.organisation is not None else ''}: "
        f"{line.result.reason}"
        for line in current.failed
    )
    try:
        states.transition(proposal, success if passed else failure, by=by, reason=reason)
    except states.IllegalTransitionError as exc:
        raise CheckError(exc.args[0]) from exc
    conclusion = CheckConclusion(proposal_id=proposal.id, kind=kind, passed=passed, concluded_by_id=by.id)
    db.session.add(conclusion)
    db.session.flush()
    audit.record("checks.concluded", proposal, actor=by, after={"kind": kind, "passed": passed, "reason": reason})
    db.session.flush()
    return conclusion


def _needs_admissibility_first(proposal: Proposal) -> bool:
    """Whether the proposal's pipeline has an administrative check that it has not passed yet."""
    from portal.evaluation import pipeline

    kinds = [s.kind for s in pipeline.stages_of(proposal.call, pipeline.version_of(proposal))]
    return CheckKind.ADMINISTRATIVE in kinds and proposal.status != ProposalStatus.ADMISSIBLE


def reopen(proposal: Proposal, kind: str, reason: str, *, by) -> None:
    """Re-open a failed check (not admissible / not eligible -> submitted), with the reason why; the answers stay
    and can be changed, and the applicant no longer reads the failed items until the check is concluded again."""
    conclusion = checklist(proposal, kind).conclusion
    if conclusion is None or conclusion.passed:
        raise CheckError(_l("Only a failed check can be re-opened."))
    if len(reason.strip()) < 10:
        message = _l("Say why the check is re-opened (at least 10 characters).")
        raise CheckError(message, {"reopen_reason": message})
    try:
        states.transition(proposal, ProposalStatus.SUBMITTED, by=by, reason=reason.strip())
    except states.IllegalTransitionError as exc:
        raise CheckError(exc.args[0]) from exc
    audit.record(
        "checks.reopened",
        proposal,
        actor=by,
        before={"kind": kind, "passed": False, "concluded_at": conclusion.concluded_at},
        after={"kind": kind, "reason": reason.strip()},
    )
    db.session.delete(conclusion)
    db.session.flush()


# -- reading ---------------------------------------------------------------------------------------------------


def applicant_outcomes(proposal: Proposal) -> list[Checklist]:
    """The concluded checks of a proposal, for its applicant's page (the failed items carry their reasons)."""
    kinds = db.session.scalars(
        select(CheckConclusion.kind).where(CheckConclusion.proposal_id == proposal.id).order_by(CheckConclusion.id)
    ).all()
    return [checklist(proposal, kind) for kind in kinds]


@dataclass
class CheckStatus:
    proposal: Proposal
    by_kind: dict[str, tuple[int, int, CheckConclusion | None]]  # kind -> (answered, lines, conclusion)


def call_overview(call, kinds: list[str]) -> list[CheckStatus]:
    """Each submitted proposal of the call with the state of each of its checks (answered lines, conclusion)."""
    proposals = list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.DRAFT)
            .order_by(Proposal.reference)
            .options(selectinload(Proposal.partners), selectinload(Proposal.organisation))
        )
    )
    ids = [p.id for p in proposals]
    answered = {
        (proposal_id, kind): count
        for proposal_id, kind, count in db.session.execute(
            select(CheckResult.proposal_id, CheckItem.kind, func.count())
            .join(CheckItem, CheckItem.id == CheckResult.item_id)
            .where(CheckResult.proposal_id.in_(ids))
            .group_by(CheckResult.proposal_id, CheckItem.kind)
        )
    }
    conclusions = {
        (c.proposal_id, c.kind): c
        for c in db.session.scalars(select(CheckConclusion).where(CheckConclusion.proposal_id.in_(ids)))
    }
    items = {kind: items_of(call, kind) for kind in kinds}
    rows = []
    for proposal in proposals:
        member_count = len(members(proposal))
        by_kind = {}
        for kind in kinds:
            total = sum(member_count if i.per_member else 1 for i in items[kind])
            by_kind[kind] = (answered.get((proposal.id, kind), 0), total, conclusions.get((proposal.id, kind)))
        rows.append(CheckStatus(proposal, by_kind))
    return rows
