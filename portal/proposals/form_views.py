"""What the proposal form's pages show besides the forms themselves: the section navigation with each section's
state, links from a problem to its field, the time left before the deadline, and the plumbing between the
section forms and the rules' messages (errors tied to field ids, repeatable groups added or removed without
JavaScript). Read-only helpers for routes; no rule lives here."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from babel.dates import format_time, format_timedelta
from flask import current_app, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError
from wtforms import FieldList, FormField

from portal.core.i18n import locale_code, select_timezone
from portal.proposals.form_rules import Problem, section_problems, section_state, section_title
from portal.proposals.sections import section_keys_for, section_row

# Pages built by other parts of the form, linked only once they exist.
BUDGET_ENDPOINT = "proposals.budget"
CONSORTIUM_ENDPOINT = "consortia.manage"
ATTACHMENTS_ENDPOINT = "proposals.attachments"


def _url(endpoint: str, **values) -> str | None:
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def section_url(proposal, key: str) -> str | None:
    if key == "budget":
        return _url(BUDGET_ENDPOINT, proposal_id=proposal.id)
    return url_for("proposals.edit_section", proposal_id=proposal.id, key=key)


def section_nav(proposal, user) -> dict:
    """Every section of the proposal's stage with its state and who saved it last when, plus the consortium and
    attachments pages when they exist."""
    from portal.proposals.operations import budget_section_problems

    items = []
    for key in section_keys_for(proposal):
        problems = budget_section_problems(proposal) if key == "budget" else section_problems(proposal, key)
        row = section_row(proposal, key)
        editable = proposal.can_edit_section(user, key)
        items.append(
            {
                "key": key,
                "title": section_title(key),
                "url": section_url(proposal, key) if editable else None,
                "state": section_state(proposal, key, problems),
                "problems": len(problems),
                "updated_at": row.updated_at if row is not None else None,
                "updated_by": row.updated_by.display_name if row is not None and row.updated_by else None,
            }
        )
    return {
        "sections": items,
        "consortium_url": _url(CONSORTIUM_ENDPOINT, proposal_id=proposal.id),
        "attachments_url": _url(ATTACHMENTS_ENDPOINT, proposal_id=proposal.id),
        "check_url": url_for("proposals.check", proposal_id=proposal.id),
        "overview_url": url_for("proposals.overview", proposal_id=proposal.id),
    }


def problem_url(proposal, problem: Problem) -> str | None:
    """Where the user settles a problem: the section's page at the field, or the page that owns it."""
    anchor = f"#{problem.field}" if problem.field else ""
    if problem.section in section_keys_for(proposal):
        base = section_url(proposal, problem.section)
    elif problem.section in ("consortium", "partners"):
        base = _url(CONSORTIUM_ENDPOINT, proposal_id=proposal.id)
    elif problem.section == "attachments":
        base = _url(ATTACHMENTS_ENDPOINT, proposal_id=proposal.id)
    else:
        base = None
    return f"{base}{anchor}" if base else None


def remaining_text(deadline: dt.datetime, now: dt.datetime) -> str:
    """The time left, as the server sees it (the page's script counts down from it to the second)."""
    left = deadline - now
    if left.total_seconds() <= 0:
        return _("The deadline has passed.")
    return _("%(time)s left", time=format_timedelta(left, threshold=2, locale=locale_code()))


def clock(instant: dt.datetime) -> str:
    """A time of day for the reader, for "Saved at 14:02"."""
    zone = zoneinfo.ZoneInfo(select_timezone())
    return format_time(instant.astimezone(zone), format="short", tzinfo=zone, locale=locale_code())


# -- forms, errors and repeatable groups -------------------------------------------------------------------------


def walk(form):
    """Every field of a form, nested groups included (depth first), with FieldLists and their entries."""
    for field in form:
        yield field
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from walk(entry.form)
        elif isinstance(field, FormField):
            yield from walk(field.form)


def attach_errors(form, errors: list[tuple[str | None, str]]) -> None:
    """Tie the rules' messages to the fields they name (by id); messages for other ids are kept by id for pages
    that render those inputs by hand, and the rest go to the top of the form."""
    fields = {f.id: f for f in walk(form) if not isinstance(f, FieldList | FormField)}
    for field_id, message in errors:
        if field_id in fields:
            field = fields[field_id]
            field.errors = [*field.errors, message]
        elif field_id:
            form.extra_errors.setdefault(field_id, []).append(message)
        else:
            form.form_errors.append(message)
    form._errors = None


def error_list(form) -> list[tuple[str | None, str, str]]:
    """Every message of the form as (field id, label, message), in the order of the page."""
    out: list[tuple[str | None, str, str]] = [(None, "", m) for m in form.form_errors]
    for field in walk(form):
        if isinstance(field, FieldList | FormField) or field.name == "csrf_token":
            continue
        for message in field.errors:
            out.append((field.id, str(field.label.text), message))
    for field_id, messages in form.extra_errors.items():
        out.extend((field_id, "", m) for m in messages)
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None:
        out.extend((None, "", m) for m in csrf.errors)
    return out


def has_errors(form) -> bool:
    return bool(error_list(form))


def change_groups(form, action: str) -> None:
    """Add a blank group to a list ("add:objectives-0-outputs") or remove one ("remove:risks-2"), keeping every
    value typed elsewhere. A list keeps at least one group."""
    verb, _sep, target = action.partition(":")
    lists = {f.id: f for f in walk(form) if isinstance(f, FieldList)}
    if verb == "add" and target in lists:
        lists[target].append_entry()
    elif verb == "remove":
        parent_id, _sep, _index = target.rpartition("-")
        parent = lists.get(parent_id)
        if parent is not None:
            parent.entries = [e for e in parent.entries if e.id != target]
            if not parent.entries:
                parent.append_entry()


def updates_after_save(form, row) -> dict[str, str]:
    """Values the server set while saving that the page must take over (the ids given to new activities)."""
    if row.key != "logframe" or not hasattr(form, "activities"):
        return {}
    from portal.proposals.forms import _blank_tree

    saved = list((row.data or {}).get("activities") or [])
    updates = {}
    for entry in form.activities:
        values = {name: (entry.form[name].data or "") for name in ("title", "description")}
        if _blank_tree(values):
            continue
        if not saved:
            break
        activity = saved.pop(0)
        if entry.form.uid.data != activity["uid"]:
            updates[entry.form.uid.id] = activity["uid"]
    return updates
