"""Business rules of calls for proposals: creating, editing and publishing a call.

Operations check their preconditions, change the objects, write the audit entry and flush; they never commit
and never read the request. A broken rule raises CallError carrying every message a person must read, each
tied to the form field it concerns (or None for the page as a whole)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from portal.calls import queries
from portal.calls.models import Call, CallCountry, CallStatus, Dialogue, JvapDomain
from portal.core import audit, countries
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.core.i18n import instant, money
from portal.evaluation.grids import build_stage
from portal.extensions import db

log = logging.getLogger(__name__)

# What a manager edits, and what the audit log records of a call (the same, plus its status).
EDITABLE_FIELDS = (
    "reference",
    "title",
    "description",
    "budget_envelope",
    "min_grant",
    "max_grant",
    "opens_at",
    "closes_at",
    "timezone",
)
FACT_FIELDS = [*EDITABLE_FIELDS, "status"]


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


def call_facts(call: Call) -> dict:
    """Everything about a call worth keeping in the audit log."""
    facts = audit.snapshot(call, FACT_FIELDS)
    facts["dialogues"] = sorted(d.code for d in call.dialogues)
    facts["domains"] = sorted(d.number for d in call.domains)
    facts["countries"] = sorted(call.countries)
    return facts


def _resolve(data: dict, call: Call | None) -> tuple[dict, list[tuple[str | None, str]]]:
    """Check `data` against every rule; return the cleaned values and the list of problems."""
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
    clean["title"] = title
    clean["description"] = (data.get("description") or "").strip()

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
    clean.update(budget_envelope=envelope, min_grant=low, max_grant=high)

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

    codes = sorted({(c or "").upper() for c in data.get("countries") or []})
    if not codes:
        errors.append(("countries", _("Choose at least one eligible country.")))
    elif not all(countries.is_valid(c) for c in codes):
        errors.append(("countries", _("Choose countries from the list.")))
    clean["countries"] = codes

    zone_name = data.get("timezone") or "Europe/Brussels"
    try:
        zoneinfo.ZoneInfo(zone_name)
        zone_ok = True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(("timezone", _("Choose a time zone from the list.")))
        zone_ok = False
    clean["timezone"] = zone_name

    instants: dict[str, dt.datetime | None] = {}
    for name, missing in (
        ("opens_at", _("Enter the opening date and time.")),
        ("closes_at", _("Enter the deadline date and time.")),
    ):
        aware = data.get(name)
        local = data.get(name.replace("_at", "_local"))
        instants[name] = None
        if aware is not None:
            if aware.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware; give {name.replace('_at', '_local')} for local")
            instants[name] = aware.astimezone(dt.UTC)
        elif local is None:
            errors.append((name, missing))
        elif zone_ok:
            try:
                instants[name] = local_to_utc(local, zone_name)
            except CallError as exc:
                errors.extend((name, m) for m in exc.messages)
    opens, closes = instants["opens_at"], instants["closes_at"]
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
    clean.update(opens_at=opens, closes_at=closes)
    return clean, errors


def _apply(call: Call, clean: dict) -> None:
    for name in EDITABLE_FIELDS:
        setattr(call, name, clean[name])
    call.dialogues = clean["dialogues"]
    call.domains = clean["domains"]
    existing = {row.country_code: row for row in call.country_rows}
    call.country_rows = [existing.get(code) or CallCountry(country_code=code) for code in clean["countries"]]


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
    """Why the call cannot be edited any more, or None if it can."""
    if call.status == CallStatus.DRAFT:
        return None
    if call.status != CallStatus.PUBLISHED:
        return _("This call is in evaluation or later; its terms can no longer change.")
    submitted = queries.submitted_proposal_count(call)
    if submitted:
        return ngettext(
            "This call can no longer be edited: %(num)d proposal has already been submitted under its terms.",
            "This call can no longer be edited: %(num)d proposals have already been submitted under its terms.",
            submitted,
        )
    return None


def update_call(call: Call, data: dict, *, by, expected_version: int | None = None, now: dt.datetime | None = None):
    """Change a call's terms: allowed while draft, or while published and no proposal has been submitted."""
    refusal = edit_refusal(call)
    if refusal:
        raise CallError(refusal)
    if expected_version is not None and expected_version != call.version_id:
        raise CallError(_("Someone else saved this call since you opened it. Reload the page to see their changes."))
    clean, errors = _resolve(data, call)
    if call.status == CallStatus.PUBLISHED:
        if clean["reference"] != call.reference:
            errors.append(("reference", _("The reference of a published call cannot change.")))
        if clean["closes_at"] is not None and clean["closes_at"] <= (now or utcnow()):
            errors.append(("closes_at", _("The deadline of a published call cannot be in the past.")))
    if errors:
        raise CallError(errors)
    before = call_facts(call)
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
    db.session.flush()
    return call


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
