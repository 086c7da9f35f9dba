"""Business rules of proposals: starting one under an open call, saving the draft, checking it is complete and
submitting it before the deadline (to the second).

Operations check their preconditions, change the objects, write the audit entry and flush; they never commit
and never read the request. A broken rule raises ProposalError with every message a person must read, each tied
to the field it concerns (None for the proposal as a whole)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.calls.models import Call
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.core.i18n import instant
from portal.extensions import db
from portal.proposals.form_rules import Problem, section_errors, section_problems
from portal.proposals.models import (
    Proposal,
    ProposalCountry,
    ProposalSection,
    ProposalStage,
    ProposalStatus,
)

log = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 300
_REFERENCE_SUFFIX = re.compile(r"-(\d+)$")


class ProposalError(RuleError):
    """A broken rule of this area; see portal.core.errors.RuleError."""


class StaleSectionError(ProposalError):
    """Someone saved the section since the user's form was made: nothing was written."""


# -- starting a proposal --------------------------------------------------------------------------------------


def call_not_open_message(call: Call, now: dt.datetime | None = None) -> str | None:
    """Why nobody can apply to the call now, or None while it is open."""
    now = now or utcnow()
    if call.is_open(now):
        return None
    if call.status == "published" and now < call.opens_at:
        return _("This call opens on %(opens)s; you can apply from then.", opens=instant(call.opens_at, call.timezone))
    if now >= call.closes_at:
        return deadline_message(call)
    return _("This call is not open for proposals.")


def deadline_message(call: Call, deadline: dt.datetime | None = None) -> str:
    return _(
        "The deadline for this call was %(deadline)s; submissions are no longer accepted.",
        deadline=instant(deadline or call.closes_at, call.timezone),
    )


def _next_number(call: Call, *, after_collision: bool) -> int:
    count = db.session.scalar(select(func.count(Proposal.id)).where(Proposal.call_id == call.id)) or 0
    number = count + 1
    if after_collision:
        # Someone took the number meanwhile, or references have gaps: go past the highest one in use.
        prefix = call.reference.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-"
        taken = select(Proposal.reference).where(Proposal.reference.like(prefix + "%", escape="\\"))
        for reference in db.session.scalars(taken):
            match = _REFERENCE_SUFFIX.search(reference)
            if match and reference[: match.start()] == call.reference:
                number = max(number, int(match.group(1)) + 1)
    return number


