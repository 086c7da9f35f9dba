"""A large facility, written quickly: the calls and their evaluation grids through the ORM (a few dozen rows, with the
portal's own grid builder), everything else with PostgreSQL COPY through psycopg 3.

Rows are given as tuples of the columns that matter; every other column gets the model's own default (or NULL), so
the data stays valid when a model gains a column with a default. A column that is required and has no default stops
the generation with its name, rather than writing a row the portal would not write.

Every user has the same password (BENCH_PASSWORD), hashed once. Randomness is seeded: two runs at the same scale
write the same facility.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import JSON, Table, select

log = logging.getLogger("bench.generate")

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throw-away database on the bench machine
DOMAIN = "bench.example"
ASSIGN_CALL = "BENCH-ASSIGN"
RANKING_CALL = "BENCH-CFP-01"
AFRICA = ["SN", "ML", "NE", "GH", "MA", "TN", "NG", "CI", "KE", "ET", "BF", "GM", "GN", "MR", "CM", "EG", "DZ", "SL"]
EUROPE = ["FR", "BE", "ES", "IT", "DE", "NL", "PT", "SE", "GB", "NO", "CH", "AT"]
ORG_TYPES = ["ngo", "ngo", "ngo", "research", "diaspora", "local_authority", "private_sector", "international"]
BUDGET_CATEGORIES = ["human_resources", "travel", "equipment", "local_office", "other_services", "indirect"]
WORDS = [
    "diaspora",
    "mobility",
    "remittances",
    "dialogue",
    "youth",
    "women",
    "skills",
    "labour",
    "migration",
    "return",
    "reintegration",
    "protection",
    "transit",
    "corridors",
    "cities",
    "research",
    "data",
    "rights",
    "access",
    "local",
    "development",
    "investment",
    "resilience",
    "networks",
]


@dataclass(frozen=True)
class Sizes:
    calls: int
    organisations: int
    evaluators: int
    proposals: int
    reviews: int
    grants: int
    assign_proposals: int
    managers: int = 5

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, math.ceil(full * scale))

        proposals = n(20_000, 40)
        return cls(
            calls=n(40, 2),
            organisations=n(2_000, 12),
            evaluators=n(500, 6),
            proposals=proposals,
            reviews=min(n(60_000, 120), 3 * proposals),
            grants=min(n(4_000, 8), proposals // 2),
            assign_proposals=n(2_000, 20),
        )


class Copier:
    """COPY rows into a table, filling the columns not given with the model's defaults."""

    def __init__(self, connection, metadata) -> None:
        self.connection = connection
        self.metadata = metadata
        self.counts: dict[str, int] = {}

    def copy(self, table_name: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        table: Table = self.metadata.tables[table_name]
        given = [table.columns[name] for name in columns]
        fill, fill_names = [], []
        for column in table.columns:
            if column.name in columns:
                continue
            if column.default is not None and not column.default.is_sequence:
                fill.append(_default_maker(column))
                fill_names.append(column.name)
            elif column.server_default is not None or column.nullable:
                continue
            else:
                raise RuntimeError(f"bench data: {table_name}.{column.name} is required and has no default")
        json_at = [i for i, c in enumerate(given) if isinstance(c.type, JSON)]
        names = ", ".join(f'"{n}"' for n in [*columns, *fill_names])
        written = 0
        with self.connection.cursor() as cursor, cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = None if row[i] is None else json.dumps(row[i], default=str)
                copy.write_row((*row, *[make() for make in fill]))
                written += 1
        self.counts[table_name] = self.counts.get(table_name, 0) + written
        return written


def _default_maker(column):
    default = column.default
    json_column = isinstance(column.type, JSON)

    def adapt(value):
        return json.dumps(value, default=str) if json_column and value is not None else value

    if default.is_callable:
        return lambda: adapt(default.arg(None))
    value = adapt(default.arg)
    return lambda: value


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _sections(rng: random.Random) -> dict[str, dict]:
    """Some of the form's sections, in the shape the portal saves them (tests/proposals/filling.py)."""
    return {
        "summary": {"summary": _words(rng, 120).capitalize() + "."},
        "relevance": {
            "objectives": _words(rng, 60).capitalize() + ".",
            "dialogues": _words(rng, 40).capitalize() + ".",
            "domains": _words(rng, 40).capitalize() + ".",
        },
        "target_groups": {
            "target_groups": _words(rng, 30).capitalize() + ".",
            "target_groups_number": rng.randint(10, 500),
            "final_beneficiaries": _words(rng, 30).capitalize() + ".",
            "final_beneficiaries_number": rng.randint(100, 5000),
        },
        "sustainability": {
            "sustainability": _words(rng, 60).capitalize() + ".",
            "dissemination": _words(rng, 40).capitalize() + ".",
        },
        "risks": {
            "risks": [
                {"risk": _words(rng, 6).capitalize(), "likelihood": "low", "impact": "medium", "mitigation": "Plan."}
                for _ in range(3)
            ]
        },
    }


def generate(app, sizes: Sizes, seed: int = 42) -> dict[str, int]:
    """Fill the (empty, migrated) database of `app` with a facility of `sizes`; returns rows written per table."""
    from portal.accounts.models import User
    from portal.calls.models import Call, CallCountry, Dialogue, JvapDomain
    from portal.core.db import utcnow
    from portal.evaluation.grids import build_stage
    from portal.evaluation.models import Criterion, EvaluationStage
    from portal.extensions import db

    rng = random.Random(seed)
    started = time.perf_counter()
    now = utcnow()
    probe = User(email="probe@bench.example")
    probe.set_password(BENCH_PASSWORD)
    password_hash = probe.password_hash

    with app.app_context():
        if db.session.scalar(select(Call.id).limit(1)) is not None:
            raise RuntimeError("bench data: the database already has calls; generate into a new database")
        dialogue_rows = list(db.session.scalars(select(Dialogue).order_by(Dialogue.id)))
        domain_rows = list(db.session.scalars(select(JvapDomain).order_by(JvapDomain.number)))
        # Plain ids: an ORM object expired by a commit would load itself in the middle of a COPY (and wait forever).
        dialogues = [d.id for d in dialogue_rows]
        domains = [d.id for d in domain_rows]

        # -- users: 1 admin, managers, evaluators, one applicant per organisation -----------------------------------
        users: list[tuple] = []
        uid = 0

        def user(email: str, role: str, name: str, locale: str = "en") -> int:
            nonlocal uid
            uid += 1
            users.append((uid, email, password_hash, name, role, True, locale, "UTC", now, now))  # address confirmed
            return uid

        user(f"bench-admin@{DOMAIN}", "admin", "Bench Admin")
        managers = [
            user(f"bench-manager-{i}@{DOMAIN}", "manager", f"Manager {i}") for i in range(1, sizes.managers + 1)
        ]
        evaluators = [
            user(f"bench-evaluator-{i:03d}@{DOMAIN}", "evaluator", f"Evaluator {i}", rng.choice(["en", "fr"]))
            for i in range(1, sizes.evaluators + 1)
        ]
        applicants = [
            user(f"bench-applicant-{i:04d}@{DOMAIN}", "applicant", f"Applicant {i}", rng.choice(["en", "fr"]))
            for i in range(1, sizes.organisations + 1)
        ]

        # -- calls, with their dialogues, domains, countries and the default concept-note grid (ORM) -----------------
        call_rows: list[Call] = []
        for i in range(1, sizes.calls + 2):
            assign = i == sizes.calls + 1
            year = 2019 + (i - 1) * 7 // max(1, sizes.calls)
            # The two newest calls are still in evaluation (reviews pending and in progress) when there are enough.
            evaluation = assign or i > sizes.calls - min(2, sizes.calls // 4)
            opens = dt.datetime(year, 2, 1, 9, tzinfo=dt.UTC)
            call = Call(
                reference=ASSIGN_CALL if assign else f"BENCH-CFP-{i:02d}",
                title=f"Call {i}: " + _words(rng, 5),
                description=_words(rng, 80),
                budget_envelope=Decimal("12000000.00"),
                min_grant=Decimal("50000.00"),
                max_grant=Decimal("300000.00"),
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=75),
                status="evaluation" if evaluation else "decided",
                published_at=opens,
                created_at=opens - dt.timedelta(days=20),
            )
            call.dialogues = dialogue_rows[: 1 + i % len(dialogue_rows)]
            call.domains = domain_rows
            call.country_rows = [CallCountry(country_code=c) for c in AFRICA + EUROPE]
            build_stage(call)
            db.session.add(call)
            call_rows.append(call)
        db.session.commit()
        calls = [(c.id, c.reference, c.opens_at, c.status) for c in call_rows]
        db.session.expunge_all()
        stage_of = {s.call_id: s.id for s in db.session.scalars(select(EvaluationStage).order_by(EvaluationStage.id))}
        criteria_of: dict[int, list[int]] = {}
        for c in db.session.scalars(select(Criterion).order_by(Criterion.position)):
            criteria_of.setdefault(c.stage_id, []).append(c.id)

        raw = db.session.connection().connection.driver_connection  # the psycopg 3 connection, same transaction
        copier = Copier(raw, db.metadata)
        copier.copy(
            "users",
            [
                "id",
                "email",
                "password_hash",
                "full_name",
                "role",
                "active",
                "locale",
                "timezone",
                "created_at",
                "email_confirmed_at",
            ],
            users,
        )

        # -- organisations and their contacts --------------------------------------------------------------------
        org_country: dict[int, str] = {}

        def organisations():
            for i in range(1, sizes.organisations + 1):
                country = rng.choice(AFRICA) if rng.random() < 0.7 else rng.choice(EUROPE)
                org_country[i] = country
                name = f"{_words(rng, 2).title()} Association {i}"
                yield (
                    i,
                    name,
                    f"BA{i}",
                    rng.choice(ORG_TYPES),
                    country,
                    f"BENCH-{i:06d}",
                    f"contact{i}@org.{DOMAIN}",
                    f"Representative {i}",
                    now,
                )

        copier.copy(
            "organisations",
            [
                "id",
                "legal_name",
                "acronym",
                "type",
                "country",
                "registration_number",
                "email",
                "legal_representative",
                "created_at",
            ],
            organisations(),
        )
        copier.copy(
            "memberships",
            ["id", "user_id", "organisation_id", "is_contact"],
            ((i, applicants[i - 1], i, True) for i in range(1, sizes.organisations + 1)),
        )

        # -- evaluators' profiles, signed, as the automatic assignment needs them: languages (all speak English, most
        # French), expertise in one or two JVAP domains, countries, their organisation and sometimes a past employer
        # (conflicts of interest the solver must respect) ---------------------------------------------------------
        from portal.evaluation.evaluator_models import DECLARATION_VERSION

        profile_domains: list[tuple[int, int]] = []
        profile_employers: list[tuple[int, int]] = []

        def profiles():
            for pid, user_id in enumerate(evaluators, start=1):
                languages = ["en", "fr"] if rng.random() < 0.7 else ["en"]
                for domain_id in rng.sample(domains, k=min(len(domains), rng.choice([1, 2]))):
                    profile_domains.append((pid, domain_id))
                organisation = rng.randint(1, sizes.organisations) if rng.random() < 0.6 else None
                if rng.random() < 0.3:
                    profile_employers.append((pid, rng.randint(1, sizes.organisations)))
                countries = rng.sample(AFRICA + EUROPE, k=3)
                yield (pid, user_id, "", languages, countries, organisation, [], now, DECLARATION_VERSION, now)

        copier.copy(
            "evaluator_profiles",
            [
                "id",
                "user_id",
                "themes",
                "languages",
                "countries",
                "organisation_id",
                "past_employer_names",
                "declaration_signed_at",
                "declaration_version",
                "updated_at",
            ],
            profiles(),
        )
        copier.copy("evaluator_domains", ["profile_id", "domain_id"], profile_domains)
        copier.copy("evaluator_past_employers", ["profile_id", "organisation_id"], set(profile_employers))

        # -- proposals of the scored calls, then BENCH-ASSIGN's eligible ones -------------------------------------
        scored_calls = calls[:-1]
        decided = [c for c in scored_calls if c[3] == "decided"] or scored_calls[:1]
        per_call = math.ceil(sizes.proposals / len(scored_calls))
        awarded_per_call = math.ceil(sizes.grants / len(decided))
        proposals: list[dict] = []
        grants_left = sizes.grants
        pid = 0
        for call_id, reference, opens, status in scored_calls:
            for j in range(per_call):
                if len(proposals) >= sizes.proposals:
                    break
                pid += 1
                if status == "decided":
                    if j < awarded_per_call and grants_left > 0:
                        p_status = "awarded"
                        grants_left -= 1
                    else:
                        p_status = rng.choice(["rejected", "rejected", "reserve", "not_shortlisted"])
                else:
                    p_status = "under_review"
                proposals.append(
                    {
                        "id": pid,
                        "call_id": call_id,
                        "reference": f"{reference}-{j + 1:05d}",
                        "org": rng.randint(1, sizes.organisations),
                        "status": p_status,
                        "submitted": opens + dt.timedelta(days=rng.randint(10, 70), minutes=rng.randint(0, 1440)),
                    }
                )
        assign_id, assign_ref, assign_opens, _ = calls[-1]
        for j in range(sizes.assign_proposals):
            pid += 1
            proposals.append(
                {
                    "id": pid,
                    "call_id": assign_id,
                    "reference": f"{assign_ref}-{j + 1:05d}",
                    "org": rng.randint(1, sizes.organisations),
                    "status": "eligible",
                    "submitted": assign_opens + dt.timedelta(days=rng.randint(10, 70)),
                }
            )
        for p in proposals:
            p["amount"] = Decimal(rng.randrange(50_000, 300_000, 500))
            p["title"] = _words(rng, 6).capitalize()
            p["domain"] = rng.choice(domains)
            p["duration"] = rng.choice([12, 18, 24, 30, 36])
            partners = []
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                other = rng.randint(1, sizes.organisations)
                if other != p["org"] and other not in partners:
                    partners.append(other)
            p["partners"] = partners
            lead_country = org_country[p["org"]]
            places = [lead_country] if lead_country in AFRICA else []
            places += rng.sample(AFRICA, rng.randint(1, 2))
            p["countries"] = list(dict.fromkeys(places))

        copier.copy(
            "proposals",
            [
                "id",
                "reference",
                "call_id",
                "organisation_id",
                "created_by_id",
                "title",
                "summary",
                "requested_amount",
                "total_budget",
                "duration_months",
                "jvap_domain_id",
                "status",
                "created_at",
                "updated_at",
                "submitted_at",
                "pipeline_version",
            ],
            (
                (
                    p["id"],
                    p["reference"],
                    p["call_id"],
                    p["org"],
                    applicants[p["org"] - 1],
                    p["title"],
                    _words(rng, 60).capitalize() + ".",
                    p["amount"],
                    (p["amount"] * Decimal("1.15")).quantize(Decimal("0.01")),
                    p["duration"],
                    p["domain"],
                    p["status"],
                    p["submitted"] - dt.timedelta(days=5),
                    p["submitted"],
                    p["submitted"],
                    1,
                )
                for p in proposals
            ),
        )

        def shares(places: list[str]) -> list[tuple[str, Decimal]]:
            base = (Decimal(100) / len(places)).quantize(Decimal("0.01"))
            values = [base] * len(places)
            values[0] += Decimal(100) - sum(values)
            return list(zip(places, values, strict=True))

        copier.copy(
            "proposal_countries",
            ["proposal_id", "country_code", "share_pct"],
            ((p["id"], code, share) for p in proposals for code, share in shares(p["countries"])),
        )
        copier.copy(
            "proposal_dialogues",
            ["proposal_id", "dialogue_id"],
            ((p["id"], dialogues[p["id"] % len(dialogues)]) for p in proposals),
        )
        partner_id = 0
        partner_ids: dict[int, list[int]] = {}

        def partners():
            nonlocal partner_id
            for p in proposals:
                for org in p["partners"]:
                    partner_id += 1
                    partner_ids.setdefault(p["id"], []).append(partner_id)
                    share = (p["amount"] * Decimal("0.2")).quantize(Decimal("0.01"))
                    invited = p["submitted"] - dt.timedelta(days=20)
                    yield (
                        partner_id,
                        p["id"],
                        org,
                        "co_applicant",
                        share,
                        "accepted",
                        invited,
                        applicants[p["org"] - 1],
                        invited + dt.timedelta(days=2),
                        applicants[org - 1],
                        invited + dt.timedelta(days=2),
                    )

        copier.copy(
            "proposal_partners",
            [
                "id",
                "proposal_id",
                "organisation_id",
                "role",
                "budget_share",
                "status",
                "invited_at",
                "invited_by_id",
                "responded_at",
                "responded_by_id",
                "confirmed_at",
            ],
            partners(),
        )
        line_id = 0

        def budget_lines():
            nonlocal line_id
            for p in proposals:
                per_line = (p["amount"] * Decimal("1.15") / 8).quantize(Decimal("0.01"))
                owners = [None, *partner_ids.get(p["id"], [])]
                for k in range(8):
                    line_id += 1
                    category = BUDGET_CATEGORIES[k % len(BUDGET_CATEGORIES)]
                    yield (line_id, p["id"], owners[k % len(owners)], category, _words(rng, 4), "unit", 1, per_line, k)

        copier.copy(
            "budget_lines",
            ["id", "proposal_id", "partner_id", "category", "description", "unit", "quantity", "unit_cost", "position"],
            budget_lines(),
        )
        copier.copy(
            "cofinancing_sources",
            ["id", "proposal_id", "source", "amount", "secured", "position"],
            (
                (p["id"], p["id"], "Own funds", (p["amount"] * Decimal("0.15")).quantize(Decimal("0.01")), True, 0)
                for p in proposals
            ),
        )
        section_id = 0

        def sections():
            nonlocal section_id
            for p in proposals:
                for key, data in _sections(rng).items():
                    section_id += 1
                    yield (section_id, p["id"], key, data, p["submitted"], applicants[p["org"] - 1])

        copier.copy(
            "proposal_sections", ["id", "proposal_id", "key", "data", "updated_at", "updated_by_id"], sections()
        )

        # -- reviews: assignments of three evaluators per proposal, with their scores --------------------------------
        reviewed = [p for p in proposals if p["call_id"] != assign_id]
        per_proposal = max(1, min(3, sizes.reviews // max(1, len(reviewed)), len(evaluators)))
        assignments: list[tuple] = []
        scores: list[tuple] = []
        totals: dict[int, list[int]] = {}
        aid = sid = 0
        for n, p in enumerate(reviewed):
            stage = stage_of[p["call_id"]]
            criteria = criteria_of[stage]
            for k in range(per_proposal):
                if len(assignments) >= sizes.reviews:
                    break
                aid += 1
                evaluator = evaluators[(n * per_proposal + k) % len(evaluators)]
                assigned = p["submitted"] + dt.timedelta(days=10)
                if p["status"] == "under_review":
                    status = ["pending", "in_progress", "submitted"][(n + k) % 3]
                else:
                    status = "submitted"
                declared = assigned + dt.timedelta(days=1) if status != "pending" else None
                submitted = assigned + dt.timedelta(days=12) if status == "submitted" else None
                assignments.append((aid, stage, p["id"], evaluator, managers[0], assigned, status, declared, submitted))
                if status == "pending":
                    continue
                for c, criterion in enumerate(criteria):
                    if status == "in_progress" and c >= len(criteria) // 2:
                        break
                    sid += 1
                    value = rng.randint(2, 5)
                    totals.setdefault(p["id"], []).append(value)
                    scores.append((sid, aid, criterion, value, _words(rng, 12).capitalize() + "."))
        copier.copy(
            "assignments",
            [
                "id",
                "stage_id",
                "proposal_id",
                "evaluator_id",
                "assigned_by_id",
                "assigned_at",
                "status",
                "declared_at",
                "submitted_at",
            ],
            assignments,
        )
        copier.copy("scores", ["id", "assignment_id", "criterion_id", "score", "comment"], scores)
        outcome = {"awarded": "award", "reserve": "reserve", "rejected": "reject"}
        copier.copy(
            "decisions",
            ["id", "proposal_id", "outcome", "reason", "final_score", "decided_by_id", "decided_at"],
            (
                (
                    p["id"],
                    p["id"],
                    outcome[p["status"]],
                    "Committee decision on the ranking.",
                    Decimal(sum(totals.get(p["id"], [0]))) / per_proposal,
                    managers[0],
                    p["submitted"] + dt.timedelta(days=60),
                )
                for p in proposals
                if p["status"] in outcome
            ),
        )

        # -- grants, with their organisations, countries, dialogues, domains, payments and reports ------------------
        awarded = [p for p in proposals if p["status"] == "awarded"]
        references = {c[0]: c[1] for c in calls}
        grant_rows, g_orgs, g_countries, g_dialogues, g_domains, tranches, reports = [], [], [], [], [], [], []
        go_id = tranche_id = report_id = 0
        today = dt.date(2026, 12, 1)
        for g, p in enumerate(awarded, start=1):
            awarded_on = (p["submitted"] + dt.timedelta(days=90)).date()
            start = awarded_on + dt.timedelta(days=30)
            end = start + dt.timedelta(days=30 * p["duration"])
            status = "closed" if end < today else rng.choice(["active", "active", "active", "suspended", "contracting"])
            amount = p["amount"]
            grant_rows.append(
                (
                    g,
                    f"{references[p['call_id']]}-G{g:05d}",
                    p["call_id"],
                    p["id"],
                    p["org"],
                    p["title"],
                    amount,
                    (amount * Decimal("0.15")).quantize(Decimal("0.01")),
                    awarded_on,
                    start,
                    end,
                    start if status != "contracting" else None,
                    status,
                    managers[0],
                )
            )
            go_id += 1
            g_orgs.append((go_id, g, p["org"], "lead", (amount * Decimal("0.6")).quantize(Decimal("0.01"))))
            for org in p["partners"]:
                go_id += 1
                g_orgs.append((go_id, g, org, "co_beneficiary", (amount * Decimal("0.2")).quantize(Decimal("0.01"))))
            g_countries += [(g, code, share) for code, share in shares(p["countries"])]
            g_dialogues.append((g, dialogues[p["id"] % len(dialogues)]))
            g_domains += [(g, p["domain"])] + ([(g, domains[0])] if p["domain"] != domains[0] else [])
            first = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
            second = (amount * Decimal("0.3")).quantize(Decimal("0.01"))
            plan = [
                ("pre_financing", start, first),
                ("further_pre_financing", start + (end - start) / 2, second),
                ("balance", end + dt.timedelta(days=60), amount - first - second),
            ]
            for number, (kind, planned, planned_amount) in enumerate(plan, start=1):
                tranche_id += 1
                paid = status != "contracting" and planned <= today
                tranches.append(
                    (
                        tranche_id,
                        g,
                        number,
                        kind,
                        planned,
                        planned_amount,
                        planned + dt.timedelta(days=7) if paid else None,
                        planned_amount if paid else None,
                        managers[0] if paid else None,
                    )
                )
            for period, type_, due in (
                ("interim", "narrative", start + (end - start) / 2),
                ("interim", "financial", start + (end - start) / 2),
                ("final", "narrative", end + dt.timedelta(days=60)),
                ("final", "financial", end + dt.timedelta(days=60)),
            ):
                report_id += 1
                done = due <= today
                reports.append(
                    (
                        report_id,
                        g,
                        period,
                        type_,
                        f"{period.title()} {type_} report",
                        due,
                        "approved" if done else "due",
                        dt.datetime.combine(due, dt.time(10), dt.UTC) if done else None,
                    )
                )
        copier.copy(
            "grants",
            [
                "id",
                "agreement_number",
                "call_id",
                "proposal_id",
                "lead_organisation_id",
                "title",
                "amount",
                "cofinancing",
                "awarded_on",
                "start_date",
                "end_date",
                "actual_start_date",
                "status",
                "created_by_id",
            ],
            grant_rows,
        )
        copier.copy("grant_organisations", ["id", "grant_id", "organisation_id", "role", "budget_share"], g_orgs)
        copier.copy("grant_countries", ["grant_id", "country_code", "share_pct"], g_countries)
        copier.copy("grant_dialogues", ["grant_id", "dialogue_id"], g_dialogues)
        copier.copy("grant_domains", ["grant_id", "domain_id"], g_domains)
        copier.copy(
            "grant_tranches",
            [
                "id",
                "grant_id",
                "number",
                "kind",
                "planned_date",
                "planned_amount",
                "paid_date",
                "paid_amount",
                "paid_recorded_by_id",
            ],
            tranches,
        )
        copier.copy(
            "grant_reports",
            ["id", "grant_id", "period", "type", "title", "due_date", "status", "submitted_at"],
            reports,
        )
        _reset_sequences(raw, db.metadata)
        with raw.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics for the planner (allowed inside the transaction)
        db.session.commit()
    log.info("generated %s rows in %.1f s", sum(copier.counts.values()), time.perf_counter() - started)
    return copier.counts


def _reset_sequences(raw, metadata) -> None:
    """Explicit ids were written: move each table's id sequence past them."""
    with raw.cursor() as cursor:
        for table in metadata.sorted_tables:
            if "id" in table.columns and table.columns["id"].primary_key:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
