"""Proposals: the applicant's dashboard, starting a proposal under an open call, editing the draft, reading it,
and submitting it before the deadline."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal.calls import queries as call_queries
from portal.calls.forms import add_errors
from portal.calls.models import Call
from portal.core.access import authenticated, load, role_required
from portal.core.db import utcnow
from portal.core.i18n import select_timezone
from portal.core.ids import whole_number
from portal.extensions import db
from portal.proposals import form_views, queries, reading
from portal.proposals.form_rules import section_errors, section_title, state_labels
from portal.proposals.forms import SECTION_FORMS, StartForm
from portal.proposals.models import Proposal
from portal.proposals.operations import (
    ProposalError,
    StaleSectionError,
    call_not_open_message,
    save_section,
    start_proposal,
    submission_problems,
    submit_proposal,
)
from portal.proposals.sections import section_keys_for, section_version, stale_section_message
from portal.proposals.states import STATUS_LABELS, IllegalTransitionError

log = logging.getLogger(__name__)
bp = Blueprint("proposals", __name__, url_prefix=None)


def _version(raw: str | int | None) -> int | None:
    return whole_number(raw)


@bp.route("/proposals", methods=["GET"])
@authenticated
def dashboard():
    if not current_user.is_applicant:
        return redirect(url_for("main.home"))
    return render_template(
        "proposals/dashboard.html",
        proposals=queries.proposals_of_user(current_user),
        open_calls=call_queries.open_calls(),
        organisations=current_user.organisations,
        status_labels=STATUS_LABELS,
    )


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@role_required("applicant")
def start(call_id: int):
    call = load(Call, call_id)
    refusal = call_not_open_message(call)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("calls.public_view", call_id=call.id))
    organisations = current_user.organisations
    if not organisations:
        flash(_("Proposals are made by organisations: create your organisation first, then apply."), "info")
        return redirect(url_for("organisations.create"))
    form = StartForm()
    form.organisation.choices = [(o.id, o.name) for o in organisations]
    if len(organisations) == 1:
        form.organisation.data = organisations[0].id
    if form.validate_on_submit():
        organisation = next(o for o in organisations if o.id == form.organisation.data)
        try:
            proposal = start_proposal(call, organisation, form.title.data, by=current_user)
            db.session.commit()
        except ProposalError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(
                _("Your draft proposal %(reference)s is started. It is saved as you go.", reference=proposal.reference),
                "success",
            )
            return redirect(url_for("proposals.overview", proposal_id=proposal.id))
    return (
        render_template("proposals/start.html", form=form, call=call, organisations=organisations),
        422 if form.errors else 200,
    )


@bp.route("/proposals/<int:proposal_id>", methods=["GET"])
@authenticated
def view(proposal_id: int):
    """The whole proposal, read-only, for everyone who may see it: its facts, consortium, every section under the
    form's labels, the budget and the attachments; the submission panel; and, for the lead's draft, what remains
    to settle before submission."""
    # Everything the page reads, loaded up front (and held: the session's identity map keeps objects only while they
    # are referenced); `load` then checks access on that same object, without reading it again.
    _preloaded = queries.proposal_for_reading(proposal_id)
    proposal = load(Proposal, proposal_id)
    can_edit = proposal.can_edit(current_user)
    snapshots = queries.snapshots_of(proposal)  # the facts show the latest, the submission panel lists them all
    return render_template(
        "proposals/view.html",
        proposal=proposal,
        call=proposal.call,
        snapshot=snapshots[0] if snapshots else None,
        snapshots=snapshots,
        can_edit=can_edit,
        sections=reading.read_sections(proposal),
        consortium=reading.consortium(proposal),
        attachments=reading.attachment_rows(proposal),
        checklist=[(p, form_views.problem_url(proposal, p)) for p in submission_problems(proposal)]
        if can_edit
        else None,
        status_labels=STATUS_LABELS,
        reader_tz=select_timezone(),
    )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@authenticated
def edit(proposal_id: int):
    """The single edit page of old, kept for the links and bookmarks that point at it: the form is now split into
    sections, listed on the overview. Nothing is saved here."""
    proposal = load(Proposal, proposal_id)
    if not proposal.can_contribute(current_user):
        return _not_editable(proposal)
    return redirect(url_for("proposals.overview", proposal_id=proposal.id), 303 if request.method == "POST" else 302)


def _not_editable(proposal: Proposal):
    if not proposal.is_draft and (proposal.is_applicant_member(current_user) or proposal.partner_for(current_user)):
        if _wants_json():
            return jsonify(error="read_only", message=_("This proposal has been submitted and is read-only.")), 403
        # Submitted: read-only to the applicant, whatever was sent.
        return render_template("proposals/read_only.html", proposal=proposal, status_labels=STATUS_LABELS), 403
    abort(403)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _form_page_context(proposal: Proposal) -> dict:
    call = proposal.call
    now = utcnow()
    deadline = call.deadline_for(proposal.stage)
    return {
        "proposal": proposal,
        "call": call,
        "deadline": deadline,
        "remaining": form_views.remaining_text(deadline, now),
        "reader_tz": select_timezone(),
        "nav": form_views.section_nav(proposal, current_user),
        "state_labels": state_labels(),
    }


@bp.route("/proposals/<int:proposal_id>/sections", methods=["GET"])
@authenticated
def overview(proposal_id: int):
    """The form's overview: every section with its state and who last saved it when, and the deadline."""
    proposal = load(Proposal, proposal_id)
    if not proposal.can_contribute(current_user):
        if not proposal.is_draft and proposal.can_view(current_user) and not current_user.is_staff:
            return redirect(url_for("proposals.view", proposal_id=proposal.id))
        abort(403)
    proposal = queries.proposal_for_form(proposal_id)
    context = _form_page_context(proposal)
    problems = submission_problems(proposal)
    return render_template(
        "proposals/overview.html",
        problem_count=len(problems),
        can_submit=proposal.can_submit(current_user),
        **context,
    )


