"""Reading a proposal: every section of its form, read-only, under the form's own translated labels.

One reader serves the proposal page (the live proposal) and the submission receipt PDF (a frozen snapshot, which
must describe exactly what was submitted):

- `read_sections(proposal)` reads the live proposal;
- `snapshot_sections(data)` reads a snapshot's JSON (portal.proposals.submission.proposal_document).

Both first gather the proposal's content as plain data (`Content`), then build each section's form from it the way
the edit page fills it, and walk the form's fields: a text gives paragraphs, a number a number, a select the label of
the choice made, checkboxes the labels ticked, a yes/no box yes or no, repeatable groups nested lists or tables.
Sections that are not plain forms (the work plan, the countries, the budget, the declarations, the identification's
domain and dialogues) have their own readers. The result is plain data (dicts, lists, strings, numbers, dates), for
templates/proposals/_read.html and the receipt; no ORM object leaves this module.

Nothing here changes anything or reads the request."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_percent
from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField

from portal.core import countries as country_names
from portal.core.i18n import locale_code, localized
from portal.proposals.sections import SECTION_KEYS, SECTION_TITLES, STAGE_SECTION_KEYS, section_keys_for

# Sections kept in proposal columns rather than in the section row's JSON (see portal.proposals.sections).
COLUMN_SECTIONS = ("identification", "summary", "countries")
# Hidden fields, and the version every section form carries, are never shown.
_SKIPPED = ("version", "csrf_token")
# A snapshot's section JSON is read through the form, which knows its fields; keys the form does not know (from an
# older form, or written by an import) are shown under a label made from the key, nested to this depth at most.
MAX_DEPTH = 6


@dataclasses.dataclass
class Content:
    """What a proposal holds, as plain data, whether read from the live rows or from a snapshot."""

    keys: tuple[str, ...]
    sections: dict[str, dict]  # the JSON of every saved section row, by key
    title: str = ""
    summary: str = ""
    duration_months: int | None = None
    domain: str | None = None  # "1. Development benefits of migration ..."
    dialogues: list[str] = dataclasses.field(default_factory=list)
    countries: list[tuple[str, Decimal | None]] = dataclasses.field(default_factory=list)
    budget: dict | None = None  # portal.proposals.budget.budget_summary's shape
    budget_saved: bool = False

    def filled(self, key: str) -> bool:
        """Whether the section holds anything: saved at least once, or content in the proposal's columns."""
        if key in self.sections:
            return True
        if key == "identification":
            return bool(self.title or self.duration_months or self.domain)
        if key == "summary":
            return bool(self.summary)
        if key == "countries":
            return bool(self.countries)
        if key == "budget":
            return self.budget_saved
        return False


# -- gathering the content -------------------------------------------------------------------------------------


def content_of(proposal) -> Content:
    """The live proposal's content. Reads the proposal's sections, countries, dialogues, domain, partners, budget
    lines and co-financing: load them with the proposal (queries.proposal_for_reading) to keep the queries fixed."""
    from portal.proposals.budget import budget_summary

    domain = proposal.jvap_domain
    sections = {row.key: dict(row.data or {}) for row in proposal.sections}
    return Content(
        keys=section_keys_for(proposal),
        sections=sections,
        title=proposal.title or "",
        summary=proposal.summary or "",
        duration_months=proposal.duration_months,
        domain=f"{domain.number}. {localized(domain, 'name')}" if domain is not None else None,
        dialogues=[localized(d, "name") for d in proposal.dialogues],
        countries=[(row.country_code, row.share_pct) for row in proposal.country_rows],
        budget=budget_summary(proposal),
        budget_saved="budget" in sections or bool(proposal.budget_lines) or bool(proposal.cofinancing),
    )


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def content_of_snapshot(data: dict) -> Content:
    """A snapshot's content, from its JSON only. The names of the JVAP domain and the dialogues are taken in the
    reader's language from the reference data when it still knows them (by number and code), else as frozen."""
    sections = {key: dict((value or {}).get("data") or {}) for key, value in (data.get("sections") or {}).items()}
    stage_keys = STAGE_SECTION_KEYS.get(data.get("stage") or "", SECTION_KEYS)
    keys = tuple(k for k in SECTION_KEYS if k in stage_keys or k in sections)
    domain = data.get("jvap_domain")
    lines = data.get("budget_lines") or []
    cofinancing = data.get("cofinancing") or []
    return Content(
        keys=keys,
        sections=sections,
        title=data.get("title") or "",
        summary=data.get("summary") or "",
        duration_months=data.get("duration_months"),
        domain=_snapshot_domain(domain) if domain else None,
        dialogues=_snapshot_dialogues(data.get("dialogues") or []),
        countries=[
            (row["country"], _decimal(row.get("share_pct")))
            for row in data.get("country_shares") or [{"country": c} for c in data.get("countries") or []]
        ],
        budget=snapshot_budget_summary(data),
        budget_saved="budget" in sections or bool(lines) or bool(cofinancing),
    )