def start_proposal(call: Call, organisation, title: str, *, by, now: dt.datetime | None = None) -> Proposal:
    """A new draft proposal of `organisation` under `call`, with reference <call reference>-<nnnn>."""
    refusal = call_not_open_message(call, now)
    if refusal:
        raise ProposalError(refusal)
    if not organisation.is_member(by):
        raise ProposalError(_("You are not a member of %(organisation)s.", organisation=organisation.name))
    title = (title or "").strip()
    if not title:
        raise ProposalError(_("Enter a title."), field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise ProposalError(_("Use at most 300 characters."), field="title")

    proposal = None
    for attempt in range(2):
        number = _next_number(call, after_collision=attempt > 0)
        candidate = Proposal(
            reference=f"{call.reference}-{number:04d}",
            call_id=call.id,
            organisation_id=organisation.id,
            created_by_id=by.id,
            title=title,
            status=ProposalStatus.DRAFT,
            # Under a two-stage call every proposal starts as a concept note; full applications come by invitation.
            stage=ProposalStage.CONCEPT_NOTE if call.is_two_stage else ProposalStage.FULL_APPLICATION,
        )
        try:
            # A savepoint: if another request took the same reference, only this insert is undone.
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
        except IntegrityError:
            log.info("proposal reference %s taken; retrying", candidate.reference)
            continue
        proposal = candidate
        break
    if proposal is None:
        raise ProposalError(_("The proposal could not be created because of simultaneous requests. Please try again."))
    audit.record(
        "proposal.created",
        proposal,
        actor=by,
        after={"reference": proposal.reference, "call": call.reference, "organisation_id": organisation.id},
    )
    db.session.flush()
    return proposal


# -- saving a section -----------------------------------------------------------------------------------------


def _section_facts(proposal: Proposal, key: str, row) -> dict:
    """What a section holds, for the audit entry's before and after."""
    if key == "identification":
        facts = audit.snapshot(proposal, ["title", "duration_months", "jvap_domain_id"])
        facts["dialogue_ids"] = [d.id for d in proposal.dialogues]
        facts["start_month"] = (row.data or {}).get("start_month", "") if row is not None else ""
        return facts
    if key == "summary":
        return {"summary": proposal.summary}
    if key == "countries":
        return {
            "shares": {
                r.country_code: str(r.share_pct) if r.share_pct is not None else None for r in proposal.country_rows
            }
        }
    return {"data": dict(row.data or {}) if row is not None else {}}


def save_section(proposal: Proposal, key: str, data: dict, *, by, expected_version: int | None) -> ProposalSection:
    """Save one section of the draft from `data` (as the section's form reads it; blanks are fine in a draft).

    Any value that breaks a rule refuses the whole save (ProposalError with every message, tied to its field);
    a save made from an older version of the section than the saved one is refused too (see claim_section).
    Returns the section row; its version goes up at the flush."""
    from portal.proposals.sections import (
        SECTION_TITLES,
        claim_section,
        section_keys_for,
        section_row,
        section_version,
        stale_section_message,
    )

    if not proposal.is_draft:
        raise ProposalError(_("This proposal has been submitted and is read-only."))
    if key not in section_keys_for(proposal) or key not in _APPLY:
        raise KeyError(key)
    if key == "declarations" and not proposal.is_applicant_member(by):
        raise ProposalError(_("Only the lead applicant's users can make the declarations."))
    if expected_version is not None and expected_version != section_version(proposal, key):
        # claim_section checks this too; checked first here so that callers can tell a stale save by its class.
        raise StaleSectionError(stale_section_message(str(SECTION_TITLES[key])))
    errors = section_errors(proposal, key, data)
    if errors:
        raise ProposalError(errors)
    before = _section_facts(proposal, key, section_row(proposal, key))
    row = claim_section(proposal, key, expected_version=expected_version, by=by)
    _APPLY[key](proposal, row, data, by)
    # The proposal's "last saved" moves without touching its version: two people saving different sections at the
    # same moment must not collide on the proposal row (a bulk UPDATE bypasses the ORM's version counter).
    now = row.updated_at
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    after = _section_facts(proposal, key, row)
    changed = sorted(k for k in after if after[k] != before.get(k))
    audit.record(
        "proposal.section_saved",
        proposal,
        actor=by,
        before={"section": key, **{k: before.get(k) for k in changed}},
        after={"section": key, "version": row.version_id, **{k: after[k] for k in changed}},
    )
    db.session.flush()
    return row


def _apply_identification(proposal: Proposal, row, data: dict, by) -> None:
    proposal.title = (data.get("title") or "").strip()
    proposal.duration_months = data.get("duration_months")
    proposal.jvap_domain_id = data.get("jvap_domain_id")
    wanted = set(data.get("dialogue_ids") or [])  # section_errors admits only the call's dialogues
    proposal.dialogues = [d for d in proposal.call.dialogues if d.id in wanted]
    row.data = {"start_month": data.get("start_month") or ""}


def _apply_summary(proposal: Proposal, row, data: dict, by) -> None:
    proposal.summary = (data.get("summary") or "").strip()
    row.data = {}


def _apply_countries(proposal: Proposal, row, data: dict, by) -> None:
    shares = data.get("shares") or {}
    existing = {r.country_code: r for r in proposal.country_rows}
    rows = []
    for code in sorted(shares):
        country = existing.get(code) or ProposalCountry(country_code=code)
        country.share_pct = shares[code]
        rows.append(country)
    proposal.country_rows = rows
    row.data = {}


def _apply_json(proposal: Proposal, row, data: dict, by) -> None:
    row.data = json.loads(json.dumps(data, default=str))  # a new dict, so that the JSON column is seen as changed


def _apply_logframe(proposal: Proposal, row, data: dict, by) -> None:
    # Activities keep a stable id across saves: the work plan refers to them by it.
    import secrets

    from portal.proposals.form_rules import UID

    seen: set[str] = set()
    for activity in data.get("activities") or []:
        uid = activity.get("uid") or ""
        if not UID.match(uid) or uid in seen:
            uid = secrets.token_hex(4)
        activity["uid"] = uid
        seen.add(uid)
    _apply_json(proposal, row, data, by)


def _apply_declarations(proposal: Proposal, row, data: dict, by) -> None:
    from portal.proposals.form_rules import declarations_required

    content = {name: data.get(name) for name in ("accurate", "no_exclusion", "mandates", "data_protection")}
    content["signatory_name"] = (data.get("signatory_name") or "").strip()
    content["signatory_position"] = (data.get("signatory_position") or "").strip()
    previous = dict(row.data or {})
    made = all(content.get(item) for item in declarations_required(proposal))
    unchanged = all(previous.get(k) == v for k, v in content.items())
    if made and unchanged and previous.get("declared_at"):
        content.update({k: previous[k] for k in ("declared_by_id", "declared_by", "declared_at")})
    elif made:
        content.update(declared_by_id=by.id, declared_by=by.display_name, declared_at=row.updated_at.isoformat())
    row.data = content


_APPLY = {
    "identification": _apply_identification,
    "summary": _apply_summary,
    "relevance": _apply_json,
    "logframe": _apply_logframe,
    "workplan": _apply_json,
    "countries": _apply_countries,
    "target_groups": _apply_json,
    "risks": _apply_json,
    "sustainability": _apply_json,
    "declarations": _apply_declarations,
}


# -- submitting -----------------------------------------------------------------------------------------------


def deadline_problem(proposal: Proposal, now: dt.datetime) -> Problem | None:
    """The deadline of the proposal's stage, enforced to the second, in the call's time zone (a full application is
    due by the full-application deadline while its call is already in evaluation): see portal.proposals.submission."""
    from portal.proposals.submission import deadline_problem as calendar_problem

    message = calendar_problem(proposal, now)
    return Problem("deadline", None, message, "invalid") if message else None


def budget_section_problems(proposal: Proposal) -> list[Problem]:
    """The budget's problems (portal.proposals.budget), anchored on the budget page."""
    from portal.proposals.budget import budget_problems

    return [Problem("budget", anchor, str(message), "invalid") for anchor, message in budget_problems(proposal)]


def submission_problems(proposal: Proposal, now: dt.datetime | None = None) -> list[Problem]:
    """Everything that stands between the draft and its submission, section by section in the form's order, then
    the consortium (the call's rules) and the required attachments."""
    # Imported here: these modules import this one (ProposalError, the section rules).
    from portal.consortia.operations import consortium_problems
    from portal.proposals.attachments import attachment_problems
    from portal.proposals.sections import section_keys_for

    now = now or utcnow()
    problems: list[Problem] = []
    late = deadline_problem(proposal, now)
    if late is not None:
        problems.append(late)
    for key in section_keys_for(proposal):
        if key == "budget":
            problems.extend(budget_section_problems(proposal))
        else:
            problems.extend(section_problems(proposal, key))
    for anchor, message in consortium_problems(proposal):
        problems.append(Problem("consortium", None if anchor == "consortium" else anchor, str(message), "invalid"))
    for problem in attachment_problems(proposal):
        problems.append(Problem("attachments", problem.url.partition("#")[2] or None, str(problem.message), "missing"))
    return problems


def validate_for_submission(proposal: Proposal, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Everything that stands between the draft and its submission, as (anchor, message) pairs; the anchor is a
    section key, "section#field id", or "deadline"."""
    return [(p.anchor, p.message) for p in submission_problems(proposal, now)]


def canonical_json(data: dict) -> str:
    """The one text form of a snapshot: keys sorted, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(data: dict) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# Submission lives in portal.proposals.submission; these names stay importable from here.
from portal.proposals.submission import proposal_document, submit_proposal  # noqa: E402,F401
