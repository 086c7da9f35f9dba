"""The state machine of a proposal: the only place that changes `Proposal.status`.

Every transition is checked against the table below, refused with a clear message when illegal, and
written to the audit log with its reason."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import utcnow
from portal.proposals.models import Proposal
from portal.proposals.models import ProposalStatus as S

# The legal moves. Checks are optional stages of a call's pipeline, so a submitted proposal may go straight to
# its evaluators; a concept note goes on through the shortlist to the invitation, a full application (or the
# proposal of a one-stage call) through the recommendation or reserve list to the decision.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset(
        {S.ADMISSIBLE, S.NOT_ADMISSIBLE, S.ELIGIBLE, S.NOT_ELIGIBLE, S.UNDER_REVIEW, S.WITHDRAWN, S.REJECTED}
    ),
    S.ADMISSIBLE: frozenset({S.ELIGIBLE, S.NOT_ELIGIBLE, S.UNDER_REVIEW, S.WITHDRAWN}),
    S.NOT_ADMISSIBLE: frozenset({S.SUBMITTED}),  # a manager re-opens the check, with a reason
    S.ELIGIBLE: frozenset({S.UNDER_REVIEW, S.WITHDRAWN}),
    S.NOT_ELIGIBLE: frozenset({S.SUBMITTED}),
    S.UNDER_REVIEW: frozenset(
        {S.SHORTLISTED, S.NOT_SHORTLISTED, S.INVITED, S.RECOMMENDED, S.RESERVE, S.AWARDED, S.REJECTED, S.WITHDRAWN}
    ),
    S.SHORTLISTED: frozenset({S.INVITED, S.NOT_SHORTLISTED, S.WITHDRAWN}),
    S.NOT_SHORTLISTED: frozenset({S.SHORTLISTED}),
    S.INVITED: frozenset({S.FULL_APPLICATION_SUBMITTED}),
    S.FULL_APPLICATION_SUBMITTED: frozenset(),
    S.RECOMMENDED: frozenset({S.AWARDED, S.RESERVE, S.REJECTED, S.WITHDRAWN}),
    S.RESERVE: frozenset({S.AWARDED, S.REJECTED, S.WITHDRAWN}),
    S.AWARDED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset({S.DRAFT}),
}

STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.SUBMITTED: _l("Submitted"),
    S.ADMISSIBLE: _l("Admissible"),
    S.NOT_ADMISSIBLE: _l("Not admissible"),
    S.ELIGIBLE: _l("Eligible"),
    S.NOT_ELIGIBLE: _l("Not eligible"),
    S.UNDER_REVIEW: _l("Under review"),
    S.SHORTLISTED: _l("Shortlisted"),
    S.NOT_SHORTLISTED: _l("Not shortlisted"),
    S.INVITED: _l("Invited to full application"),
    S.FULL_APPLICATION_SUBMITTED: _l("Full application submitted"),
    S.RECOMMENDED: _l("Recommended"),
    S.RESERVE: _l("Reserve list"),
    S.AWARDED: _l("Awarded"),
    S.REJECTED: _l("Rejected"),
    S.WITHDRAWN: _l("Withdrawn"),
}


class IllegalTransitionError(Exception):
    """Raised with a message a person can read."""


def can_transition(proposal: Proposal, to: str) -> bool:
    return to in TRANSITIONS.get(proposal.status, frozenset())


def transition(proposal: Proposal, to: str, *, by, reason: str = "", at: dt.datetime | None = None) -> Proposal:
    """Move `proposal` to status `to`, or raise IllegalTransitionError. `at` is the instant of the change
    (default: now); submission records it as `submitted_at`, so that the deadline check and the record agree."""
    before = proposal.status
    if not can_transition(proposal, to):
        raise IllegalTransitionError(
            _l(
                "A proposal that is “%(current)s” cannot become “%(target)s”.",
                current=STATUS_LABELS.get(before, before),
                target=STATUS_LABELS.get(to, to),
            )
        )
    proposal.status = to
    if to == S.SUBMITTED:
        proposal.submitted_at = at or utcnow()
        proposal.withdrawn_at = None
    elif to == S.WITHDRAWN:
        proposal.withdrawn_at = at or utcnow()
    elif to == S.INVITED:
        proposal.invited_at = at or utcnow()
    audit.record(
        f"proposal.{to}",
        proposal,
        actor=by,
        before={"status": before},
        after={"status": to, "reason": reason} if reason else {"status": to},
    )
    return proposal