def _snapshot_domain(domain: dict) -> str:
    from portal.calls.models import JvapDomain
    from portal.extensions import db

    known = db.session.scalar(db.select(JvapDomain).where(JvapDomain.number == domain.get("number")))
    name = localized(known, "name") if known is not None else domain.get("name_en") or ""
    return f"{domain.get('number')}. {name}"


def _snapshot_dialogues(dialogues: list[dict]) -> list[str]:
    from portal.calls.models import Dialogue
    from portal.extensions import db

    codes = [d.get("code") for d in dialogues if d.get("code")]
    known = {d.code: d for d in db.session.scalars(db.select(Dialogue).where(Dialogue.code.in_(codes or [""])))}
    return [
        localized(known[d["code"]], "name") if d.get("code") in known else d.get("name_en") or d.get("code") or ""
        for d in dialogues
    ]


def snapshot_budget_summary(data: dict) -> dict:
    """The budget of a snapshot in the shape of portal.proposals.budget.budget_summary, computed from the frozen
    lines and co-financing (in exact decimals, by the same code as the live budget's)."""
    from portal.proposals.budget import LEAD, compute_totals, totals_summary

    lines = data.get("budget_lines") or []
    cofinancing = data.get("cofinancing") or []
    lead_name = (data.get("lead_organisation") or {}).get("legal_name") or ""

    def total(line) -> Decimal:
        return _decimal(line.get("total")) or Decimal("0.00")

    totals = compute_totals(
        ((line.get("partner_id"), line.get("category") or "", total(line)) for line in lines),
        (_decimal(c.get("amount")) or Decimal("0.00") for c in cofinancing),
    )
    partners = [{"key": LEAD, "id": None, "name": lead_name, "role": "lead"}]
    seen: set[int] = set()
    for line in lines:
        partner_id = line.get("partner_id")
        if partner_id is not None and partner_id not in seen:
            seen.add(partner_id)
            partners.append({"key": str(partner_id), "id": partner_id, "name": line.get("partner") or "—"})
    named = {p["name"] for p in partners}
    for p in data.get("partners") or []:
        # Accepted co-applicants without lines still appear, with nothing (the live budget shows them too).
        if p.get("role") == "co_applicant" and p.get("status") == "accepted" and p.get("legal_name") not in named:
            key = f"org-{p.get('organisation_id')}"
            partners.append({"key": key, "id": key, "name": p.get("legal_name") or "—", "role": "co_applicant"})
    summary = totals_summary(totals, partners)
    summary["lines"] = [
        {
            "number": number,
            "partner": LEAD if line.get("partner_id") is None else str(line.get("partner_id")),
            "partner_name": (line.get("partner") or lead_name) if line.get("partner_id") is not None else lead_name,
            "category": line.get("category"),
            "description": line.get("description") or "",
            "unit": line.get("unit") or "",
            "quantity": line.get("quantity"),
            "unit_cost": line.get("unit_cost"),
            "total": line.get("total"),
        }
        for number, line in enumerate(lines, start=1)
    ]
    summary["cofinancing"] = [
        {"source": c.get("source") or "", "amount": c.get("amount"), "secured": bool(c.get("secured"))}
        for c in cofinancing
    ]
    return summary


# -- reading the sections ----------------------------------------------------------------------------------------


def read_sections(proposal) -> list[dict]:
    """Every section of the live proposal's stage: {"key", "title", "filled", "items"}."""
    return read_content(content_of(proposal))


def snapshot_sections(data: dict) -> list[dict]:
    """Every section of a submitted snapshot, read from its JSON only."""
    return read_content(content_of_snapshot(data))


