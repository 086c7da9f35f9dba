"""Proposals: the applicant's dashboard, starting a proposal under an open call, editing the draft, reading it,
and submitting it before the deadline."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.calls import queries as call_queries
from portal.calls.forms import add_errors
from portal.calls.models import Call
from portal.core import countries
from portal.core.access import authenticated, load, role_required
from portal.core.i18n import locale_code, select_timezone
from portal.extensions import db
from portal.proposals import queries
from portal.proposals.forms import ProposalForm, StartForm
from portal.proposals.models import Proposal
from portal.proposals.operations import (
    ProposalError,
    call_not_open_message,
    draft_field_errors,
    save_draft,
    start_proposal,
    submit_proposal,
    validate_for_submission,
)
from portal.proposals.states import STATUS_LABELS, IllegalTransitionError

log = logging.getLogger(__name__)
bp = Blueprint("proposals", __name__, url_prefix=None)

# Fields of the edit form that the submission checklist can link to.
LINKABLE_FIELDS = frozenset(ProposalForm.FIELDS)


def _initial(proposal: Proposal) -> dict:
    return {
        "version": proposal.version_id,
        "title": proposal.title,
        "summary": proposal.summary,
        "requested_amount": proposal.requested_amount,
        "duration_months": proposal.duration_months,
        "countries": proposal.countries,
        "jvap_domain": proposal.jvap_domain_id,
    }


def _version(raw: str | int | None) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() else None


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
            return redirect(url_for("proposals.edit", proposal_id=proposal.id))
    return (
        render_template("proposals/start.html", form=form, call=call, organisations=organisations),
        422 if form.errors else 200,
    )


@bp.route("/proposals/<int:proposal_id>", methods=["GET"])
@authenticated
def view(proposal_id: int):
    load(Proposal, proposal_id)
    proposal = queries.proposal_with_details(proposal_id)
    can_edit = proposal.can_edit(current_user)
    return render_template(
        "proposals/view.html",
        proposal=proposal,
        call=proposal.call,
        snapshot=queries.latest_snapshot(proposal),
        can_edit=can_edit,
        checklist=validate_for_submission(proposal) if can_edit else None,
        linkable=LINKABLE_FIELDS,
        status_labels=STATUS_LABELS,
        reader_tz=select_timezone(),
    )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@authenticated
def edit(proposal_id: int):
    proposal = load(Proposal, proposal_id)
    if not proposal.can_edit(current_user):
        if proposal.is_applicant_member(current_user) and not proposal.is_draft:
            # Submitted: read-only to the applicant, whatever was sent.
            return render_template("proposals/read_only.html", proposal=proposal, status_labels=STATUS_LABELS), 403
        abort(403)
    call = proposal.call
    form = ProposalForm(data=_initial(proposal))
    form.set_choices(call, countries.choices(locale_code(), only=frozenset(call.countries)))
    if request.method == "POST":
        form.validate()
        data = form.valid_data()
        rule_errors = draft_field_errors(proposal, data)
        for name in rule_errors:
            data.pop(name, None)
        add_errors(form, list(rule_errors.items()))
        try:
            save_draft(proposal, data, by=current_user, expected_version=_version(form.version.data))
            db.session.commit()
        except ProposalError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
            return render_template("proposals/edit.html", form=form, proposal=proposal, call=call, stale=True), 409
        if form.errors:
            form.version.data = proposal.version_id
            flash(_("Your draft was saved, except the fields marked below: correct them and save again."), "warning")
            return render_template("proposals/edit.html", form=form, proposal=proposal, call=call), 422
        flash(_("Draft saved."), "success")
        if request.form.get("action") == "review":
            return redirect(url_for("proposals.view", proposal_id=proposal.id))
        return redirect(url_for("proposals.edit", proposal_id=proposal.id))
    return render_template("proposals/edit.html", form=form, proposal=proposal, call=call)


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


from portal.proposals import submission_routes  # noqa: E402,F401