@bp.route("/proposals/<int:proposal_id>/check", methods=["GET"])
@authenticated
def check(proposal_id: int):
    """Before submission: every missing or invalid item, each linked to its section and field."""
    proposal = load(Proposal, proposal_id)
    if not proposal.can_contribute(current_user):
        return _not_editable(proposal)
    proposal = queries.proposal_for_form(proposal_id)
    problems = submission_problems(proposal)
    return render_template(
        "proposals/check.html",
        problems=[(p, form_views.problem_url(proposal, p)) for p in problems],
        titles={key: section_title(key) for key in section_keys_for(proposal)},
        can_submit=proposal.can_submit(current_user),
        **_form_page_context(proposal),
    )


def _section_form(key: str, proposal: Proposal, *, submitted: bool):
    form_class = SECTION_FORMS[key]
    if submitted:
        form = form_class()
    else:
        form = form_class(data={"version": section_version(proposal, key), **form_class.initial_data(proposal)})
    form.prepare(proposal)
    return form


@bp.route("/proposals/<int:proposal_id>/sections/<key>", methods=["GET", "POST"])
@authenticated
def edit_section(proposal_id: int, key: str):
    """One section of the form: shown, saved alone (as a page, or as JSON for the autosave), never overwriting a
    version saved by someone else since the form was opened."""
    proposal = load(Proposal, proposal_id)
    if key not in section_keys_for(proposal) or key not in SECTION_FORMS:
        abort(404)
    if not proposal.can_edit_section(current_user, key):
        if proposal.is_draft:
            if _wants_json():
                return jsonify(error="forbidden", message=_("You may not edit this section.")), 403
            abort(403)
        return _not_editable(proposal)
    proposal = queries.proposal_for_form(proposal_id)
    as_json = _wants_json()
    form = _section_form(key, proposal, submitted=request.method == "POST")
    if request.method == "GET":
        return _render_section(proposal, key, form)

    action = "" if as_json else request.form.get("action", "")
    if action.startswith(("add:", "remove:")):
        # Without JavaScript, adding or removing a group re-renders the form with every value kept (not saved).
        form_views.change_groups(form, action)
        form.prepare(proposal)
        return _render_section(proposal, key, form, notice=_("Not saved yet: press “Save” when you are done."))

    form.validate()
    data = form.section_data() if not form_views.has_errors(form) else None
    errors = [] if data is None else section_errors(proposal, key, data)
    form_views.attach_errors(form, errors)
    if form_views.has_errors(form):
        if as_json:
            return jsonify(
                error="invalid",
                message=_("Not saved: correct the marked fields."),
                errors=[{"field": f, "message": m} for f, _label, m in form_views.error_list(form)],
            ), 422
        return _render_section(proposal, key, form), 422
    try:
        # A form without a version counts as made from nothing saved: it can never overwrite a saved section.
        expected = _version(form.version.data) or 0
        row = save_section(proposal, key, data, by=current_user, expected_version=expected)
        db.session.commit()
    except (ProposalError, StaleDataError) as exc:
        # StaleDataError: someone saved the proposal row at the very same moment; treated as a stale section.
        db.session.rollback()
        messages = exc.messages if isinstance(exc, ProposalError) else [stale_section_message(section_title(key))]
        stale = isinstance(exc, StaleSectionError | StaleDataError)
        latest = url_for("proposals.edit_section", proposal_id=proposal_id, key=key)
        if as_json:
            return jsonify(
                error="stale" if stale else "refused",
                message=" ".join(str(m) for m in messages),
                latest_url=latest,
            ), 409 if stale else 422
        proposal = queries.proposal_for_form(proposal_id)
        form.prepare(proposal)
        form_views.attach_errors(form, exc.errors if isinstance(exc, ProposalError) else [(None, messages[0])])
        return _render_section(proposal, key, form, stale=stale), 409 if stale else 422
    saved_at = row.updated_at
    if as_json:
        return jsonify(
            version=row.version_id,
            saved_at=saved_at.isoformat(),
            message=_("Saved at %(time)s", time=form_views.clock(saved_at)),
            updates=form_views.updates_after_save(form, row),
        )
    flash(_("Section “%(section)s” saved.", section=section_title(key)), "success")
    return redirect(url_for("proposals.edit_section", proposal_id=proposal_id, key=key))


def _render_section(proposal: Proposal, key: str, form, *, stale: bool = False, notice: str | None = None):
    return render_template(
        f"proposals/sections/{key}.html",
        key=key,
        title=section_title(key),
        form=form,
        stale=stale,
        notice=notice,
        errors=form_views.error_list(form),
        version=section_version(proposal, key),
        **_form_page_context(proposal),
    )


@bp.route("/proposals/<int:proposal_id>/submit", methods=["POST"])
@authenticated
def submit(proposal_id: int):
    proposal = load(Proposal, proposal_id, need="submit")
    try:
        submit_proposal(proposal, by=current_user)
        db.session.commit()
    except (ProposalError, IllegalTransitionError) as exc:
        db.session.rollback()
        for message in getattr(exc, "messages", [str(exc)]):
            flash(message, "error")
    else:
        flash(
            _(
                "Your proposal %(reference)s was submitted. A receipt has been sent to %(email)s.",
                reference=proposal.reference,
                email=current_user.email,
            ),
            "success",
        )
    return redirect(url_for("proposals.view", proposal_id=proposal.id))


# The budget, submission and attachment pages register their routes on this blueprint.
from portal.proposals import budget_routes, submission_routes  # noqa: E402,F401