def read_content(content: Content) -> list[dict]:
    out = []
    for key in content.keys:
        filled = content.filled(key)
        out.append(
            {
                "key": key,
                "title": str(SECTION_TITLES[key]),
                "filled": filled,
                "items": _READERS[key](content) if filled else [],
            }
        )
    return out


def _form(key: str, data: dict):
    """The section's form filled from `data` as the edit page fills it (never from the request, without CSRF: it is
    not posted back, and the receipt is rendered outside any request)."""
    from portal.proposals.forms import SECTION_FORMS

    return SECTION_FORMS[key](formdata=None, data=data, meta={"csrf": False})


def _initial(key: str, saved: dict) -> dict:
    """What the edit page gives the section's form, from the section's saved JSON (the forms' initial_data read the
    same keys of the live row)."""
    from portal.proposals.forms import SECTION_FORMS, DeclarationsForm, TargetGroupsForm

    if key == "logframe":
        return {
            "overall_objective": saved.get("overall_objective", ""),
            "objectives": saved.get("objectives") or [],
            "activities": saved.get("activities") or [],
        }
    if key == "risks":
        return {"risks": saved.get("risks") or []}
    if key in ("relevance", "sustainability"):
        return {name: saved.get(name, "") for name in SECTION_FORMS[key].names()}
    if key == "target_groups":
        return {name: saved.get(name) for name in TargetGroupsForm.NAMES}
    if key == "declarations":
        return {name: saved.get(name) for name in DeclarationsForm.NAMES}
    return dict(saved)


def _paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (split at blank lines), each a list of its lines."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    return [[line.rstrip() for line in block.strip("\n").split("\n")] for block in re.split(r"\n\s*\n", text)]


def _text_item(label: str, text) -> dict:
    return {"kind": "text", "label": label, "paragraphs": _paragraphs("" if text is None else str(text))}


def _choice_label(field, value) -> str:
    for choice_value, label in _field_choices(field):
        if str(choice_value) == str(value):
            return str(label)
    return str(value)


def _field_choices(field) -> list[tuple]:
    choices = field.choices
    if callable(choices):
        choices = choices()
    if isinstance(choices, dict):  # grouped choices
        choices = [c for group in choices.values() for c in group]
    return [(c[0], c[1]) for c in choices or []]


def _blank(value) -> bool:
    if isinstance(value, dict):
        return all(_blank(v) for k, v in value.items() if k not in ("uid", "output"))
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    if isinstance(value, str):
        return not value.strip()
    return value is None


def read_field(field, code: str = "") -> dict | None:
    """One field of a section form as plain data (None for the fields never shown)."""
    label = str(field.label.text)
    if isinstance(field, HiddenField) or field.short_name in _SKIPPED:
        return None
    if isinstance(field, FieldList):
        entries = [e for e in field.entries if not _blank(e.data)]
        if entries and all(isinstance(e, FormField) for e in entries) and not _has_lists(entries[0].form):
            return _table(label, entries)
        return {
            "kind": "list",
            "label": label,
            "entries": [
                {"code": f"{code}{i}", "items": _read_form(entry.form, f"{code}{i}.")}
                if isinstance(entry, FormField)
                else {"code": f"{code}{i}", "items": [read_field(entry)]}
                for i, entry in enumerate(entries, start=1)
            ],
        }
    if isinstance(field, FormField):
        return {"kind": "list", "label": label, "entries": [{"code": code, "items": _read_form(field.form, code)}]}
    if isinstance(field, BooleanField):
        return {"kind": "yes_no", "label": label, "value": bool(field.data)}
    if isinstance(field, SelectMultipleField):
        chosen = {str(v) for v in field.data or []}
        return {
            "kind": "choices",
            "label": label,
            "values": [str(text) for value, text in _field_choices(field) if str(value) in chosen],
        }
    if isinstance(field, SelectField):
        value = field.data
        return {
            "kind": "choice",
            "label": label,
            "value": _choice_label(field, value) if value not in ("", None) else "",
        }
    if isinstance(field, IntegerField):
        return {"kind": "number", "label": label, "value": field.data}
    return _text_item(label, field.data)


def _has_lists(form) -> bool:
    return any(isinstance(f, FieldList | FormField) for f in form)


def _read_form(form, code: str = "") -> list[dict]:
    return [item for item in (read_field(f, code) for f in form) if item is not None]


