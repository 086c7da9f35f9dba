"""Business rules of calls for proposals: creating and editing a call (every rule of DOMAIN.md), its statuses
(draft -> published -> evaluation -> decided -> archived), and its rules frozen once a proposal was submitted, except
for deadline extensions. Documents are in calls/documents.py, clarifications in calls/clarifications.py.

Operations check their preconditions, change the objects, write the audit entry and flush; they never commit
and never read the request. A broken rule raises CallError carrying every message a person must read, each
tied to the form field it concerns (or None for the page as a whole)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from portal.calls import queries
from portal.calls.labels import STATUS_LABELS, label, percent
from portal.calls.models import (
    ATTACHMENT_KIND_VALUES,
    CALL_STATUS_VALUES,
    PROCEDURE_VALUES,
    AttachmentKind,
    AttachmentRequirement,
    Call,
    CallApplicantType,
    CallCountry,
    CallLeadCountry,
    CallStatus,
    CallTheme,
    DeadlineChange,
    Dialogue,
    JvapDomain,
    Procedure,
    Theme,
)
from portal.core import audit, countries, mail
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.core.i18n import instant, money, number
from portal.core.urls import external_url
from portal.evaluation.grids import build_stage
from portal.extensions import db
from portal.organisations.models import ORGANISATION_TYPE_VALUES

log = logging.getLogger(__name__)

# What a manager edits, and what the audit log records of a call (the same, plus its status and lists).
EDITABLE_FIELDS = (
    "reference",
    "title",
    "description",
    "guidelines",
    "budget_envelope",
    "min_grant",
    "max_grant",
    "min_duration_months",
    "max_duration_months",
    "min_cofinancing_pct",
    "max_indirect_cost_pct",
    "max_amount_change_pct",
    "summary_word_limit",
    "min_co_applicants",
    "max_co_applicants",
    "require_african_member",
    "eu_lead_needs_african_co_applicant",
    "procedure",
    "opens_at",
    "closes_at",
    "full_application_closes_at",
    "questions_close_at",
    "timezone",
)
LIST_FIELDS = ("dialogues", "domains", "countries", "lead_countries", "applicant_types", "themes", "requirements")
FACT_FIELDS = [*EDITABLE_FIELDS, "status"]
# The deadlines: the only rules that may still move (later) once a proposal was submitted.
DEADLINE_FIELDS = ("closes_at", "full_application_closes_at")
MAX_WORD_LIMIT = 5000
MAX_DURATION_MONTHS = 120
CENT = Decimal("0.01")
THEME_VALUES = frozenset(t.value for t in Theme)
REQUIREMENT_STAGES = ("any", "concept_note", "full_application")
_FORM_FIELDS = frozenset(EDITABLE_FIELDS) | frozenset(LIST_FIELDS)


class CallError(RuleError):
    """A broken rule of this area; see portal.core.errors.RuleError."""


def local_to_utc(local: dt.datetime, zone_name: str) -> dt.datetime:
    """A wall-clock time in a named zone, as an aware UTC instant.

    Daylight-saving changes: a time that never happens (the hour skipped when clocks go forward) is refused
    with a message, since nobody can tell which instant was meant. A time that happens twice (the hour repeated
    when clocks go back) is read as its first occurrence: for a deadline, the earlier instant is the one that
    no reader can have missed."""
    zone = zoneinfo.ZoneInfo(zone_name)
    naive = local.replace(tzinfo=None, microsecond=0)
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise CallError(
            _(
                "%(time)s does not exist in %(zone)s: the clocks skip that hour for daylight saving time. "
                "Choose a time outside the change.",
                time=naive.strftime("%Y-%m-%d %H:%M"),
                zone=zone_name,
            )
        )
    return aware.astimezone(dt.UTC)


def utc_to_local(instant_: dt.datetime, zone_name: str) -> dt.datetime:
    """The naive wall-clock time of an instant in a zone (to fill datetime-local inputs)."""
    return instant_.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


def _requirement_facts(rows) -> list[dict]:
    return [{"kind": r.kind, "label": r.label, "required": r.required, "stage": r.stage} for r in rows]


def call_facts(call: Call) -> dict:
    """Everything about a call worth keeping in the audit log (and comparing when its rules are frozen)."""
    facts = audit.snapshot(call, FACT_FIELDS)
    facts["dialogues"] = sorted(d.code for d in call.dialogues)
    facts["domains"] = sorted(d.number for d in call.domains)
    facts["countries"] = sorted(call.countries)
    facts["lead_countries"] = sorted(call.lead_countries)
    facts["applicant_types"] = sorted(call.applicant_types)
    facts["themes"] = sorted(call.themes)
    facts["requirements"] = _requirement_facts(call.attachment_requirements)
    return facts


def _clean_facts(clean: dict) -> dict:
    """The facts a call would have with the cleaned values `clean` (same shape as call_facts, without status)."""
    facts = {name: clean[name] for name in EDITABLE_FIELDS}
    facts["dialogues"] = sorted(d.code for d in clean["dialogues"])
    facts["domains"] = sorted(d.number for d in clean["domains"])
    for name in ("countries", "lead_countries", "applicant_types", "themes"):
        facts[name] = sorted(clean[name])
    facts["requirements"] = [dict(r) for r in clean["requirements"]]
    return audit.snapshot(SimpleNamespace(**facts), list(facts))


def _pct(value: Decimal) -> str:
    return percent(value)


def _months(value: int) -> str:
    return ngettext("%(num)d month", "%(num)d months", value)


def _whole(data: dict, name: str, default, missing: str, errors: list) -> int | None:
    value = data.get(name, default)
    if value is None:
        if missing:
            errors.append((name, missing))
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _percent(data: dict, name: str, default: Decimal, missing: str, errors: list) -> Decimal | None:
    value = data.get(name, default)
    if value is None:
        errors.append((name, missing))
        return None
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    return value.quantize(CENT) if value.is_finite() else value


def _instant(data: dict, name: str, zone_name: str | None, errors: list, missing: str | None) -> dt.datetime | None:
    """An instant from `data[name]` (aware) or `data[<name>_local]` (naive, in the call's zone)."""
    aware = data.get(name)
    local_key = name.replace("_at", "_local")
    local = data.get(local_key)
    if aware is not None:
        if aware.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware; give {local_key} for local")
        return aware.astimezone(dt.UTC)
    if local is None:
        if missing:
            errors.append((name, missing))
        return None
    if zone_name is None:
        return None
    try:
        return local_to_utc(local, zone_name)
    except CallError as exc:
        errors.extend((name, m) for m in exc.messages)
        return None


def _resolve(data: dict, call: Call | None) -> tuple[dict, list[tuple[str | None, str]]]:
    """Check `data` against every rule; return the cleaned values and the list of problems.

    Keys missing from `data` take the model's defaults (callers other than the form may leave them out);
    a key present with None is a value the person left empty."""
    errors: list[tuple[str | None, str]] = []
    clean: dict = {}

    reference = (data.get("reference") or "").strip()
    if not reference:
        errors.append(("reference", _("Enter a reference.")))
    elif len(reference) > 40:
        errors.append(("reference", _("The reference may have at most 40 characters.")))
    else:
        taken = db.session.scalar(select(Call.id).where(Call.reference == reference))
        if taken is not None and (call is None or taken != call.id):
            errors.append(
                ("reference", _("The reference %(reference)s is already used by another call.", reference=reference))
            )
    clean["reference"] = reference

    title = (data.get("title") or "").strip()
    if not title:
        errors.append(("title", _("Enter a title.")))
    elif len(title) > 300:
        errors.append(("title", _("The title may have at most 300 characters.")))
    clean["title"] = title
    clean["description"] = (data.get("description") or "").strip()
    clean["guidelines"] = (data.get("guidelines") or "").strip()

    # -- money --
    envelope, low, high = data.get("budget_envelope"), data.get("min_grant"), data.get("max_grant")
    for name, value, missing in (
        ("budget_envelope", envelope, _("Enter the budget envelope.")),
        ("min_grant", low, _("Enter the minimum grant.")),
        ("max_grant", high, _("Enter the maximum grant.")),
    ):
        if value is None:
            errors.append((name, missing))
        elif not isinstance(value, Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if envelope is not None and envelope <= 0:
        errors.append(("budget_envelope", _("The budget envelope must be more than %(zero)s.", zero=money(0))))
    if low is not None and low <= 0:
        errors.append(("min_grant", _("The minimum grant must be more than %(zero)s.", zero=money(0))))
    if low is not None and high is not None and low > high:
        errors.append(
            (
                "min_grant",
                _(
                    "The minimum grant (%(low)s) is above the maximum grant (%(high)s).",
                    low=money(low),
                    high=money(high),
                ),
            )
        )
    if high is not None and envelope is not None and high > envelope:
        errors.append(
            (
                "max_grant",
                _(
                    "The maximum grant (%(high)s) is above the budget envelope (%(envelope)s).",
                    high=money(high),
                    envelope=money(envelope),
                ),
            )
        )
    envelope, low, high = (
        v.quantize(CENT) if isinstance(v, Decimal) and v.is_finite() else v for v in (envelope, low, high)
    )
    clean.update(budget_envelope=envelope, min_grant=low, max_grant=high)

    # -- durations --
    shortest = _whole(data, "min_duration_months", 6, _("Enter the minimum duration in months."), errors)
    longest = _whole(data, "max_duration_months", 36, _("Enter the maximum duration in months."), errors)
    if shortest is not None and shortest < 1:
        errors.append(("min_duration_months", _("The minimum duration must be at least 1 month.")))
    if longest is not None and longest > MAX_DURATION_MONTHS:
        errors.append(
            (
                "max_duration_months",
                _("The maximum duration may be at most %(months)s.", months=_months(MAX_DURATION_MONTHS)),
            )
        )
    if shortest is not None and longest is not None and shortest >= 1 and shortest > longest:
        errors.append(
            (
                "min_duration_months",
                _(
                    "The minimum duration (%(low)s) is above the maximum duration (%(high)s).",
                    low=_months(shortest),
                    high=_months(longest),
                ),
            )
        )
    clean.update(min_duration_months=shortest, max_duration_months=longest)

    # -- rates --
    cofinancing = _percent(
        data,
        "min_cofinancing_pct",
        Decimal("10.00"),
        _("Enter the minimum co-financing rate (0 if none is required)."),
        errors,
    )
    if cofinancing is not None and not (0 <= cofinancing < 100):
        errors.append(
            (
                "min_cofinancing_pct",
                _(
                    "The minimum co-financing rate (%(rate)s) must be at least 0%% and below 100%%; "
                    "0 lets the facility fund up to 100%% of the action.",
                    rate=_pct(cofinancing),
                ),
            )
        )
    indirect = _percent(
        data, "max_indirect_cost_pct", Decimal("7.00"), _("Enter the maximum indirect-cost rate."), errors
    )
    if indirect is not None and not (0 <= indirect <= 100):
        errors.append(
            (
                "max_indirect_cost_pct",
                _(
                    "The maximum indirect-cost rate (%(rate)s) must be between 0%% and 100%%.",
                    rate=_pct(indirect),
                ),
            )
        )
    change = _percent(
        data,
        "max_amount_change_pct",
        Decimal("20.00"),
        _("Enter how far the requested amount may move between the stages."),
        errors,
    )
    if change is not None and not (0 <= change <= 100):
        errors.append(
            (
                "max_amount_change_pct",
                _(
                    "The maximum change of the requested amount (%(rate)s) must be between 0%% and 100%%.",
                    rate=_pct(change),
                ),
            )
        )
    clean.update(min_cofinancing_pct=cofinancing, max_indirect_cost_pct=indirect, max_amount_change_pct=change)

    words = _whole(data, "summary_word_limit", 300, _("Enter the word limit of the summary."), errors)
    if words is not None and not (1 <= words <= MAX_WORD_LIMIT):
        errors.append(
            (
                "summary_word_limit",
                _(
                    "The word limit of the summary (%(words)s) must be between 1 and %(max)s.",
                    words=number(words, 0),
                    max=number(MAX_WORD_LIMIT, 0),
                ),
            )
        )
    clean["summary_word_limit"] = words

    # -- consortium --
    fewest = _whole(
        data, "min_co_applicants", 0, _("Enter the minimum number of co-applicants (0 if none is required)."), errors
    )
    most = _whole(data, "max_co_applicants", None, "", errors)
    if fewest is not None and fewest < 0:
        errors.append(("min_co_applicants", _("The minimum number of co-applicants cannot be negative.")))
    if most is not None and most < 0:
        errors.append(("max_co_applicants", _("The maximum number of co-applicants cannot be negative.")))
    elif most is not None and fewest is not None and fewest >= 0 and most < fewest:
        errors.append(
            (
                "max_co_applicants",
                _(
                    "The maximum number of co-applicants (%(high)d) is below the minimum (%(low)d).",
                    high=most,
                    low=fewest,
                ),
            )
        )
    clean.update(min_co_applicants=fewest, max_co_applicants=most)
    clean["require_african_member"] = bool(data.get("require_african_member", False))
    clean["eu_lead_needs_african_co_applicant"] = bool(data.get("eu_lead_needs_african_co_applicant", False))
    if clean["eu_lead_needs_african_co_applicant"] and most == 0:
        errors.append(
            (
                "eu_lead_needs_african_co_applicant",
                _(
                    "An EU-based lead cannot be asked for an African co-applicant when the call admits no "
                    "co-applicants (maximum 0)."
                ),
            )
        )

    # -- classification --
    dialogue_ids = set(data.get("dialogue_ids") or [])
    dialogues = list(db.session.scalars(select(Dialogue).where(Dialogue.id.in_(dialogue_ids)))) if dialogue_ids else []
    if not dialogue_ids:
        errors.append(("dialogues", _("Choose at least one dialogue.")))
    elif len(dialogues) != len(dialogue_ids):
        errors.append(("dialogues", _("Choose dialogues from the list.")))
    clean["dialogues"] = sorted(dialogues, key=lambda d: d.id)

    domain_ids = set(data.get("domain_ids") or [])
    domains = list(db.session.scalars(select(JvapDomain).where(JvapDomain.id.in_(domain_ids)))) if domain_ids else []
    if not domain_ids:
        errors.append(("domains", _("Choose at least one JVAP domain.")))
    elif len(domains) != len(domain_ids):
        errors.append(("domains", _("Choose JVAP domains from the list.")))
    clean["domains"] = sorted(domains, key=lambda d: d.number)

    themes = sorted(set(data.get("themes") or []))
    if any(t not in THEME_VALUES for t in themes):
        errors.append(("themes", _("Choose priorities from the list.")))
    clean["themes"] = themes

    types = sorted(set(data.get("applicant_types") or []))
    if any(t not in ORGANISATION_TYPE_VALUES for t in types):
        errors.append(("applicant_types", _("Choose types of organisation from the list.")))
    clean["applicant_types"] = types

    codes = sorted({(c or "").upper() for c in data.get("countries") or []})
    if not codes:
        errors.append(("countries", _("Choose at least one eligible country.")))
    elif not all(countries.is_valid(c) for c in codes):
        errors.append(("countries", _("Choose countries from the list.")))
    clean["countries"] = codes
    lead_codes = sorted({(c or "").upper() for c in data.get("lead_countries") or []})
    if not all(countries.is_valid(c) for c in lead_codes):
        errors.append(("lead_countries", _("Choose countries from the list.")))
    clean["lead_countries"] = lead_codes

    # -- procedure and dates --
    procedure = data.get("procedure") or Procedure.SINGLE.value
    if procedure not in PROCEDURE_VALUES:
        errors.append(("procedure", _("Choose a procedure from the list.")))
        procedure = Procedure.SINGLE.value
    clean["procedure"] = procedure

    zone_name = data.get("timezone") or "Europe/Brussels"
    try:
        zoneinfo.ZoneInfo(zone_name)
        zone_ok = True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(("timezone", _("Choose a time zone from the list.")))
        zone_ok = False
    clean["timezone"] = zone_name
    zone = zone_name if zone_ok else None

    opens = _instant(data, "opens_at", zone, errors, _("Enter the opening date and time."))
    closes = _instant(data, "closes_at", zone, errors, _("Enter the deadline date and time."))
    full = _instant(data, "full_application_closes_at", zone, errors, None)
    questions = _instant(data, "questions_close_at", zone, errors, None)
    if opens is not None and closes is not None and opens >= closes:
        errors.append(
            (
                "closes_at",
                _(
                    "The deadline (%(closes)s) must come after the opening (%(opens)s).",
                    closes=instant(closes, zone_name),
                    opens=instant(opens, zone_name),
                ),
            )
        )
    if procedure == Procedure.TWO_STAGE:
        if full is None and not _has_error(errors, "full_application_closes_at"):
            errors.append(
                ("full_application_closes_at", _("A two-stage call needs the deadline of the full applications."))
            )
        elif full is not None and closes is not None and full <= closes:
            errors.append(
                (
                    "full_application_closes_at",
                    _(
                        "The full-application deadline (%(full)s) must come after the concept-note deadline "
                        "(%(closes)s).",
                        full=instant(full, zone_name),
                        closes=instant(closes, zone_name),
                    ),
                )
            )
    elif full is not None:
        errors.append(
            (
                "full_application_closes_at",
                _(
                    "A single-stage call has one deadline: leave the full-application deadline empty, "
                    "or choose the two-stage procedure."
                ),
            )
        )
    if questions is not None and closes is not None and questions > closes:
        errors.append(
            (
                "questions_close_at",
                _(
                    "Questions must close (%(questions)s) no later than the deadline (%(closes)s).",
                    questions=instant(questions, zone_name),
                    closes=instant(closes, zone_name),
                ),
            )
        )
    if questions is not None and opens is not None and questions <= opens:
        errors.append(
            (
                "questions_close_at",
                _(
                    "Questions must close (%(questions)s) after the opening (%(opens)s).",
                    questions=instant(questions, zone_name),
                    opens=instant(opens, zone_name),
                ),
            )
        )
    clean.update(opens_at=opens, closes_at=closes, full_application_closes_at=full, questions_close_at=questions)

    # -- attachment requirements: rows with no kind are empty (or removed) --
    requirements = []
    for row_number, row in enumerate(data.get("requirements") or [], start=1):
        kind = (row.get("kind") or "").strip()
        label_text = (row.get("label") or "").strip()
        stage = row.get("stage") or "any"
        if not kind:
            continue
        field = f"requirements-{row_number - 1}-kind"
        if kind not in ATTACHMENT_KIND_VALUES:
            errors.append((field, _("Row %(row)d: choose a document from the list.", row=row_number)))
            continue
        if stage not in REQUIREMENT_STAGES:
            errors.append((field, _("Row %(row)d: choose the stage from the list.", row=row_number)))
            continue
        if kind == AttachmentKind.OTHER and not label_text:
            errors.append(
                (
                    f"requirements-{row_number - 1}-label",
                    _("Row %(row)d: say which document you ask for (a label is needed for “Other”).", row=row_number),
                )
            )
        if len(label_text) > 200:
            errors.append(
                (
                    f"requirements-{row_number - 1}-label",
                    _("Row %(row)d: the label has at most 200 characters.", row=row_number),
                )
            )
        if procedure == Procedure.SINGLE and stage == "concept_note":
            errors.append(
                (
                    f"requirements-{row_number - 1}-stage",
                    _(
                        "Row %(row)d: a single-stage call has no concept note; ask for the document at the full "
                        "application or at every stage.",
                        row=row_number,
                    ),
                )
            )
        requirements.append(
            {"kind": kind, "label": label_text, "required": bool(row.get("required", True)), "stage": stage}
        )
    clean["requirements"] = requirements
    return clean, errors


def _has_error(errors: list, field: str) -> bool:
    return any(f == field for f, _m in errors)


def _apply(call: Call, clean: dict) -> None:
    for name in EDITABLE_FIELDS:
        setattr(call, name, clean[name])
    call.dialogues = clean["dialogues"]
    call.domains = clean["domains"]
    existing = {row.country_code: row for row in call.country_rows}
    call.country_rows = [existing.get(code) or CallCountry(country_code=code) for code in clean["countries"]]
    existing_leads = {row.country_code: row for row in call.lead_country_rows}
    call.lead_country_rows = [
        existing_leads.get(code) or CallLeadCountry(country_code=code) for code in clean["lead_countries"]
    ]
    existing_types = {row.organisation_type: row for row in call.applicant_type_rows}
    call.applicant_type_rows = [
        existing_types.get(t) or CallApplicantType(organisation_type=t) for t in clean["applicant_types"]
    ]
    existing_themes = {row.theme: row for row in call.theme_rows}
    call.theme_rows = [existing_themes.get(t) or CallTheme(theme=t) for t in clean["themes"]]
    # Requirements are matched by position: row i keeps its id (proposals' attachments may point at it).
    rows = list(call.attachment_requirements)
    kept = []
    for position, wanted in enumerate(clean["requirements"]):
        row = rows[position] if position < len(rows) else AttachmentRequirement()
        row.kind, row.label, row.required, row.stage = (
            wanted["kind"],
            wanted["label"],
            wanted["required"],
            wanted["stage"],
        )
        row.position = position
        kept.append(row)
    call.attachment_requirements = kept


def create_call(data: dict, *, by) -> Call:
    """A new call in status draft, with the default concept-note evaluation stage."""
    clean, errors = _resolve(data, None)
    if errors:
        raise CallError(errors)
    call = Call(status=CallStatus.DRAFT, created_by_id=getattr(by, "id", None))
    _apply(call, clean)
    build_stage(call)
    db.session.add(call)
    db.session.flush()
    audit.record("call.created", call, actor=by, after=call_facts(call))
    db.session.flush()
    return call


def edit_refusal(call: Call) -> str | None:
    """Why the call's form cannot be used at all any more, or None if it can (see frozen_reason for the rules
    of a published call that proposals were submitted under)."""
    if call.status in (CallStatus.DRAFT, CallStatus.PUBLISHED):
        return None
    return _("This call is in evaluation or later; its terms can no longer change.")


def full_application_window(call: Call) -> bool:
    """A two-stage call whose concept notes are in evaluation while invited applicants still write their full
    applications: its full-application deadline may still be extended."""
    return call.status == CallStatus.EVALUATION and call.is_two_stage and call.full_application_closes_at is not None


def frozen_reason(call: Call) -> str | None:
    """Why the rules of a call can no longer change although a deadline may still be extended, or None."""
    if full_application_window(call):
        return _(
            "The concept notes of this call are in evaluation: its rules can no longer change, except to extend "
            "the full-application deadline."
        )
    if call.status != CallStatus.PUBLISHED:
        return None
    submitted = queries.submitted_proposal_count(call)
    if submitted:
        return ngettext(
            "%(num)d proposal has already been submitted under this call's rules: they can no longer change, "
            "except to extend a deadline.",
            "%(num)d proposals have already been submitted under this call's rules: they can no longer change, "
            "except to extend a deadline.",
            submitted,
        )
    return None


def _check_deadline_moves(call: Call, new: dict, *, frozen: bool, now: dt.datetime) -> list[tuple[str, str]]:
    """Problems with moving the deadlines of a published call to `new` ({field: instant or None})."""
    errors = []
    for name in DEADLINE_FIELDS:
        old, value = getattr(call, name), new.get(name)
        if value == old:
            continue
        if value is None:
            errors.append((name, _("A deadline of a published call cannot be removed.")))
            continue
        if value <= now:
            errors.append(
                (
                    name,
                    _(
                        "The new deadline (%(new)s) has already passed; choose a later time.",
                        new=instant(value, call.timezone),
                    ),
                )
            )
        elif frozen and old is not None and value < old:
            errors.append(
                (
                    name,
                    _(
                        "Proposals have already been submitted under this call: its deadline (%(old)s) can be "
                        "extended but not brought forward to %(new)s.",
                        old=instant(old, call.timezone),
                        new=instant(value, call.timezone),
                    ),
                )
            )
    return errors


def _record_deadline_moves(call: Call, old: dict, *, reason: str, by, now: dt.datetime) -> list[DeadlineChange]:
    """DeadlineChange rows and an audit entry for each deadline that moved, and a message to every applicant
    drafting a proposal under the call."""
    changes = []
    for name in DEADLINE_FIELDS:
        before, after = old.get(name), getattr(call, name)
        if before is None or after is None or before == after:
            continue
        change = DeadlineChange(
            call=call,
            field=name,
            old_value=before,
            new_value=after,
            reason=reason,
            changed_at=now,
            changed_by_id=getattr(by, "id", None),
        )
        db.session.add(change)
        changes.append(change)
    if not changes:
        return changes
    db.session.flush()
    audit.record(
        "call.deadline_changed",
        call,
        actor=by,
        before={c.field: c.old_value for c in changes},
        after={**{c.field: c.new_value for c in changes}, "reason": reason},
    )
    url = external_url("calls.public_view", call_id=call.id)
    for user in queries.drafting_users(call):
        mail.send(
            user.email,
            "calls_deadline_extended",
            user.locale or "en",
            user=user,
            call=call,
            changes=changes,
            extended=all(c.new_value > c.old_value for c in changes),
            reason=reason,
            reader_tz=user.timezone or "UTC",
            url=url,
        )
    return changes


def update_call(call: Call, data: dict, *, by, expected_version: int | None = None, now: dt.datetime | None = None):
    """Change a call's terms: freely while draft; while published, until the first proposal is submitted.
    After that only the deadlines may move, and only later (see extend_deadlines)."""
    now = now or utcnow()
    refusal = edit_refusal(call)
    if refusal:
        raise CallError(refusal)
    if expected_version is not None and expected_version != call.version_id:
        raise CallError(_("Someone else saved this call since you opened it. Reload the page to see their changes."))
    clean, errors = _resolve(data, call)
    frozen = frozen_reason(call)
    before = call_facts(call)
    if frozen:
        wanted = _clean_facts(clean) if not errors else {}
        changed = [k for k in wanted if k not in DEADLINE_FIELDS and wanted[k] != before.get(k)]
        if errors or changed:
            raise CallError(
                [(None, frozen)]
                + [(name, _("This rule can no longer change.")) for name in changed if name in _FORM_FIELDS]
            )
    if call.status == CallStatus.PUBLISHED:
        if clean["reference"] != call.reference:
            errors.append(("reference", _("The reference of a published call cannot change.")))
        if not errors:
            errors.extend(
                _check_deadline_moves(call, {n: clean[n] for n in DEADLINE_FIELDS}, frozen=bool(frozen), now=now)
            )
    if errors:
        raise CallError(errors)
    old_deadlines = {n: getattr(call, n) for n in DEADLINE_FIELDS}
    _apply(call, clean)
    flag_modified(call, "title")  # the row is updated (and its version raised) even if only lists changed
    db.session.flush()
    after = call_facts(call)
    changed = {k for k in after if after[k] != before[k]}
    audit.record(
        "call.updated",
        call,
        actor=by,
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
    )
    if call.status == CallStatus.PUBLISHED:
        _record_deadline_moves(call, old_deadlines, reason=(data.get("reason") or "").strip(), by=by, now=now)
    db.session.flush()
    return call


def extend_deadlines(
    call: Call, data: dict, *, by, expected_version: int | None = None, now: dt.datetime | None = None
) -> list[DeadlineChange]:
    """Move the deadlines of a published call (`closes_local` / `full_application_closes_local` in the call's
    zone, or aware `closes_at` / `full_application_closes_at`), with a reason shown on the call's page. Once
    a proposal was submitted, deadlines may only move later."""
    now = now or utcnow()
    in_evaluation = full_application_window(call)
    if call.status != CallStatus.PUBLISHED and not in_evaluation:
        raise CallError(_("Only the deadlines of a published call can be extended."))
    if expected_version is not None and expected_version != call.version_id:
        raise CallError(_("Someone else saved this call since you opened it. Reload the page to see their changes."))
    errors: list[tuple[str | None, str]] = []
    new = {
        "closes_at": _instant(data, "closes_at", call.timezone, errors, _("Enter the deadline date and time.")),
        "full_application_closes_at": _instant(data, "full_application_closes_at", call.timezone, errors, None),
    }
    # The form shows deadlines to the minute: a deadline given back unchanged to the minute is the current one.
    for name in DEADLINE_FIELDS:
        old = getattr(call, name)
        if new[name] is not None and old is not None and new[name] == old.replace(second=0, microsecond=0):
            new[name] = old
    if not call.is_two_stage:
        new["full_application_closes_at"] = call.full_application_closes_at
    elif new["full_application_closes_at"] is None and not _has_error(errors, "full_application_closes_at"):
        errors.append(
            ("full_application_closes_at", _("A two-stage call needs the deadline of the full applications."))
        )
    reason = (data.get("reason") or "").strip()
    if len(reason) > 2000:
        errors.append(("reason", _("The reason has at most 2,000 characters.")))
    if errors:
        raise CallError(errors)
    if in_evaluation and new["closes_at"] != call.closes_at:
        errors.append(
            (
                "closes_at",
                _(
                    "The concept notes are in evaluation: their deadline can no longer move. Only the "
                    "full-application deadline can still be extended."
                ),
            )
        )
    errors.extend(_check_deadline_moves(call, new, frozen=bool(frozen_reason(call)), now=now))
    closes, full = new["closes_at"], new["full_application_closes_at"]
    if call.is_two_stage and full is not None and full <= closes:
        errors.append(
            (
                "full_application_closes_at",
                _(
                    "The full-application deadline (%(full)s) must come after the concept-note deadline (%(closes)s).",
                    full=instant(full, call.timezone),
                    closes=instant(closes, call.timezone),
                ),
            )
        )
    if closes <= call.opens_at:
        errors.append(
            (
                "closes_at",
                _(
                    "The deadline (%(closes)s) must come after the opening (%(opens)s).",
                    closes=instant(closes, call.timezone),
                    opens=instant(call.opens_at, call.timezone),
                ),
            )
        )
    if call.questions_close_at is not None and call.questions_close_at > closes:
        errors.append(
            (
                "closes_at",
                _(
                    "Questions are accepted until %(questions)s, after this deadline (%(closes)s): move the cut-off "
                    "for questions first.",
                    questions=instant(call.questions_close_at, call.timezone),
                    closes=instant(closes, call.timezone),
                ),
            )
        )
    if all(new[n] == getattr(call, n) for n in DEADLINE_FIELDS):
        errors.append(("closes_at", _("Choose a new deadline: the dates given are the current ones.")))
    if errors:
        raise CallError(errors)
    old = {n: getattr(call, n) for n in DEADLINE_FIELDS}
    call.closes_at, call.full_application_closes_at = closes, full
    flag_modified(call, "closes_at")
    db.session.flush()
    changes = _record_deadline_moves(call, old, reason=reason, by=by, now=now)
    db.session.flush()
    return changes


def publish_call(call: Call, *, by, now: dt.datetime | None = None) -> Call:
    """Draft -> published, once the call has an evaluation grid and a deadline still ahead."""
    now = now or utcnow()
    if call.status != CallStatus.DRAFT:
        raise CallError(_("This call is already published."))
    stage = call.concept_note_stage
    if stage is None or not stage.criteria:
        raise CallError(_("This call has no evaluation grid yet; it needs a stage with criteria before publishing."))
    if call.closes_at <= now:
        raise CallError(
            _(
                "The deadline (%(deadline)s) has already passed. Move it to a later date before publishing.",
                deadline=instant(call.closes_at, call.timezone),
            )
        )
    call.status = CallStatus.PUBLISHED
    call.published_at = now
    audit.record("call.published", call, actor=by, before={"status": "draft"}, after={"status": "published"})
    db.session.flush()
    return call


# The life of a call: each status and the one that follows it (manager actions).
NEXT_STATUS = {
    CallStatus.DRAFT.value: CallStatus.PUBLISHED.value,
    CallStatus.PUBLISHED.value: CallStatus.EVALUATION.value,
    CallStatus.EVALUATION.value: CallStatus.DECIDED.value,
    CallStatus.DECIDED.value: CallStatus.ARCHIVED.value,
}


def change_status(call: Call, to: str, *, by, now: dt.datetime | None = None) -> Call:
    """Move a call one step along draft -> published -> evaluation -> decided -> archived."""
    now = now or utcnow()
    if to not in CALL_STATUS_VALUES:
        raise CallError(_("Choose a status from the list."))
    current = call.status
    if NEXT_STATUS.get(current) != to:
        following = NEXT_STATUS.get(current)
        if following is None:
            raise CallError(
                _(
                    "This call is %(current)s: that is its last status; it cannot become %(target)s.",
                    current=label(STATUS_LABELS, current).lower(),
                    target=label(STATUS_LABELS, to).lower(),
                )
            )
        raise CallError(
            _(
                "A call that is %(current)s cannot become %(target)s; its next status is %(next)s.",
                current=label(STATUS_LABELS, current).lower(),
                target=label(STATUS_LABELS, to).lower(),
                next=label(STATUS_LABELS, following).lower(),
            )
        )
    if to == CallStatus.PUBLISHED:
        return publish_call(call, by=by, now=now)
    if to == CallStatus.EVALUATION and now < call.closes_at:
        raise CallError(
            _(
                "The call is open until %(deadline)s: evaluation can start only after the deadline.",
                deadline=instant(call.closes_at, call.timezone),
            )
        )
    call.status = to
    audit.record(f"call.{to}", call, actor=by, before={"status": current}, after={"status": to})
    db.session.flush()
    return call
