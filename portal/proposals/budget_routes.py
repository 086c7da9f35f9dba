"""The budget page of a proposal: the lines and co-financing as one form (a repeatable table that works without
JavaScript), its totals and the call's rules it breaks. Registered on the proposals blueprint.

Who: those who may edit the "budget" section (the lead, or a co-applicant the lead gave it) edit; everyone else
who may see the proposal reads it; others get 404 (load())."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.core.access import authenticated, load
from portal.core.ids import whole_number
from portal.extensions import db
from portal.proposals import budget as budgets
from portal.proposals.models import Proposal
from portal.proposals.operations import ProposalError
from portal.proposals.routes import bp
from portal.proposals.sections import SECTION_TITLES, section_version, stale_section_message
from portal.proposals.states import STATUS_LABELS

log = logging.getLogger(__name__)


def _posted_version(raw: str | None) -> int:
    """The section version the form was made from. A form without one was not made by this page: it is treated as
    made from no version at all (-1), so that it can never overwrite a saved budget unseen."""
    version = whole_number(raw)
    return -1 if version is None else version


def _render(proposal: Proposal, *, typed: budgets.BudgetInput | None, version: int, status: int = 200, **extra):
    """The page. `typed` is the form (None: read-only); totals shown are those of what the form holds."""
    can_edit = typed is not None
    if can_edit:
        choices = budgets.partner_choices(proposal)
        partners = [
            {"key": value, "id": None if value == budgets.LEAD else int(value), "name": label, "role": None}
            for value, label in choices
        ]
        totals = budgets.totals_summary(typed.totals(), partners)
        summary = None
    else:
        choices = []
        summary = budgets.budget_summary(proposal)
        totals = summary
    return (
        render_template(
            "proposals/budget.html",
            proposal=proposal,
            call=proposal.call,
            can_edit=can_edit,
            typed=typed,
            errors=typed.errors if typed is not None else [],
            version=version,
            partner_choices=choices,
            category_choices=budgets.category_choices(),
            totals=totals,
            summary=summary,
            problems=budgets.budget_problems(proposal),
            status_labels=STATUS_LABELS,
            add_lines=budgets.ADD_LINES,
            add_sources=budgets.ADD_SOURCES,
            limit=budgets.format_limit,
            **extra,
        ),
        status,
    )


def _stale(proposal: Proposal, typed: budgets.BudgetInput, version: int):
    log.info("stale budget save on proposal %s by user %s", proposal.id, current_user.id)
    typed.pad()
    stale = stale_section_message(str(SECTION_TITLES[budgets.SECTION]))
    return _render(proposal, typed=typed, version=version, status=409, unsaved=True, stale=stale)


@bp.route("/proposals/<int:proposal_id>/budget", methods=["GET", "POST"])
@authenticated
def budget(proposal_id: int):
    # Load everything the page reads in a fixed number of queries; load() then finds it in the session.
    budgets.proposal_for_budget(proposal_id)
    proposal = load(Proposal, proposal_id)
    can_edit = proposal.can_edit_section(current_user, budgets.SECTION)
    if request.method == "GET":
        if not can_edit:
            return _render(proposal, typed=None, version=section_version(proposal, budgets.SECTION))
        typed = budgets.budget_input_of(proposal)
        typed.pad()
        return _render(proposal, typed=typed, version=section_version(proposal, budgets.SECTION))

    if not can_edit:
        abort(403)
    typed = budgets.read_budget_form(request.form, proposal)
    version = _posted_version(request.form.get("version"))
    action = request.form.get("action", "save")
    if action in ("add_lines", "add_sources"):
        # Not a save: the cells are checked when the user saves, not while they are still typing.
        typed.hide_cell_errors()
    if action == "add_lines":
        typed.add_blank_lines(budgets.ADD_LINES)
        typed.pad()
        return _render(proposal, typed=typed, version=version, unsaved=True)
    if action == "add_sources":
        typed.add_blank_sources(budgets.ADD_SOURCES)
        typed.pad()
        return _render(proposal, typed=typed, version=version, unsaved=True)

    try:
        budgets.save_budget(proposal, typed, by=current_user, expected_version=version)
        db.session.commit()
    except budgets.BudgetError:
        db.session.rollback()
        typed.pad()
        return _render(proposal, typed=typed, version=version, status=422, unsaved=True)
    except IntegrityError:
        # Two first saves at the same instant: the other one created the section row first.
        db.session.rollback()
        if section_version(proposal, budgets.SECTION) == version:
            raise
        return _stale(proposal, typed, version)
    except (ProposalError, StaleDataError):
        # Someone saved the budget (or the proposal) since this form was made: nothing was written.
        db.session.rollback()
        return _stale(proposal, typed, version)
    problems = budgets.budget_problems(proposal)
    if problems:
        flash(_("Budget saved. It does not yet meet the call's rules: see the problems listed below."), "warning")
    else:
        flash(_("Budget saved."), "success")
    return redirect(url_for("proposals.budget", proposal_id=proposal.id))