def _table(label: str, entries: list) -> dict:
    """Groups of simple fields (indicators, activities, risks): a table, one row per group, one column per field."""
    first = [f for f in entries[0].form if read_field(f) is not None]
    columns = [str(f.label.text) for f in first]
    names = [f.short_name for f in first]
    rows = []
    for entry in entries:
        rows.append([read_field(entry.form[name]) for name in names])
    return {"kind": "table", "label": label, "columns": columns, "rows": rows}


def _extra_items(saved: dict, fields) -> list[dict]:
    """Saved keys the form has no field for: shown under a label made from the key, so that nothing saved or
    submitted is left out. `fields`: the names of the form's fields."""
    known = set(fields) | {"declared_by_id", "declared_by", "declared_at"}
    return [_raw_item(_key_label(k), v) for k, v in saved.items() if k not in known and not _blank(v)]


def _key_label(key: str) -> str:
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else ""


def _raw_item(label: str, value, depth: int = 0) -> dict:
    if depth < MAX_DEPTH and isinstance(value, dict):
        entries = [{"code": "", "items": [_raw_item(_key_label(k), v, depth + 1) for k, v in value.items()]}]
        return {"kind": "list", "label": label, "entries": entries}
    if depth < MAX_DEPTH and isinstance(value, list | tuple):
        return {
            "kind": "list",
            "label": label,
            "entries": [
                {"code": str(i), "items": [_raw_item("", v, depth + 1)]}
                for i, v in enumerate((v for v in value if not _blank(v)), start=1)
            ],
        }
    if isinstance(value, bool):
        return {"kind": "yes_no", "label": label, "value": value}
    return _text_item(label, value)


# -- the readers of each section ---------------------------------------------------------------------------------


def _read_generic(key: str):
    def read(content: Content) -> list[dict]:
        saved = content.sections.get(key, {})
        return _read_saved(key, locale_code(), json.dumps(saved, separators=(",", ":")))  # keeps the keys in order

    return read


# A section read through its form depends only on the form (fixed for the process), the language of its labels and
# choices, and the saved JSON: each is read once per process and kept (about 0.2 ms a section saved; a proposal is
# read by its applicants, its evaluators and the managers, and its receipt). The items are shared: read, never change.
@functools.lru_cache(maxsize=1024)
def _read_saved(key: str, _code: str, saved_json: str) -> list[dict]:
    saved = json.loads(saved_json)
    form = _form(key, _initial(key, saved))
    if key == "logframe":
        form.prepare(None)  # the outputs activities link to come from the form itself
    return _read_form(form) + _extra_items(saved, (f.short_name for f in form))


@functools.cache
def _unbound_fields(key: str) -> dict:
    """The fields of a section form's class by name, as declared (WTForms' UnboundField), without building a form."""
    from portal.proposals.forms import SECTION_FORMS

    form_class = SECTION_FORMS[key]
    return {
        name: value
        for name in dir(form_class)
        if not name.startswith("_") and isinstance(value := getattr(form_class, name), UnboundField)
    }


def _label(key: str, name: str) -> str:
    """A field's label, in the reader's language, as the built form would give it (WTForms: the label argument or
    `label=`, else the name in title case): the readers below show values the proposal holds under the form's
    labels, and need no form for that."""
    field = _unbound_fields(key)[name]
    # FieldList and FormField take what they hold (a field, a form class) before the label.
    given = [a for a in field.args if not isinstance(a, UnboundField | type)]
    label = field.kwargs.get("label", given[0] if given else None)
    return str(label) if label is not None else name.replace("_", " ").title()


def _read_identification(content: Content) -> list[dict]:
    saved = content.sections.get("identification", {})
    return [
        _text_item(_label("identification", "title"), content.title),
        {"kind": "number", "label": _label("identification", "duration_months"), "value": content.duration_months},
        {"kind": "choice", "label": _label("identification", "jvap_domain_id"), "value": content.domain or ""},
        {"kind": "choices", "label": _label("identification", "dialogue_ids"), "values": list(content.dialogues)},
        _text_item(_label("identification", "start_month"), saved.get("start_month") or ""),
        *_extra_items({k: v for k, v in saved.items() if k != "start_month"}, _unbound_fields("identification")),
    ]


