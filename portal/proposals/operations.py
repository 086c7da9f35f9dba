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
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.calls.models import Call
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.core.i18n import instant, money
from portal.extensions import db
from portal.proposals.models import (
    PartnerRole,
    PartnerStatus,
    Proposal,
    ProposalCountry,
    ProposalStage,
    ProposalStatus,
)

log = logging.getLogger(__name__)

SUMMARY_WORD_LIMIT = 300
MAX_DURATION_MONTHS = 60
TITLE_MAX_LENGTH = 300
DRAFT_FIELDS = ("title", "summary", "requested_amount", "duration_months", "countries", "jvap_domain")
_REFERENCE_SUFFIX = re.compile(r"-(\d+)$")


class ProposalError(RuleError):
    """A broken rule of this area; see portal.core.errors.RuleError."""


def stale_message() -> str:
    return _(
        "Someone else saved this proposal since you opened it. Nothing was overwritten: your values are still in "
        "the form below. Open the latest version, then apply your changes again."
    )


def word_count(text: str | None) -> int:
    return len((text or "").split())


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


def deadline_message(call: Call) -> str:
    return _(
        "The deadline for this call was %(deadline)s; submissions are no longer accepted.",
        deadline=instant(call.closes_at, call.timezone),
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


# -- saving the draft -----------------------------------------------------------------------------------------


def draft_field_errors(proposal: Proposal, data: dict) -> dict[str, str]:
    """Problems with the values in `data` that make them unfit to be saved even in a draft."""
    call = proposal.call
    errors: dict[str, str] = {}
    if "title" in data and len(data["title"] or "") > TITLE_MAX_LENGTH:
        errors["title"] = _("Use at most 300 characters.")
    if "summary" in data:
        count = word_count(data["summary"])
        if count > SUMMARY_WORD_LIMIT:
            errors["summary"] = _(
                "The summary has %(count)d words; the limit is %(limit)d.", count=count, limit=SUMMARY_WORD_LIMIT
            )
    amount = data.get("requested_amount")
    if amount is not None:
        if not isinstance(amount, Decimal):
            raise TypeError("requested_amount must be a Decimal")
        if amount <= 0:
            errors["requested_amount"] = _("The requested amount must be more than %(zero)s.", zero=money(0))
    months = data.get("duration_months")
    if months is not None and not 1 <= months <= MAX_DURATION_MONTHS:
        errors["duration_months"] = _("The duration must be between 1 and %(max)d months.", max=MAX_DURATION_MONTHS)
    if "countries" in data:
        eligible = set(call.countries)
        wrong = [c for c in data["countries"] or [] if c not in eligible]
        if wrong:
            errors["countries"] = _("Choose countries from the list of the call's eligible countries.")
    domain_id = data.get("jvap_domain")
    if domain_id is not None and domain_id not in {d.id for d in call.domains}:
        errors["jvap_domain"] = _("Choose one of the call's JVAP domains.")
    return errors


def proposal_facts(proposal: Proposal) -> dict:
    facts = audit.snapshot(proposal, ["title", "summary", "requested_amount", "duration_months", "jvap_domain_id"])
    facts["countries"] = sorted(proposal.countries)
    return facts


def save_draft(proposal: Proposal, data: dict, *, by, expected_version: int | None = None) -> Proposal:
    """Save the fields given in `data` (any subset of DRAFT_FIELDS; incomplete is fine).

    `expected_version` is the version the user's form was made from: if someone saved since, nothing is
    written and ProposalError says so."""
    if not proposal.is_draft:
        raise ProposalError(_("This proposal has been submitted and is read-only."))
    if expected_version is not None and expected_version != proposal.version_id:
        raise ProposalError(stale_message())
    errors = draft_field_errors(proposal, data)
    if errors:
        raise ProposalError(list(errors.items()))
    before = proposal_facts(proposal)
    if "title" in data:
        proposal.title = (data["title"] or "").strip()
    if "summary" in data:
        proposal.summary = (data["summary"] or "").strip()
    if "requested_amount" in data:
        proposal.requested_amount = data["requested_amount"]
    if "duration_months" in data:
        proposal.duration_months = data["duration_months"]
    if "jvap_domain" in data:
        proposal.jvap_domain_id = data["jvap_domain"]
    if "countries" in data:
        wanted = sorted(set(data["countries"] or []))
        existing = {row.country_code: row for row in proposal.country_rows}
        proposal.country_rows = [existing.get(code) or ProposalCountry(country_code=code) for code in wanted]
    # Always touch the row, so that its version goes up even when only the countries changed.
    proposal.updated_at = utcnow()
    db.session.flush()
    after = proposal_facts(proposal)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        audit.record(
            "proposal.saved",
            proposal,
            actor=by,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        db.session.flush()
    return proposal


# -- submitting -----------------------------------------------------------------------------------------------


def validate_for_submission(proposal: Proposal, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Everything that stands between the draft and its submission, as (field, message) pairs."""
    now = now or utcnow()
    call = proposal.call
    problems: list[tuple[str, str]] = []
    if now >= call.closes_at:
        problems.append(("deadline", deadline_message(call)))
    elif not call.is_open(now):
        problems.append(("deadline", call_not_open_message(call, now)))

    if not (proposal.title or "").strip():
        problems.append(("title", _("Enter a title.")))
    count = word_count(proposal.summary)
    if count == 0:
        problems.append(("summary", _("Write a summary.")))
    elif count > SUMMARY_WORD_LIMIT:
        problems.append(
            (
                "summary",
                _("The summary has %(count)d words; the limit is %(limit)d.", count=count, limit=SUMMARY_WORD_LIMIT),
            )
        )

    amount = proposal.requested_amount
    if amount is None:
        problems.append(("requested_amount", _("Enter the requested amount.")))
    elif amount < call.min_grant:
        problems.append(
            (
                "requested_amount",
                _(
                    "The requested amount %(amount)s is below the call's minimum of %(min)s.",
                    amount=money(amount),
                    min=money(call.min_grant),
                ),
            )
        )
    elif amount > call.max_grant:
        problems.append(
            (
                "requested_amount",
                _(
                    "The requested amount %(amount)s is above the call's maximum of %(max)s.",
                    amount=money(amount),
                    max=money(call.max_grant),
                ),
            )
        )

    months = proposal.duration_months
    if months is None:
        problems.append(("duration_months", _("Enter the duration in months.")))
    elif not 1 <= months <= MAX_DURATION_MONTHS:
        problems.append(
            ("duration_months", _("The duration must be between 1 and %(max)d months.", max=MAX_DURATION_MONTHS))
        )

    chosen = proposal.countries
    if not chosen:
        problems.append(("countries", _("Choose at least one country of implementation.")))
    else:
        from portal.core.countries import name as country_name
        from portal.core.i18n import locale_code

        wrong = [c for c in chosen if c not in set(call.countries)]
        if wrong:
            problems.append(
                (
                    "countries",
                    _(
                        "Not eligible under this call: %(countries)s.",
                        countries=", ".join(country_name(c, locale_code()) for c in wrong),
                    ),
                )
            )

    if proposal.jvap_domain_id is None:
        problems.append(("jvap_domain", _("Choose a JVAP domain.")))
    elif proposal.jvap_domain_id not in {d.id for d in call.domains}:
        problems.append(("jvap_domain", _("Choose one of the call's JVAP domains.")))

    for partner in proposal.partners:
        if partner.role == PartnerRole.CO_APPLICANT and partner.status != PartnerStatus.ACCEPTED:
            problems.append(
                (
                    "partners",
                    _(
                        "%(organisation)s has not yet confirmed its participation as co-applicant.",
                        organisation=partner.organisation.name,
                    ),
                )
            )
    return problems


def canonical_json(data: dict) -> str:
    """The one text form of a snapshot: keys sorted, no spaces, UTF-8 kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(data: dict) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# Submission lives in portal.proposals.submission; these names stay importable from here.
from portal.proposals.submission import proposal_document, submit_proposal  # noqa: E402,F401
