"""The sections of the proposal form, and the one rule every section save obeys: a save names the version of the
section the user's form was made from, and if someone saved that section since, nothing is written and the user
is told. Two people editing different sections never collide; two editing the same one never overwrite each
other silently.

Sections keep their content either in proposal columns (identification, summary, countries, budget) or in the
section row's JSON; either way the section row carries the version."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.core.db import utcnow
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalSection

# The keys of the form's sections, in the order a reader meets them. Other modules refer to sections by these keys
# (co-applicants are given sections by key; the submission check links to them).
SECTION_KEYS = (
    "identification",
    "summary",
    "relevance",
    "logframe",
    "workplan",
    "countries",
    "target_groups",
    "risks",
    "sustainability",
    "budget",
    "declarations",
)

SECTION_TITLES = {
    "identification": _l("Identification"),
    "summary": _l("Summary"),
    "relevance": _l("Relevance"),
    "logframe": _l("Objectives, results and activities"),
    "workplan": _l("Work plan"),
    "countries": _l("Countries of implementation"),
    "target_groups": _l("Target groups and final beneficiaries"),
    "risks": _l("Risks and mitigation"),
    "sustainability": _l("Sustainability"),
    "budget": _l("Budget"),
    "declarations": _l("Declarations"),
}


def stale_section_message(title: str) -> str:
    from flask_babel import gettext as _

    return _(
        "Someone else saved the section “%(section)s” since you opened it. Nothing was overwritten: your values "
        "are still in the form below. Open the latest version, then apply your changes again.",
        section=title,
    )


def section_row(proposal: Proposal, key: str) -> ProposalSection | None:
    return next((s for s in proposal.sections if s.key == key), None)


def section_version(proposal: Proposal, key: str) -> int:
    """The version a form for this section must send back (0 for a section never saved)."""
    row = section_row(proposal, key)
    return row.version_id if row is not None else 0


def claim_section(proposal: Proposal, key: str, *, expected_version: int | None, by) -> ProposalSection:
    """The section row, checked against the version the user's form was made from and marked as saved now by
    `by` (its version goes up at flush). Raises ProposalError when someone saved the section since.

    `expected_version` None skips the check (for saves that are not made from a form, such as imports)."""
    from portal.proposals.operations import ProposalError

    if key not in SECTION_KEYS:
        raise KeyError(key)
    by_id = getattr(by, "id", None)  # read first: loading it may autoflush, and the new row must flush once
    row = section_row(proposal, key)
    current = row.version_id if row is not None else 0
    if expected_version is not None and expected_version != current:
        raise ProposalError(stale_section_message(str(SECTION_TITLES[key])))
    if row is None:
        row = ProposalSection(proposal=proposal, key=key, data={})
        db.session.add(row)
    row.updated_at = utcnow()
    row.updated_by_id = by_id
    return row


# The sections each stage of a proposal asks for. A concept note under a two-stage call is the short form; a full
# application (or the single application of a one-stage call) has every section.
CONCEPT_NOTE_SECTION_KEYS = (
    "identification",
    "summary",
    "relevance",
    "countries",
    "target_groups",
    "budget",
    "declarations",
)
STAGE_SECTION_KEYS = {
    "concept_note": CONCEPT_NOTE_SECTION_KEYS,
    "full_application": SECTION_KEYS,
}


def section_keys_for(proposal: Proposal) -> tuple[str, ...]:
    """The keys of the sections this proposal's form has, in order."""
    if proposal.stage == "concept_note" and proposal.call.is_two_stage:
        return STAGE_SECTION_KEYS["concept_note"]
    return STAGE_SECTION_KEYS["full_application"]
