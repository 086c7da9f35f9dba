"""Loading the demo facility described in portal/demo/data.py.

`seed()` creates what is missing and leaves alone what exists: every row is looked up first by its natural key
(a user's e-mail, an organisation's country and registration number, a call's reference, a proposal's reference,
an assignment's stage, proposal and evaluator, a grant's agreement number), so running it twice changes nothing,
and what people changed while trying the demo (a decision taken, a review scored) is kept.

Like a task, it commits once at its end; the award letters it requests are rendered after that commit (in
process when Celery runs eagerly, as under `make run`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.calls.models import Call, CallCountry, Dialogue, JvapDomain
from portal.core import audit
from portal.core.db import utcnow
from portal.demo import data, history
from portal.demo.open_call import OpenCallLoader
from portal.documents.models import Document, DocumentKind
from portal.evaluation import checks
from portal.evaluation.checks_models import CheckConclusion, CheckKind, CheckResult
from portal.evaluation.composer import compose_default
from portal.evaluation.evaluator_models import DECLARATION_VERSION, EvaluatorProfile
from portal.evaluation.models import Assignment, AssignmentStatus, Decision, EvaluationStage, ScoreEntry
from portal.evaluation.moderation_models import Moderation, ModerationScore
from portal.extensions import db
from portal.grants import schedule
from portal.grants.amendments import apply_changes, terms_of
from portal.grants.models import (
    Amendment,
    Grant,
    GrantCountry,
    GrantOrganisation,
    GrantReport,
    GrantReportFile,
    GrantRole,
    ReportStatus,
)
from portal.organisations.models import Membership, Organisation
from portal.proposals.models import (
    PartnerRole,
    PartnerStatus,
    Proposal,
    ProposalCountry,
    ProposalPartner,
    ProposalSnapshot,
    ProposalStatus,
)
from portal.proposals.operations import canonical_json, fingerprint, proposal_document

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
CRITERIA = ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2")
RELEVANCE = ("1.1", "1.2", "1.3", "1.4")
WEIGHTS = {"1.1": 2, "1.2": 2, "1.3": 1, "1.4": 1, "2.1": 2, "2.2": 2}


@dataclass
class SeedResult:
    """What one run created, by kind of row (empty when the demo was already there)."""

    created: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


class DemoFacility:
    """The object of the `demo.seeded` audit entry."""

    __tablename__ = "demo"
    id = "facility"


def seed(now: dt.datetime | None = None) -> SeedResult:
    """Load the demo facility (what is missing of it) and commit."""
    seeder = _Seeder(now or utcnow())
    seeder.run()
    db.session.commit()
    return seeder.result


def login_table(base_url: str) -> str:
    """The demo logins, as printed at the end of `flask seed-demo`."""
    rows = [("Role", "E-mail", "Password")] + [(role, email, data.PASSWORD) for role, email in data.DEMO_LOGINS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["Demo logins (sign in at " + base_url.rstrip("/") + data.LOGIN_PATH + "):", ""]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- scores -------------------------------------------------------------------------------------------------------


def review_total(scores) -> int:
    return sum(scores[i] * WEIGHTS[code] for i, code in enumerate(CRITERIA) if scores[i] is not None)


def review_relevance(scores) -> int:
    return sum(scores[i] * WEIGHTS[code] for i, code in enumerate(CRITERIA) if code in RELEVANCE)


def mean(values) -> Decimal:
    values = list(values)
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(CENT, rounding=ROUND_HALF_UP)


def score_label(value: Decimal) -> str:
    """12.50 -> 12.5, 40.00 -> 40."""
    return format(value.normalize(), "f")


def final_total(p: dict) -> Decimal:
    """The final score: the moderator's consensus when there is one, else the mean of the evaluators' totals."""
    if "consensus" in p:
        return Decimal(review_total(p["consensus"]["scores"])).quantize(CENT)
    return mean(review_total(s) for _, s in p["reviews"])


def final_relevance(p: dict) -> Decimal:
    if "consensus" in p:
        return Decimal(review_relevance(p["consensus"]["scores"])).quantize(CENT)
    return mean(review_relevance(s) for _, s in p["reviews"])


def ranked_closed_call_proposals() -> list[dict]:
    """The first call's proposals in the order of the committee's ranking: final total, then final relevance."""
    return sorted(
        data.CLOSED_CALL_PROPOSALS,
        key=lambda p: (-final_total(p), -final_relevance(p), -p["submitted_days_before_close"]),
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def share(amount: Decimal, pct) -> Decimal:
    return (amount * Decimal(pct) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


# -- the loader ---------------------------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.zone = ZoneInfo("Europe/Brussels")
        self.today = now.astimezone(self.zone).date()
        self.result = SeedResult()
        self.users: dict[str, User] = {}
        self.orgs: dict[str, Organisation] = {}
        self.contacts: dict[str, User] = {}
        self.password_hash: str | None = None
        self.report_pdf: bytes | None = None

    @property
    def created(self) -> Counter:
        return self.result.created

    # -- dates --
    def local(self, moment: dt.datetime) -> dt.datetime:
        """A naive local time in Brussels, as an aware UTC instant."""
        return moment.replace(tzinfo=self.zone).astimezone(dt.UTC)

    def day(self, days: int, hour: int = 12, minute: int = 0) -> dt.datetime:
        """`days` from the day of seeding, at hour:minute in Brussels, as an aware UTC instant."""
        date = self.today + dt.timedelta(days=days)
        return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=self.zone).astimezone(dt.UTC)

    # -- the whole facility --
    def run(self) -> None:
        self.dialogues = {d.code: d for d in db.session.scalars(select(Dialogue))}
        self.domains = {d.number: d for d in db.session.scalars(select(JvapDomain))}
        missing = {c for spec in (data.CLOSED_CALL, data.EVALUATION_CALL, data.OPEN_CALL) for c in spec["dialogues"]}
        if missing - self.dialogues.keys() or {1, 2, 3, 4, 5} - self.domains.keys():
            raise RuntimeError("The dialogues and JVAP domains are missing: run `flask db upgrade` first.")

        self.load_users()
        self.load_organisations()
        self.manager = self.users[data.MANAGER]
        self.load_closed_call()
        self.load_evaluation_call()
        self.load_open_call()
        db.session.flush()
        if self.result.changed:
            audit.record("demo.seeded", DemoFacility(), after=dict(sorted(self.created.items())))
            db.session.flush()
        log.info("demo seeded: %s", dict(self.created) or "nothing to do")

    # -- people and organisations --
    def user(self, email: str, full_name: str, role: str, locale: str = "en", timezone: str = "UTC") -> User:
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            user = User(email=email, full_name=full_name, role=role, locale=locale, timezone=timezone)
            # Every demo account has the same published password: hash it once per run (argon2 is slow on
            # purpose), and let each account keep that hash until its owner changes the password.
            if self.password_hash is None:
                user.set_password(data.PASSWORD)
                self.password_hash = user.password_hash
            user.password_hash = self.password_hash
            db.session.add(user)
            self.created["users"] += 1
        self.users[email] = user
        return user

    def load_users(self) -> None:
        for spec in data.STAFF:
            self.user(spec["email"], spec["full_name"], spec["role"], spec.get("locale", "en"), spec["timezone"])
        db.session.flush()
        for email, spec in data.EVALUATOR_PROFILES.items():
            self.evaluator_profile(self.users[email], spec)

    def evaluator_profile(self, user: User, spec: dict) -> None:
        """The evaluator's profile, signed well before the first call they evaluated (once)."""
        if db.session.scalar(select(EvaluatorProfile.id).where(EvaluatorProfile.user_id == user.id)):
            return
        profile = EvaluatorProfile(
            user=user,
            themes=spec["themes"],
            languages=spec["languages"],
            countries=spec["countries"],
            past_employer_names=[],
            declaration_signed_at=self.local(data.CLOSED_CALL["assigned"]) - dt.timedelta(days=10),
            declaration_version=DECLARATION_VERSION,
        )
        profile.domains = [self.domains[number] for number in spec["domains"]]
        db.session.add(profile)
        self.created["evaluator_profiles"] += 1

    def load_organisations(self) -> None:
        for spec in data.ORGANISATIONS:
            contact = spec["contact"]
            email = contact.get("email") or f"contact@{spec['acronym'].lower()}.demo.example"
            user = self.user(email, contact["full_name"], "applicant", contact.get("locale", "en"), contact["timezone"])
            if user.id is None:
                db.session.flush()
            org = db.session.scalar(
                select(Organisation).where(
                    Organisation.country == spec["country"],
                    Organisation.registration_number == spec["registration_number"],
                )
            )
            if org is None:
                org = Organisation(
                    legal_name=spec["legal_name"],
                    acronym=spec["acronym"],
                    type=spec["type"],
                    country=spec["country"],
                    registration_number=spec["registration_number"],
                    website=spec["website"],
                    created_by_id=user.id,
                )
                db.session.add(org)
                self.created["organisations"] += 1
            if org.id is None or user.id is None or not any(m.user_id == user.id for m in org.memberships):
                db.session.add(Membership(user=user, organisation=org, is_contact=True))
                self.created["memberships"] += 1
            self.orgs[spec["acronym"]] = org
            self.contacts[spec["acronym"]] = user
        db.session.flush()

    # -- calls --
    def call(self, spec: dict, opens_at: dt.datetime, closes_at: dt.datetime) -> Call:
        call = db.session.scalar(select(Call).where(Call.reference == spec["reference"]))
        if call is not None:
            return call
        call = Call(
            reference=spec["reference"],
            title=spec["title"],
            description=spec["description"],
            budget_envelope=spec["budget_envelope"],
            min_grant=spec["min_grant"],
            max_grant=spec["max_grant"],
            opens_at=opens_at,
            closes_at=closes_at,
            timezone="Europe/Brussels",
            status=spec["status"],
            created_by_id=self.manager.id,
            created_at=opens_at - dt.timedelta(days=21),
            published_at=opens_at,
        )
        call.dialogues = [self.dialogues[code] for code in spec["dialogues"]]
        call.domains = [self.domains[number] for number in spec["domains"]]
        call.country_rows = [CallCountry(country_code=code) for code in spec["countries"]]
        db.session.add(call)
        db.session.flush()
        # The usual pipeline: checks, concept note, full application (two-stage calls), moderation, decision.
        compose_default(call, by=self.manager, two_stage=spec.get("procedure") == "two_stage")
        db.session.refresh(call, ["stages"])
        if spec["status"] in ("evaluation", "decided"):
            # Reviews are due seven weeks after the deadline (the checks take the first two).
            call.concept_note_stage.due_on = closes_at.date() + dt.timedelta(days=49)
        self.created["calls"] += 1
        return call

    def stage(self, call: Call) -> EvaluationStage:
        stage = call.concept_note_stage
        self.criteria = {c.code: c for c in stage.criteria}
        if set(self.criteria) != set(CRITERIA):
            raise RuntimeError(f"{call.reference}: the demo expects the default concept-note grid")
        return stage

    def checks_passed(self, proposal: Proposal, submitted_at: dt.datetime) -> None:
        """The administrative and eligibility checks the proposal passed before its evaluation (once)."""
        if db.session.scalar(select(CheckConclusion.id).where(CheckConclusion.proposal_id == proposal.id)):
            return
        for days, kind in ((2, CheckKind.ADMINISTRATIVE), (4, CheckKind.ELIGIBILITY)):
            at = submitted_at + dt.timedelta(days=days)
            for line in checks.checklist(proposal, kind).lines:
                db.session.add(
                    CheckResult(
                        proposal_id=proposal.id,
                        item_id=line.item.id,
                        organisation_id=line.organisation.id if line.organisation is not None else 0,
                        passed=True,
                        checked_by_id=self.manager.id,
                        checked_at=at,
                    )
                )
            db.session.add(
                CheckConclusion(
                    proposal_id=proposal.id, kind=kind, passed=True, concluded_by_id=self.manager.id, concluded_at=at
                )
            )
        db.session.flush()
        self.created["checks"] += 2

    # -- proposals --
    def proposal(
        self,
        call: Call,
        spec: dict,
        *,
        status: str,
        created_at: dt.datetime,
        submitted_at: dt.datetime | None,
        updated_at: dt.datetime | None = None,
    ) -> tuple[Proposal, bool]:
        """The proposal of `spec` (found by its reference, or created with its consortium and, once submitted,
        the snapshot frozen at submission); the flag tells whether it was created now."""
        reference = f"{call.reference}-{spec['number']:04d}"
        proposal = db.session.scalar(select(Proposal).where(Proposal.reference == reference))
        if proposal is not None:
            return proposal, False
        amount = spec["amount"]
        proposal = Proposal(
            reference=reference,
            call=call,
            organisation=self.orgs[spec["lead"]],
            created_by=self.contacts[spec["lead"]],
            title=spec["title"],
            summary=spec["summary"],
            requested_amount=amount,
            duration_months=spec["duration"],
            jvap_domain=self.domains[spec["domain"]],
            status=status,
            created_at=created_at,
            updated_at=updated_at or submitted_at or created_at,
            submitted_at=submitted_at,
            pipeline_version=1 if submitted_at is not None else None,  # the call's pipeline when it was submitted
        )
        proposal.country_rows = [ProposalCountry(country_code=code) for code, _ in spec["countries"]]
        confirmed_at = created_at + dt.timedelta(days=2)
        for acronym, role, pct in spec["partners"]:
            proposal.partners.append(
                ProposalPartner(
                    organisation=self.orgs[acronym],
                    role=role,
                    budget_share=share(amount, pct) if amount is not None and pct is not None else None,
                    status=PartnerStatus.ACCEPTED,
                    confirmed_at=confirmed_at,
                    responded_at=confirmed_at,
                )
            )
        for acronym in spec["associated"]:
            proposal.partners.append(
                ProposalPartner(
                    organisation=self.orgs[acronym],
                    role=PartnerRole.ASSOCIATED,
                    status=PartnerStatus.ACCEPTED,
                    confirmed_at=confirmed_at,
                    responded_at=confirmed_at,
                )
            )
        db.session.add(proposal)
        db.session.flush()
        self.created["proposals"] += 1
        if status != ProposalStatus.DRAFT:
            document = proposal_document(proposal, version=1, submitted_by=proposal.created_by)
            document["status"] = ProposalStatus.SUBMITTED.value  # as it stood when the snapshot was frozen
            snapshot = json.loads(canonical_json(document))
            db.session.add(
                ProposalSnapshot(
                    proposal=proposal,
                    version=1,
                    data=snapshot,
                    sha256=fingerprint(snapshot),
                    created_at=submitted_at,
                    created_by_id=proposal.created_by_id,
                )
            )
            self.created["snapshots"] += 1
        return proposal, True

    def moderation(self, stage: EvaluationStage, proposal: Proposal, p: dict, at: dt.datetime) -> Moderation:
        """The moderator's consensus of a proposal whose evaluators diverged (once)."""
        moderation = db.session.scalar(
            select(Moderation).where(Moderation.proposal_id == proposal.id, Moderation.stage_id == stage.id)
        )
        if moderation is not None:
            return moderation
        spec = p["consensus"]
        moderation = Moderation(
            proposal=proposal, stage=stage, moderator=self.manager, justification=spec["justification"], decided_at=at
        )
        for code, value in zip(CRITERIA, spec["scores"], strict=True):
            moderation.scores.append(
                ModerationScore(
                    criterion=self.criteria[code], score=Decimal(value), comment=data.COMMENTS[code][value][0]
                )
            )
        db.session.add(moderation)
        self.created["moderations"] += 1
        return moderation

    def assignment(
        self,
        stage: EvaluationStage,
        proposal: Proposal,
        email: str,
        status: str,
        scores,
        *,
        assigned_at: dt.datetime,
        declared_at: dt.datetime | None,
        submitted_at: dt.datetime | None,
        variant: int,
    ) -> Assignment:
        evaluator = self.users[email]
        assignment = db.session.scalar(
            select(Assignment).where(
                Assignment.stage_id == stage.id,
                Assignment.proposal_id == proposal.id,
                Assignment.evaluator_id == evaluator.id,
            )
        )
        if assignment is not None:
            return assignment
        assignment = Assignment(
            stage=stage,
            proposal=proposal,
            evaluator=evaluator,
            assigned_by_id=self.manager.id,
            assigned_at=assigned_at,
            status=status,
            declared_at=declared_at if status != AssignmentStatus.PENDING else None,
            submitted_at=submitted_at if status == AssignmentStatus.SUBMITTED else None,
        )
        if scores is not None:
            for code, value in zip(CRITERIA, scores, strict=True):
                comment = ""
                if value is not None:
                    comment = data.COMMENTS[code][max(value, 2)][variant % 2]
                assignment.scores.append(
                    ScoreEntry(
                        criterion=self.criteria[code],
                        score=Decimal(value) if value is not None else None,
                        comment=comment,
                    )
                )
        db.session.add(assignment)
        self.created["assignments"] += 1
        return assignment

    # -- the first call: decided, with its grants --
    def load_closed_call(self) -> None:
        spec = data.CLOSED_CALL
        call = self.call(spec, self.local(spec["opens"]), self.local(spec["closes"]))
        stage = self.stage(call)
        closes_at, assigned_at, decided_at = call.closes_at, self.local(spec["assigned"]), self.local(spec["decided"])
        ranked = ranked_closed_call_proposals()
        awarded = [p for p in ranked if p["outcome"] == "award"]
        statuses = {
            "award": ProposalStatus.AWARDED,
            "reserve": ProposalStatus.RESERVE,
            "reject": ProposalStatus.REJECTED,
        }
        for p in data.CLOSED_CALL_PROPOSALS:
            submitted_at = closes_at - dt.timedelta(days=p["submitted_days_before_close"], hours=3 + p["number"])
            proposal, created = self.proposal(
                call,
                p,
                status=statuses[p["outcome"]],
                created_at=submitted_at - dt.timedelta(days=30),
                submitted_at=submitted_at,
                updated_at=decided_at,
            )
            self.checks_passed(proposal, submitted_at)
            assignments = []
            for i, (email, scores) in enumerate(p["reviews"]):
                declared_at = assigned_at + dt.timedelta(days=1 + i, hours=p["number"] % 5)
                assignments.append(
                    self.assignment(
                        stage,
                        proposal,
                        email,
                        AssignmentStatus.SUBMITTED,
                        scores,
                        assigned_at=assigned_at,
                        declared_at=declared_at,
                        submitted_at=declared_at + dt.timedelta(days=8 + p["number"] % 7),
                        variant=i + p["number"],
                    )
                )
            moderated_at = assigned_at + dt.timedelta(days=28)
            moderation = self.moderation(stage, proposal, p, moderated_at) if "consensus" in p else None
            rank = ranked.index(p) + 1
            total, relevance = final_total(p), final_relevance(p)
            if proposal.decision is None:
                if p["outcome"] == "award":
                    reason = (
                        f"Ranked {ordinal(rank)} of {len(ranked)} concept notes with a final score of "
                        f"{score_label(total)} of 50 (relevance {score_label(relevance)} of 30): above both "
                        "thresholds and within the budget envelope. Awarded at the requested amount."
                    )
                else:
                    reason = p["reason"].format(
                        rank=ordinal(rank), total=score_label(total), relevance=score_label(relevance)
                    )
                db.session.add(
                    Decision(
                        proposal=proposal,
                        outcome=p["outcome"],
                        reason=reason,
                        final_score=total,
                        decided_by=self.manager,
                        decided_at=decided_at,
                    )
                )
                self.created["decisions"] += 1
            grant = None
            if p["outcome"] == "award":
                grant = self.grant(call, proposal, p, awarded.index(p) + 1, decided_at)
            if created:
                db.session.flush()
                history.closed_call_proposal(
                    self, call, proposal, p, assignments, moderation, grant, submitted_at=submitted_at
                )
        db.session.flush()
        self.request_letters(call)

    def grant(self, call: Call, proposal: Proposal, p: dict, number: int, decided_at: dt.datetime) -> Grant:
        agreement_number = f"{call.reference}-G{number:02d}"
        grant = db.session.scalar(select(Grant).where(Grant.agreement_number == agreement_number))
        if grant is not None:
            return grant
        spec = p["grant"]
        amount = p["amount"]
        grant = Grant(
            agreement_number=agreement_number,
            call=call,
            proposal=proposal,
            lead_organisation=self.orgs[p["lead"]],
            title=p["title"],
            amount=amount,
            start_date=spec["start"],
            end_date=spec["end"],
            status=spec["status"],
            created_at=decided_at + dt.timedelta(days=10),
            created_by_id=self.manager.id,
        )
        partner_shares = [(self.orgs[acronym], share(amount, pct)) for acronym, _, pct in p["partners"]]
        lead_share = amount - sum((s for _, s in partner_shares), Decimal(0))
        grant.organisations.append(
            GrantOrganisation(organisation=self.orgs[p["lead"]], role=GrantRole.LEAD, budget_share=lead_share)
        )
        for org, budget_share in partner_shares:
            grant.organisations.append(
                GrantOrganisation(organisation=org, role=GrantRole.CO_BENEFICIARY, budget_share=budget_share)
            )
        for acronym in p["associated"]:
            grant.organisations.append(GrantOrganisation(organisation=self.orgs[acronym], role=GrantRole.ASSOCIATED))
        grant.country_rows = [GrantCountry(country_code=code, share_pct=Decimal(pct)) for code, pct in p["countries"]]
        grant.awarded_on = decided_at.astimezone(self.zone).date()
        grant.dialogues = [self.dialogues[code] for code in spec["dialogues"]]
        grant.domains = [self.domains[p["domain"]]]
        grant.reports = schedule.default_reports(grant.start_date, grant.end_date)
        grant.tranches = schedule.default_tranches(amount, grant.start_date, grant.end_date, grant.reports)
        db.session.add(grant)
        db.session.flush()
        if spec.get("amendment"):
            self.extension(grant, spec["amendment"])
        if grant.status == "active":
            grant.actual_start_date = grant.start_date
            self.grant_history(grant, spec.get("reporting"))
        self.created["grants"] += 1
        return grant

    # -- what happened since each grant started, relative to the day of seeding --
    def grant_history(self, grant: Grant, scenario: str | None) -> None:
        """Reports whose due date has passed are approved, except on the grants whose scenario leaves the
        latest ones unsubmitted ("overdue") or sends the financial one back ("changes_requested"); the tranches
        whose date has come and whose reports are approved are paid; the rest stay due."""
        past = [r for r in grant.reports if r.due_date < self.today]
        latest = max((r.due_date for r in past), default=None)
        for report in past:
            if report.due_date == latest and scenario == "overdue":
                continue
            submitted = self.day((report.due_date - self.today).days - 4, 16)
            self.report_file(report, submitted)
            reviewed = min(submitted + dt.timedelta(days=12), self.now - dt.timedelta(hours=2))
            report.reviewed_at, report.reviewed_by_id = reviewed, self.manager.id
            if report.due_date == latest and scenario == "changes_requested" and report.type == "financial":
                report.status = ReportStatus.CHANGES_REQUESTED.value
                report.review_comment = data.REPORT_CHANGES_COMMENT
            else:
                report.status = ReportStatus.APPROVED.value
        for tranche in grant.tranches:
            if tranche.planned_date > self.today:
                break
            awaited = (
                [r for r in grant.reports if r.period == "final"]
                if tranche.kind == "balance"
                else [
                    r
                    for r in grant.reports
                    if tranche.requires_report is not None
                    and (r.period, r.due_date) == (tranche.requires_report.period, tranche.requires_report.due_date)
                ]
            )
            if any(r.status != ReportStatus.APPROVED for r in awaited):
                break
            tranche.paid_date = max([tranche.planned_date] + [r.reviewed_at.date() for r in awaited])
            if tranche.paid_date > self.today:
                tranche.paid_date = None
                break
            tranche.paid_amount = tranche.planned_amount
            tranche.paid_recorded_by_id = self.manager.id
        self.created["grant reports"] += len(grant.reports)
        self.created["payments"] += sum(1 for t in grant.tranches if t.paid_date is not None)

    def report_file(self, report: GrantReport, submitted: dt.datetime) -> None:
        from portal.core import storage

        if self.report_pdf is None:
            from portal.core.pdf import html_to_pdf

            self.report_pdf = html_to_pdf(data.REPORT_FILE_HTML)
        key = storage.new_key("grant-reports", ".pdf")
        storage.put(key, self.report_pdf)
        report.files.append(
            GrantReportFile(
                version=1,
                filename=f"{report.period}-{report.type}-report.pdf",
                content_type="application/pdf",
                size=len(self.report_pdf),
                sha256=hashlib.sha256(self.report_pdf).hexdigest(),
                storage_key=key,
                uploaded_at=submitted,
                uploaded_by_id=self.contacts[report.grant.lead_organisation.acronym].id,
            )
        )
        report.status = ReportStatus.SUBMITTED.value
        report.submitted_at = submitted

    def extension(self, grant: Grant, spec: dict) -> None:
        """An approved no-cost extension, made as the amendments' own code makes it."""
        requested = min(
            self.local(
                dt.datetime.combine(grant.start_date, dt.time(10, 0)) + dt.timedelta(days=spec["requested_after_days"])
            ),
            self.now - dt.timedelta(days=20),
        )
        new_end = schedule.add_months(grant.end_date + dt.timedelta(days=1), spec["months"]) - dt.timedelta(days=1)
        changes = {"end_date": new_end.isoformat()}
        before = terms_of(grant)
        apply_changes(grant, "no_cost_extension", changes)
        grant.terms_version += 1
        db.session.flush()
        grant.amendments.append(
            Amendment(
                number=1,
                kind="no_cost_extension",
                status="approved",
                justification=spec["justification"],
                changes=changes,
                requested_at=requested,
                requested_by_id=self.contacts[grant.lead_organisation.acronym].id,
                decided_at=requested + dt.timedelta(days=9),
                decided_by_id=self.manager.id,
                decision_comment="Approved: the delay is documented and the budget does not change.",
                terms_before=before,
                terms_after=terms_of(grant),
                terms_version=grant.terms_version,
            )
        )
        self.created["amendments"] += 1

    def request_letters(self, call: Call) -> None:
        """An award letter for every grant of the call that has none yet (rendered after the commit)."""
        from portal.documents.operations import request_award_letter

        with_letter = select(Document.grant_id).where(Document.kind == DocumentKind.AWARD_LETTER)
        grants = db.session.scalars(
            select(Grant).where(Grant.call_id == call.id, Grant.id.not_in(with_letter)).order_by(Grant.agreement_number)
        ).all()
        for grant in grants:
            request_award_letter(grant, by=self.manager)
            self.created["award letters"] += 1

    # -- the second call: closed, under evaluation --
    def load_evaluation_call(self) -> None:
        spec = data.EVALUATION_CALL
        call = self.call(spec, self.day(spec["opens_in_days"]), self.day(spec["closes_in_days"]))
        stage = self.stage(call)
        assigned_at = max(call.closes_at, self.day(spec["assigned_in_days"], 9))
        for p in data.EVALUATION_CALL_PROPOSALS:
            submitted_at = call.closes_at - dt.timedelta(days=p["submitted_days_before_close"], hours=2 + p["number"])
            proposal, _ = self.proposal(
                call,
                p,
                status=ProposalStatus.UNDER_REVIEW,
                created_at=submitted_at - dt.timedelta(days=24),
                submitted_at=submitted_at,
                updated_at=assigned_at,
            )
            self.checks_passed(proposal, submitted_at)
            for i, (email, status, scores) in enumerate(p["reviews"]):
                declared_at = assigned_at + dt.timedelta(days=1 + i, hours=p["number"])
                self.assignment(
                    stage,
                    proposal,
                    email,
                    status,
                    scores,
                    assigned_at=assigned_at,
                    declared_at=declared_at,
                    submitted_at=declared_at + dt.timedelta(days=5 + p["number"]),
                    variant=i + p["number"],
                )
        db.session.flush()

    # -- the third call: open --
    def load_open_call(self) -> None:
        OpenCallLoader(self).load()
