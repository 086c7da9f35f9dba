"""The content rules of the proposal form's sections, as plain functions over plain data.

Two kinds of rule:
- `section_errors(proposal, key, data)`: what makes typed values unfit to be saved even in a draft (a summary over
  its word limit, a month beyond the duration, shares that cannot add up to 100). A save with any of these is
  refused as a whole; the user keeps every value typed.
- `section_problems(proposal, key)`: what stands between the saved section and a submission: missing items
  ("missing") and saved values that no longer fit ("invalid", e.g. work-plan months beyond a duration shortened
  since). The submission check lists them; the overview derives each section's state from them.

Errors and problems name the HTML id of the field they concern, so that pages can link to it. The rules read
the proposal and its call as loaded (the overview loads everything up front); they never query by themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from portal.proposals.models import PartnerRole, Proposal
from portal.proposals.sections import SECTION_TITLES, section_row

# Word limits of the narrative texts (the summary's limit is the call's own: Call.summary_word_limit).
WORD_LIMITS = {
    ("relevance", "objectives"): 500,
    ("relevance", "dialogues"): 400,
    ("relevance", "domains"): 400,
    ("target_groups", "target_groups"): 300,
    ("target_groups", "final_beneficiaries"): 300,
    ("sustainability", "sustainability"): 500,
    ("sustainability", "dissemination"): 300,
}
# Short texts (logical framework, risks, names): a bound on characters keeps rows and pages sane.
SHORT_TEXT_MAX = 1000
LONG_TEXT_MAX = 20000
MAX_PEOPLE = 1_000_000_000
LEVELS = ("low", "medium", "high")
DECLARATION_ITEMS = ("accurate", "no_exclusion", "mandates", "data_protection")
START_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
UID = re.compile(r"^[a-z0-9]{1,32}$")


@dataclass(frozen=True)
class Problem:
    """One thing to settle before submission: where it is (section key and field id) and what is wrong."""

    section: str
    field: str | None
    message: str
    kind: str = "missing"  # "missing" or "invalid"

    @property
    def anchor(self) -> str:
        return f"{self.section}#{self.field}" if self.field else self.section


def word_count(text: str | None) -> int:
    """Words as the live counter counts them: runs of characters between white space."""
    return len((text or "").split())


def summary_limit_message(count: int, limit: int) -> str:
    return _("The summary has %(count)d words; the limit is %(limit)d.", count=count, limit=limit)


def word_limit_message(label: str, count: int, limit: int) -> str:
    return _("“%(label)s” has %(count)d words; the limit is %(limit)d.", label=label, count=count, limit=limit)


def text_labels() -> dict[tuple[str, str], str]:
    """The labels of the texts with word limits, as the messages name them."""
    return {
        ("relevance", "objectives"): _("Relevance to the call's objectives"),
        ("relevance", "dialogues"): _("Relevance to the dialogues"),
        ("relevance", "domains"): _("Relevance to the JVAP domains"),
        ("target_groups", "target_groups"): _("Target groups"),
        ("target_groups", "final_beneficiaries"): _("Final beneficiaries"),
        ("sustainability", "sustainability"): _("Sustainability of the results"),
        ("sustainability", "dissemination"): _("Dissemination and contribution to the dialogues"),
    }


def shares_total_message(total: Decimal) -> str:
    return _("The shares add up to %(total)s%%; they must add up to 100%%.", total=_percent(total))


def _percent(value: Decimal) -> str:
    value = Decimal(value)
    text = format(value.quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")
    return text or "0"


# -- reading what is saved --------------------------------------------------------------------------------------


def saved_data(proposal: Proposal, key: str) -> dict:
    """The JSON content saved for a section ({} if never saved)."""
    row = section_row(proposal, key)
    return dict(row.data or {}) if row is not None else {}


def output_codes(logframe: dict) -> list[tuple[str, str]]:
    """(code, text) of every output of a logical framework: "1.2" is the second output of the first objective."""
    codes = []
    for i, objective in enumerate(logframe.get("objectives") or [], start=1):
        for j, output in enumerate(objective.get("outputs") or [], start=1):
            codes.append((f"{i}.{j}", output.get("text") or ""))
    return codes


def activities(proposal: Proposal) -> list[dict]:
    """The activities of the saved logical framework, each with its stable uid (the work plan refers to it)."""
    return [a for a in saved_data(proposal, "logframe").get("activities") or [] if a.get("uid")]


# -- save-time rules --------------------------------------------------------------------------------------------


def _length(errors: list, field: str, text: str | None, limit: int) -> None:
    if len(text or "") > limit:
        errors.append((field, _("Use at most %(max)d characters.", max=limit)))


def _words(errors: list, key: str, name: str, text: str | None) -> None:
    limit = WORD_LIMITS[(key, name)]
    count = word_count(text)
    if count > limit:
        errors.append((name, word_limit_message(text_labels()[(key, name)], count, limit)))
    _length(errors, name, text, LONG_TEXT_MAX)


def section_errors(proposal: Proposal, key: str, data: dict) -> list[tuple[str, str]]:
    """Problems with the typed values of one section that refuse its save: (field id, message)."""
    check = _SAVE_RULES.get(key)
    return check(proposal, data) if check else []


def _identification_errors(proposal: Proposal, data: dict) -> list:
    call = proposal.call
    errors: list = []
    _length(errors, "title", data.get("title"), 300)
    months = data.get("duration_months")
    if months is not None and not call.min_duration_months <= months <= call.max_duration_months:
        errors.append(
            (
                "duration_months",
                _(
                    "The duration must be between %(min)d and %(max)d months under this call.",
                    min=call.min_duration_months,
                    max=call.max_duration_months,
                ),
            )
        )
    domain_id = data.get("jvap_domain_id")
    if domain_id is not None and domain_id not in {d.id for d in call.domains}:
        errors.append(("jvap_domain_id", _("Choose one of the call's JVAP domains.")))
    allowed = {d.id for d in call.dialogues}
    if any(d not in allowed for d in data.get("dialogue_ids") or []):
        errors.append(("dialogue_ids", _("Choose dialogues from the call's list.")))
    start = data.get("start_month") or ""
    if start and not START_MONTH.match(start):
        errors.append(("start_month", _("Enter the month as YYYY-MM, for example 2026-09.")))
    return errors


def _summary_errors(proposal: Proposal, data: dict) -> list:
    limit = proposal.call.summary_word_limit
    count = word_count(data.get("summary"))
    errors: list = []
    if count > limit:
        errors.append(("summary", summary_limit_message(count, limit)))
    _length(errors, "summary", data.get("summary"), LONG_TEXT_MAX)
    return errors


def _texts_errors(key: str):
    def check(proposal: Proposal, data: dict) -> list:
        errors: list = []
        for k, name in WORD_LIMITS:
            if k == key:
                _words(errors, key, name, data.get(name))
        return errors

    return check


def _logframe_errors(proposal: Proposal, data: dict) -> list:
    errors: list = []
    _length(errors, "overall_objective", data.get("overall_objective"), LONG_TEXT_MAX)
    for i, objective in enumerate(data.get("objectives") or []):
        _length(errors, f"objectives-{i}-text", objective.get("text"), SHORT_TEXT_MAX)
        for j, output in enumerate(objective.get("outputs") or []):
            _length(errors, f"objectives-{i}-outputs-{j}-text", output.get("text"), SHORT_TEXT_MAX)
            for k, indicator in enumerate(output.get("indicators") or []):
                for name in ("indicator", "baseline", "target", "source"):
                    field = f"objectives-{i}-outputs-{j}-indicators-{k}-{name}"
                    _length(errors, field, indicator.get(name), SHORT_TEXT_MAX)
    codes = {code for code, _text in output_codes(data)}
    for n, activity in enumerate(data.get("activities") or []):
        _length(errors, f"activities-{n}-title", activity.get("title"), 300)
        _length(errors, f"activities-{n}-description", activity.get("description"), SHORT_TEXT_MAX)
        link = activity.get("output") or ""
        if link and link not in codes:
            errors.append(
                (
                    f"activities-{n}-output",
                    _(
                        "Activity %(number)d is linked to output %(code)s, which does not exist.",
                        number=n + 1,
                        code=link,
                    ),
                )
            )
    return errors


def _workplan_errors(proposal: Proposal, data: dict) -> list:
    errors: list = []
    planned = data.get("months") or {}
    if not any(planned.values()):
        return errors
    duration = proposal.duration_months
    if duration is None:
        return [("plan", _("Enter the duration of the project in the identification section first."))]
    known = {a["uid"] for a in activities(proposal)}
    if any(uid not in known for uid in planned):
        errors.append(("plan", _("The activities have changed since you opened this page: reload it.")))
    for uid, months in planned.items():
        for month in months:
            if month > duration:
                errors.append(
                    (
                        f"plan-{uid}",
                        _(
                            "Month %(month)d is beyond the duration of the project (%(duration)d months).",
                            month=month,
                            duration=duration,
                        ),
                    )
                )
                break
    return errors


def _countries_errors(proposal: Proposal, data: dict) -> list:
    errors: list = []
    shares: dict = data.get("shares") or {}
    eligible = set(proposal.call.countries)
    if any(code not in eligible for code in shares):
        errors.append(("countries", _("Choose countries from the list of the call's eligible countries.")))
    for code, share in shares.items():
        if share is not None and not Decimal(0) < share <= Decimal(100):
            errors.append((f"share-{code}", _("Enter a share above 0 and at most 100, for example 25 or 12.5.")))
    filled = [s for s in shares.values() if s is not None]
    total = sum(filled, Decimal(0))
    # Incomplete shares may be saved (the check lists them); shares that are all there must add up, and no set of
    # shares may pass 100.
    if filled and (total > 100 or (len(filled) == len(shares) and total != 100)):
        errors.append(("shares-total", shares_total_message(total)))
    return errors


def _target_groups_errors(proposal: Proposal, data: dict) -> list:
    errors = _texts_errors("target_groups")(proposal, data)
    for name in ("target_groups_number", "final_beneficiaries_number"):
        value = data.get(name)
        if value is not None and not 0 <= value <= MAX_PEOPLE:
            errors.append((name, _("Enter a whole number of people from 0 upwards, for example 250.")))
    return errors


def _risks_errors(proposal: Proposal, data: dict) -> list:
    errors: list = []
    for n, risk in enumerate(data.get("risks") or []):
        _length(errors, f"risks-{n}-risk", risk.get("risk"), SHORT_TEXT_MAX)
        _length(errors, f"risks-{n}-mitigation", risk.get("mitigation"), SHORT_TEXT_MAX)
        for name in ("likelihood", "impact"):
            if (risk.get(name) or "") not in ("", *LEVELS):
                errors.append((f"risks-{n}-{name}", _("Choose low, medium or high.")))
    return errors


def _declarations_errors(proposal: Proposal, data: dict) -> list:
    errors: list = []
    _length(errors, "signatory_name", data.get("signatory_name"), 200)
    _length(errors, "signatory_position", data.get("signatory_position"), 200)
    return errors


_SAVE_RULES = {
    "identification": _identification_errors,
    "summary": _summary_errors,
    "relevance": _texts_errors("relevance"),
    "logframe": _logframe_errors,
    "workplan": _workplan_errors,
    "countries": _countries_errors,
    "target_groups": _target_groups_errors,
    "risks": _risks_errors,
    "sustainability": _texts_errors("sustainability"),
    "declarations": _declarations_errors,
}


# -- submission-time problems -----------------------------------------------------------------------------------


def section_problems(proposal: Proposal, key: str) -> list[Problem]:
    """What is missing or invalid in the saved section. Budget problems come from the budget module."""
    check = _PROBLEMS.get(key)
    if check is None:
        return []
    return [Problem(key, field, message, kind) for field, message, kind in check(proposal)]


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def _identification_problems(proposal: Proposal) -> list:
    call = proposal.call
    out: list = []
    if _blank(proposal.title):
        out.append(("title", _("Enter a title."), "missing"))
    months = proposal.duration_months
    if months is None:
        out.append(("duration_months", _("Enter the duration in months."), "missing"))
    elif not call.min_duration_months <= months <= call.max_duration_months:
        out.append(
            (
                "duration_months",
                _(
                    "The duration must be between %(min)d and %(max)d months under this call.",
                    min=call.min_duration_months,
                    max=call.max_duration_months,
                ),
                "invalid",
            )
        )
    if proposal.jvap_domain_id is None:
        out.append(("jvap_domain_id", _("Choose a JVAP domain."), "missing"))
    elif proposal.jvap_domain_id not in {d.id for d in call.domains}:
        out.append(("jvap_domain_id", _("Choose one of the call's JVAP domains."), "invalid"))
    if call.dialogues and not proposal.dialogues:
        out.append(("dialogue_ids", _("Choose at least one dialogue your proposal feeds."), "missing"))
    return out


def _summary_problems(proposal: Proposal) -> list:
    count = word_count(proposal.summary)
    limit = proposal.call.summary_word_limit
    if count == 0:
        return [("summary", _("Write a summary."), "missing")]
    if count > limit:
        return [("summary", summary_limit_message(count, limit), "invalid")]
    return []


def _texts_problems(key: str, missing_messages):
    def check(proposal: Proposal) -> list:
        data = saved_data(proposal, key)
        labels = text_labels()
        out: list = []
        for k, name in WORD_LIMITS:
            if k != key:
                continue
            text = data.get(name)
            if _blank(text):
                out.append((name, missing_messages()[name], "missing"))
            elif word_count(text) > WORD_LIMITS[(key, name)]:
                out.append(
                    (name, word_limit_message(labels[(key, name)], word_count(text), WORD_LIMITS[(k, name)]), "invalid")
                )
        return out

    return check


def _relevance_missing() -> dict:
    return {
        "objectives": _("Explain the relevance to the call's objectives."),
        "dialogues": _("Explain the relevance to the dialogues."),
        "domains": _("Explain the relevance to the JVAP domains."),
    }


def _sustainability_missing() -> dict:
    return {
        "sustainability": _("Explain how the results will last after the grant."),
        "dissemination": _("Explain how the results will be shared and feed the dialogues."),
    }


def _logframe_problems(proposal: Proposal) -> list:
    data = saved_data(proposal, "logframe")
    out: list = []
    if _blank(data.get("overall_objective")):
        out.append(("overall_objective", _("State the overall objective."), "missing"))
    objectives = data.get("objectives") or []
    if not objectives:
        out.append(("objectives-0-text", _("Add at least one specific objective."), "missing"))
    for i, objective in enumerate(objectives):
        if _blank(objective.get("text")):
            out.append((f"objectives-{i}-text", _("Describe specific objective %(n)d.", n=i + 1), "missing"))
        outputs = objective.get("outputs") or []
        if not outputs:
            out.append(
                (f"objectives-{i}-outputs-0-text", _("Give specific objective %(n)d an output.", n=i + 1), "missing")
            )
        for j, output in enumerate(outputs):
            code = f"{i + 1}.{j + 1}"
            prefix = f"objectives-{i}-outputs-{j}"
            if _blank(output.get("text")):
                out.append((f"{prefix}-text", _("Describe output %(code)s.", code=code), "missing"))
            indicators = output.get("indicators") or []
            if not indicators:
                out.append(
                    (f"{prefix}-indicators-0-indicator", _("Give output %(code)s an indicator.", code=code), "missing")
                )
            for k, indicator in enumerate(indicators):
                for name in ("indicator", "baseline", "target", "source"):
                    if _blank(indicator.get(name)):
                        out.append(
                            (
                                f"{prefix}-indicators-{k}-{name}",
                                _(
                                    "Complete indicator %(n)d of output %(code)s: the indicator, its baseline, its "
                                    "target and its source of verification.",
                                    n=k + 1,
                                    code=code,
                                ),
                                "missing",
                            )
                        )
                        break
    items = data.get("activities") or []
    if not items:
        out.append(("activities-0-title", _("Add at least one activity."), "missing"))
    codes = {code for code, _text in output_codes(data)}
    for n, activity in enumerate(items):
        if _blank(activity.get("title")):
            out.append((f"activities-{n}-title", _("Give activity %(n)d a title.", n=n + 1), "missing"))
        link = activity.get("output") or ""
        if not link:
            out.append((f"activities-{n}-output", _("Link activity %(n)d to an output.", n=n + 1), "missing"))
        elif link not in codes:
            out.append(
                (
                    f"activities-{n}-output",
                    _(
                        "Activity %(number)d is linked to output %(code)s, which does not exist.",
                        number=n + 1,
                        code=link,
                    ),
                    "invalid",
                )
            )
    return out


def _workplan_problems(proposal: Proposal) -> list:
    planned = saved_data(proposal, "workplan").get("months") or {}
    items = activities(proposal)
    out: list = []
    if not items:
        return [("plan", _("Add the activities in the logical framework first, then plan them by month."), "missing")]
    duration = proposal.duration_months
    for n, activity in enumerate(items, start=1):
        uid = activity["uid"]
        months = planned.get(uid) or []
        label = activity.get("title") or _("Activity %(n)d", n=n)
        if not months:
            out.append((f"plan-{uid}", _("Plan at least one month for “%(activity)s”.", activity=label), "missing"))
        elif duration is not None and max(months) > duration:
            out.append(
                (
                    f"plan-{uid}",
                    _(
                        "“%(activity)s” is planned in month %(month)d, beyond the duration of the project "
                        "(%(duration)d months).",
                        activity=label,
                        month=max(months),
                        duration=duration,
                    ),
                    "invalid",
                )
            )
    return out


def _countries_problems(proposal: Proposal) -> list:
    from portal.core.countries import name as country_name
    from portal.core.i18n import locale_code

    rows = proposal.country_rows
    if not rows:
        return [("countries", _("Choose at least one country of implementation."), "missing")]
    out: list = []
    eligible = set(proposal.call.countries)
    wrong = [r.country_code for r in rows if r.country_code not in eligible]
    if wrong:
        out.append(
            (
                "countries",
                _(
                    "Not eligible under this call: %(countries)s.",
                    countries=", ".join(country_name(c, locale_code()) for c in wrong),
                ),
                "invalid",
            )
        )
    missing = [r for r in rows if r.share_pct is None]
    for row in missing:
        out.append(
            (
                f"share-{row.country_code}",
                _(
                    "Enter the share of activity in %(country)s.",
                    country=country_name(row.country_code, locale_code()),
                ),
                "missing",
            )
        )
    if not missing:
        total = sum((r.share_pct for r in rows), Decimal(0))
        if total != 100:
            out.append(("shares-total", shares_total_message(total), "invalid"))
    return out


def _target_groups_problems(proposal: Proposal) -> list:
    data = saved_data(proposal, "target_groups")
    out = _texts_problems(
        "target_groups",
        lambda: {
            "target_groups": _("Describe the target groups."),
            "final_beneficiaries": _("Describe the final beneficiaries."),
        },
    )(proposal)
    if data.get("target_groups_number") is None:
        out.append(("target_groups_number", _("Estimate the number of people in the target groups."), "missing"))
    if data.get("final_beneficiaries_number") is None:
        out.append(("final_beneficiaries_number", _("Estimate the number of final beneficiaries."), "missing"))
    return out


def _risks_problems(proposal: Proposal) -> list:
    risks = saved_data(proposal, "risks").get("risks") or []
    if not risks:
        return [("risks-0-risk", _("Name at least one risk and how you will mitigate it."), "missing")]
    out: list = []
    for n, risk in enumerate(risks):
        for name in ("risk", "likelihood", "impact", "mitigation"):
            if _blank(risk.get(name)):
                out.append(
                    (
                        f"risks-{n}-{name}",
                        _("Complete risk %(n)d: the risk, its likelihood, its impact and the mitigation.", n=n + 1),
                        "missing",
                    )
                )
                break
    return out


def declarations_required(proposal: Proposal) -> tuple[str, ...]:
    """The declarations the lead must make; the consortium mandates only when there are co-applicants."""
    has_co_applicants = any(p.role == PartnerRole.CO_APPLICANT for p in proposal.partners)
    return tuple(i for i in DECLARATION_ITEMS if i != "mandates" or has_co_applicants)


def _declarations_problems(proposal: Proposal) -> list:
    data = saved_data(proposal, "declarations")
    out: list = []
    missing = [item for item in declarations_required(proposal) if not data.get(item)]
    if missing:
        out.append((missing[0], _("Make every declaration: tick each box."), "missing"))
    if _blank(data.get("signatory_name")):
        out.append(("signatory_name", _("Enter the name of the person who signs for the lead applicant."), "missing"))
    if _blank(data.get("signatory_position")):
        out.append(("signatory_position", _("Enter the position of the person who signs."), "missing"))
    return out


_PROBLEMS = {
    "identification": _identification_problems,
    "summary": _summary_problems,
    "relevance": _texts_problems("relevance", _relevance_missing),
    "logframe": _logframe_problems,
    "workplan": _workplan_problems,
    "countries": _countries_problems,
    "target_groups": _target_groups_problems,
    "risks": _risks_problems,
    "sustainability": _texts_problems("sustainability", _sustainability_missing),
    "declarations": _declarations_problems,
}


# -- the state of each section on the overview ------------------------------------------------------------------

NOT_STARTED, IN_PROGRESS, COMPLETE, HAS_PROBLEMS = "not_started", "in_progress", "complete", "has_problems"


def section_state(proposal: Proposal, key: str, problems: list[Problem]) -> str:
    """Not started (never saved and nothing in it), in progress (something missing), complete, or has problems
    (a saved value no longer fits)."""
    started = section_row(proposal, key) is not None or _has_column_content(proposal, key)
    if not started:
        return NOT_STARTED
    if any(p.kind == "invalid" for p in problems):
        return HAS_PROBLEMS
    if problems:
        return IN_PROGRESS
    return COMPLETE


def _has_column_content(proposal: Proposal, key: str) -> bool:
    """Sections kept in proposal columns may hold content without ever being saved as a section (the title typed
    when the proposal was started, data from before the sectioned form)."""
    if key == "identification":
        return bool(proposal.title or proposal.duration_months or proposal.jvap_domain_id)
    if key == "summary":
        return bool(proposal.summary)
    if key == "countries":
        return bool(proposal.country_rows)
    return False


def state_labels() -> dict[str, str]:
    return {
        NOT_STARTED: _("Not started"),
        IN_PROGRESS: _("In progress"),
        COMPLETE: _("Complete"),
        HAS_PROBLEMS: _("Has problems"),
    }


def section_title(key: str) -> str:
    return str(SECTION_TITLES[key])