def _read_summary(content: Content) -> list[dict]:
    return [_text_item(_label("summary", "summary"), content.summary)]


def _read_countries(content: Content) -> list[dict]:
    locale = locale_code()
    rows = [
        {
            "code": code,
            "name": country_names.name(code, locale),
            "share": _percent(share, locale) if share is not None else None,
        }
        for code, share in content.countries
    ]
    rows.sort(key=lambda r: r["name"])
    shares = [s for _code, s in content.countries if s is not None]
    total = _percent(sum(shares, Decimal(0)), locale) if shares else None
    return [{"kind": "countries", "label": _("Countries of implementation"), "rows": rows, "total": total}]


def _percent(value: Decimal, locale: str) -> str:
    return format_percent(value / 100, locale=locale, decimal_quantization=False)


def _read_workplan(content: Content) -> list[dict]:
    planned = content.sections.get("workplan", {}).get("months") or {}
    activities = [a for a in content.sections.get("logframe", {}).get("activities") or [] if a.get("uid")]
    rows = [{"title": a.get("title") or "—", "months": sorted(planned.get(a["uid"]) or [])} for a in activities]
    known = {a["uid"] for a in activities}
    # Months planned for an activity no longer in the logical framework are still shown (under its id).
    rows += [{"title": uid, "months": sorted(months)} for uid, months in sorted(planned.items()) if uid not in known]
    last = max((m for row in rows for m in row["months"]), default=0)
    months = list(range(1, max(content.duration_months or 0, last) + 1))
    return [{"kind": "workplan", "label": _("Activity"), "months": months, "rows": rows}]


def _read_budget(content: Content) -> list[dict]:
    return [{"kind": "budget", "summary": content.budget}]


def _read_declarations(content: Content) -> list[dict]:
    from portal.proposals.form_rules import DECLARATION_ITEMS

    saved = content.sections.get("declarations", {})
    form = _form("declarations", _initial("declarations", saved))
    items: list[dict] = [
        {
            "kind": "ticks",
            "label": _("The lead applicant declares, on behalf of the consortium:"),
            "values": [str(form[name].label.text) for name in DECLARATION_ITEMS if form[name].data],
        },
        _text_item(str(form.signatory_name.label.text), form.signatory_name.data),
        _text_item(str(form.signatory_position.label.text), form.signatory_position.data),
    ]
    if saved.get("declared_at"):
        try:
            when = dt.datetime.fromisoformat(saved["declared_at"])
        except (TypeError, ValueError):
            when = None
        if when is not None:
            when = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
            items.append({"kind": "declared", "by": saved.get("declared_by") or "", "at": when})
    return items + _extra_items(saved, (f.short_name for f in form))


_READERS = {
    "identification": _read_identification,
    "summary": _read_summary,
    "relevance": _read_generic("relevance"),
    "logframe": _read_generic("logframe"),
    "workplan": _read_workplan,
    "countries": _read_countries,
    "target_groups": _read_generic("target_groups"),
    "risks": _read_generic("risks"),
    "sustainability": _read_generic("sustainability"),
    "budget": _read_budget,
    "declarations": _read_declarations,
}


# -- the consortium and the attachments ----------------------------------------------------------------------------


def consortium(proposal) -> list[dict]:
    """The lead, the co-applicants and the associated entities with their country, role and status."""
    from portal.proposals.budget import partner_name

    org = proposal.organisation
    rows = [{"name": org.name, "country": org.country, "role": "lead", "status": None}]
    for role in ("co_applicant", "associated"):
        rows += [
            {
                "name": partner_name(p),
                "country": p.organisation.country if p.organisation is not None else None,
                "role": p.role,
                "status": p.status,
            }
            for p in proposal.partners
            if p.role == role
        ]
    return rows


def attachment_rows(proposal) -> list[dict]:
    """The proposal's attachments: what each is (the call's requirement, its kind or its title), the file, its size."""
    from portal.core.uploads import format_size
    from portal.proposals.attachments import KIND_LABELS, requirement_label

    return [
        {
            "id": a.id,
            "name": requirement_label(a.requirement) if a.requirement is not None else (a.title or ""),
            "kind": str(KIND_LABELS.get(a.kind, a.kind)),
            "title": a.title,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "size_text": format_size(a.size),
            "uploaded_at": a.uploaded_at,
        }
        for a in proposal.attachments
    ]
