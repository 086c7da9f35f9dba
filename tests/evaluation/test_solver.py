"""The automatic assignment solver: its guarantees on generated data, and the manager's preview and confirmation."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import evaluator_operations as ops
from portal.evaluation.models import Assignment, AssignmentStatus
from portal.evaluation.solver import EvaluatorFacts, ProposalFacts, solve
from portal.proposals.models import ProposalStatus

LANGUAGES = ("en", "fr", "pt")


def _generated(seed: int, n_proposals: int = 200, n_evaluators: int = 40, needed: int = 3, preloaded: bool = False):
    rng = random.Random(seed)
    evaluators = [
        EvaluatorFacts(
            id=1000 + j,
            languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 3))),
            domain_ids=frozenset(rng.sample(range(1, 6), rng.randint(0, 3))),
            countries=frozenset(rng.sample(["SN", "ML", "NE", "GH", "MA"], 2)),
            load=rng.randint(0, 2) if preloaded else 0,
        )
        for j in range(n_evaluators)
    ]
    proposals = [
        ProposalFacts(
            id=i,
            language=rng.choice(LANGUAGES),
            domain_id=rng.randint(1, 5),
            countries=frozenset(rng.sample(["SN", "ML", "NE", "GH", "MA"], 1)),
            # A few detected or declared conflicts and earlier assignments per proposal.
            excluded=frozenset(rng.sample([e.id for e in evaluators], rng.randint(0, 4))),
            needed=needed,
        )
        for i in range(1, n_proposals + 1)
    ]
    return proposals, evaluators


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_data_coverage_no_forbidden_pair_language_balance(app, seed):
    proposals, evaluators = _generated(seed)
    with app.test_request_context():
        plan = solve(proposals, evaluators)
    by_id = {e.id: e for e in evaluators}
    # Every evaluator in this data speaks some proposal's language, and each proposal has plenty of candidates.
    assert plan.unassignable == []
    per_proposal: dict[int, list[int]] = {}
    for proposal_id, evaluator_id in plan.pairs:
        per_proposal.setdefault(proposal_id, []).append(evaluator_id)
    for p in proposals:
        chosen = per_proposal.get(p.id, [])
        assert len(chosen) == p.needed  # coverage
        assert len(set(chosen)) == len(chosen)  # never the same evaluator twice for one proposal
        assert not set(chosen) & p.excluded  # no conflict, no evaluator already assigned
        assert all(p.language in by_id[e].languages for e in chosen)  # language spoken
    loads = plan.loads
    assert sum(loads.values()) == 3 * len(proposals)
    assert max(loads.values()) - min(loads.values()) <= 1  # balance


def test_existing_assignments_count_in_the_balance(app):
    proposals, evaluators = _generated(7, n_proposals=120, n_evaluators=30, preloaded=True)
    with app.test_request_context():
        plan = solve(proposals, evaluators)
    assert plan.unassignable == []
    assert sum(plan.loads.values()) == sum(e.load for e in evaluators) + 3 * len(proposals)
    assert plan.load_spread <= 1


def test_expertise_is_preferred(app):
    expert = EvaluatorFacts(id=1, languages=frozenset({"en"}), domain_ids=frozenset({3}), countries=frozenset(), load=0)
    novice = EvaluatorFacts(id=2, languages=frozenset({"en"}), domain_ids=frozenset(), countries=frozenset(), load=0)
    proposal = ProposalFacts(id=10, language="en", domain_id=3, countries=frozenset(), excluded=frozenset(), needed=1)
    other = ProposalFacts(id=11, language="en", domain_id=1, countries=frozenset(), excluded=frozenset(), needed=1)
    with app.test_request_context():
        plan = solve([proposal, other], [novice, expert])
    assert sorted(plan.pairs) == [(10, 1), (11, 2)]


def test_unassignable_with_the_reason(app):
    speaker = EvaluatorFacts(id=1, languages=frozenset({"fr"}), domain_ids=frozenset(), countries=frozenset(), load=0)
    unsigned = EvaluatorFacts(
        id=2, languages=frozenset({"pt"}), domain_ids=frozenset(), countries=frozenset(), load=0, signed=False
    )
    in_portuguese = ProposalFacts(
        id=10, language="pt", domain_id=None, countries=frozenset(), excluded=frozenset(), needed=1
    )
    conflicted = ProposalFacts(
        id=11, language="fr", domain_id=None, countries=frozenset(), excluded=frozenset({1}), needed=2
    )
    with app.test_request_context():
        plan = solve([in_portuguese, conflicted], [speaker, unsigned])
        reasons = {(p, str(r)) for p, r in plan.unassignable}
    assert plan.pairs == []
    assert plan.skipped_evaluators == [2]
    assert (10, "No evaluator who has signed the declaration speaks pt.") in reasons
    assert (11, "Every evaluator who speaks fr has a conflict of interest with it or is already assigned.") in reasons
    assert len(plan.unassignable) == 3


# -- the stage's plan from the database, the manager's preview and confirmation ----------------------------------


@pytest.fixture
def stage_world(session, call, make_proposal, make_evaluator, make_assignment, make_org):
    """Four submitted proposals of the call (two needed each), five signed evaluators, one of them working for the
    first proposal's lead, one who wrote down the second proposal's lead as a past employer, one who has not
    signed, and one proposal that already has an evaluator."""
    kora = make_org(legal_name="Fondation Kora pour l'Education", acronym="FKE")
    proposals = [make_proposal(call, status=ProposalStatus.SUBMITTED) for _ in range(4)]
    proposals[1].organisation = kora
    session.commit()
    evaluators = [make_evaluator(full_name=f"Evaluator {n}") for n in range(3)]
    insider = make_evaluator(full_name="Insider", organisation=proposals[0].organisation)
    former = make_evaluator(full_name="Former", past_employer_names=["FONDATION KORA POUR L’ÉDUCATION"])
    unsigned = make_evaluator(full_name="Unsigned", signed=False)
    make_assignment(proposals[3], evaluator=evaluators[0], status=AssignmentStatus.IN_PROGRESS)
    return proposals, [*evaluators, insider, former], unsigned


def test_stage_plan_respects_conflicts_signature_and_existing(session, rq, call, stage_world):
    proposals, evaluators, unsigned = stage_world
    planned = ops.plan_stage(call.stages[0])
    plan = planned.plan
    assert plan.unassignable == []
    assert len(plan.pairs) == 2 * 4 - 1
    assert (proposals[0].id, evaluators[3].id) not in plan.pairs  # the insider
    assert (proposals[1].id, evaluators[4].id) not in plan.pairs  # the former employee, by the written name
    assert any(e == evaluators[4].id for _p, e in plan.pairs)  # who still evaluates others
    assert (proposals[3].id, evaluators[0].id) not in plan.pairs  # already assigned
    assert all(e != unsigned.id for _p, e in plan.pairs)
    assert plan.skipped_evaluators == [unsigned.id]
    assert plan.load_spread <= 1


def test_confirm_creates_assignments_mails_each_evaluator_once_and_audits(
    client, sign_in, session, call, manager, stage_world, outbox
):
    proposals, _evaluators, _unsigned = stage_world
    stage = call.stages[0]
    sign_in(client, manager)
    preview = client.get(f"/manage/calls/{call.id}/auto-assign?stage_id={stage.id}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Proposed assignments" in html and proposals[0].reference in html
    assert "1 active evaluator has not signed the declaration and is left out." in html
    with client.application.test_request_context():
        fingerprint = ops.plan_stage(stage).plan.fingerprint
    assert f'value="{fingerprint}"' in html

    response = client.post(
        f"/manage/calls/{call.id}/auto-assign?stage_id={stage.id}", data={"fingerprint": fingerprint}
    )
    assert response.status_code == 302
    session.expire_all()
    created = session.scalars(select(Assignment).where(Assignment.assigned_by_id == manager.id)).all()
    assert len(created) == 7
    assert all(a.status == AssignmentStatus.PENDING for a in created)
    assert {p.status for p in proposals} == {ProposalStatus.UNDER_REVIEW}
    recipients = [m.to for m in outbox]
    assert sorted(recipients) == sorted({a.evaluator.email for a in created})  # once each
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "assignment.created").order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 7 and all(e.after["automatic"] for e in entries)
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "assignment.automatic_confirmed")).one()


def test_confirm_with_a_stale_plan_shows_the_new_one(client, sign_in, session, call, manager, stage_world, outbox):
    stage = call.stages[0]
    sign_in(client, manager)
    response = client.post(f"/manage/calls/{call.id}/auto-assign?stage_id={stage.id}", data={"fingerprint": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed since you looked at the plan" in html
    assert "Proposed assignments" in html
    session.expire_all()
    assert session.scalars(select(Assignment).where(Assignment.assigned_by_id == manager.id)).all() == []
    assert outbox == []


def test_evaluator_cannot_reach_automatic_assignment(client, sign_in, call, evaluator):
    sign_in(client, evaluator)
    assert client.get(f"/manage/calls/{call.id}/auto-assign").status_code == 403
    assert client.post(f"/manage/calls/{call.id}/auto-assign", data={"fingerprint": "x"}).status_code == 403
