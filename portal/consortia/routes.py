"""Consortium building: the lead's consortium page (invite, remove, give sections, the call's rules checked live),
and the invited organisation's side (its invitations, accepting or declining, the e-mailed link for organisations
not yet registered)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.calls.forms import add_errors
from portal.consortia import operations, queries
from portal.consortia.forms import (
    AcceptForm,
    DeclineForm,
    InviteByEmailForm,
    InviteOrganisationForm,
    SearchForm,
    SectionsForm,
    role_label,
)
from portal.consortia.operations import ConsortiumError, partner_name
from portal.core.access import authenticated, load, public, role_required
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.proposals.models import PartnerRole, Proposal, ProposalPartner
from portal.proposals.sections import SECTION_TITLES

log = logging.getLogger(__name__)
bp = Blueprint("consortia", __name__, url_prefix=None)


@bp.app_context_processor
def _template_helpers() -> dict:
    return {
        "partner_role_label": role_label,
        "partner_name": partner_name,
        "consortium_lists_for": queries.invitations_and_partnerships,
    }


@bp.app_template_filter("section_title")
def _section_title(key: str) -> str:
    return str(SECTION_TITLES.get(key, key))


# -- the lead's consortium page --------------------------------------------------------------------------------


def _load_managed(proposal_id: int) -> Proposal:
    """The draft proposal whose consortium the current user (of the lead organisation) manages: 404 for those who
    may not see the proposal, 403 for those who see it but do not lead it (co-applicants, staff)."""
    load(Proposal, proposal_id, need="manage_consortium")
    return queries.proposal_with_consortium(proposal_id)


def _load_partner(proposal: Proposal, partner_id: int) -> ProposalPartner:
    partner = next((p for p in proposal.partners if p.id == partner_id), None)
    if partner is None:
        abort(404)
    return partner


def _render_manage(proposal: Proposal, *, invite_form=None, email_form=None, search_form=None, status: int = 200):
    search_form = search_form or SearchForm(request.args)
    results = []
    searched = bool(request.args.get("q") or request.args.get("country"))
    if searched and search_form.validate():
        taken = {proposal.organisation_id, *(p.organisation_id for p in proposal.partners if p.organisation_id)}
        results = queries.search_organisations(search_form.q.data, search_form.country.data, exclude_ids=taken)
    sections_forms = {}
    for partner in proposal.partners:
        form = SectionsForm(prefix=f"p{partner.id}")
        form.sections.data = list(partner.editable_sections or [])
        sections_forms[partner.id] = form
    return (
        render_template(
            "consortia/manage.html",
            proposal=proposal,
            call=proposal.call,
            problems=operations.consortium_problems(proposal),
            search_form=search_form,
            searched=searched,
            results=results,
            invite_form=invite_form or InviteOrganisationForm(),
            email_form=email_form or InviteByEmailForm(),
            sections_forms=sections_forms,
            section_titles=SECTION_TITLES,
            type_names=operations.TYPE_SHORT_NAMES,
        ),
        status,
    )


@bp.route("/proposals/<int:proposal_id>/consortium", methods=["GET"])
@authenticated
def manage(proposal_id: int):
    return _render_manage(_load_managed(proposal_id))


@bp.route("/proposals/<int:proposal_id>/consortium/check", methods=["GET"])
@authenticated
def check(proposal_id: int):
    """The consortium's problems as JSON, for the page's script to refresh them without reloading."""
    proposal = _load_managed(proposal_id)
    problems = operations.consortium_problems(proposal)
    return jsonify(
        ok=not problems,
        problems=[{"anchor": anchor, "message": message} for anchor, message in problems],
    )


@bp.route("/proposals/<int:proposal_id>/consortium/invite", methods=["POST"])
@authenticated
def invite_organisation(proposal_id: int):
    proposal = _load_managed(proposal_id)
    form = InviteOrganisationForm()
    if not form.validate_on_submit():
        return _render_manage(proposal, invite_form=form, status=422)
    organisation = db.session.get(Organisation, form.organisation_id.data)
    if organisation is None:
        add_errors(form, [("organisation_id", _("Choose an organisation from the search results."))])
        return _render_manage(proposal, invite_form=form, status=422)
    try:
        operations.invite_organisation(proposal, organisation, form.role.data, by=current_user._get_current_object())
    except ConsortiumError as exc:
        db.session.rollback()
        add_errors(form, exc.errors)
        proposal = queries.proposal_with_consortium(proposal_id)
        return _render_manage(proposal, invite_form=form, status=422)
    db.session.commit()
    if form.role.data == PartnerRole.CO_APPLICANT:
        message = _("%(org)s is invited as a co-applicant. Its members have been told.", org=organisation.name)
    else:
        message = _("%(org)s is invited as an associated entity. Its members have been told.", org=organisation.name)
    flash(message, "success")
    return redirect(url_for("consortia.manage", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/consortium/invite-by-email", methods=["POST"])
@authenticated
def invite_by_email(proposal_id: int):
    proposal = _load_managed(proposal_id)
    form = InviteByEmailForm()
    if not form.validate_on_submit():
        return _render_manage(proposal, email_form=form, status=422)
    try:
        partner = operations.invite_by_email(
            proposal, form.email.data, form.name.data, form.role.data, by=current_user._get_current_object()
        )
    except ConsortiumError as exc:
        db.session.rollback()
        add_errors(form, exc.errors)
        proposal = queries.proposal_with_consortium(proposal_id)
        return _render_manage(proposal, email_form=form, status=422)
    db.session.commit()
    flash(_("An invitation was sent to %(email)s.", email=partner.invited_email), "success")
    return redirect(url_for("consortia.manage", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/consortium/<int:partner_id>/remove", methods=["POST"])
@authenticated
def remove(proposal_id: int, partner_id: int):
    proposal = _load_managed(proposal_id)
    partner = _load_partner(proposal, partner_id)
    name = partner_name(partner)
    try:
        operations.remove_partner(partner, by=current_user._get_current_object())
    except ConsortiumError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash(_("%(org)s is no longer in the consortium.", org=name), "success")
    return redirect(url_for("consortia.manage", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/consortium/<int:partner_id>/sections", methods=["POST"])
@authenticated
def sections(proposal_id: int, partner_id: int):
    proposal = _load_managed(proposal_id)
    partner = _load_partner(proposal, partner_id)
    form = SectionsForm(prefix=f"p{partner.id}")
    form.validate_on_submit()
    try:
        operations.set_editable_sections(partner, list(form.sections.data or []), by=current_user._get_current_object())
    except ConsortiumError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash(_("The sections %(org)s may edit have been saved.", org=partner_name(partner)), "success")
    return redirect(url_for("consortia.manage", proposal_id=proposal.id) + f"#partner-{partner.id}")


# -- the invited organisation's side ---------------------------------------------------------------------------


@bp.route("/consortium-invitations", methods=["GET"])
@role_required("applicant")
def invitations():
    consortium_invitations, partnerships = queries.invitations_and_partnerships(current_user)
    return render_template(
        "consortia/invitations.html", consortium_invitations=consortium_invitations, partnerships=partnerships
    )


def _load_invitation(partner_id: int) -> ProposalPartner:
    """An invitation to one of the user's organisations; 404 for everyone else (they may not know it exists)."""
    partner = db.session.get(ProposalPartner, partner_id)
    if partner is None or not operations.can_see_invitation(partner, current_user):
        abort(404)
    return partner


def _render_invitation(partner: ProposalPartner, decline_form=None, status: int = 200):
    return (
        render_template(
            "consortia/invitation.html",
            partner=partner,
            proposal=partner.proposal,
            call=partner.proposal.call,
            lead=partner.proposal.organisation,
            can_respond=operations.can_respond(partner, current_user) and partner.proposal.is_draft,
            accept_form=AcceptForm(),
            decline_form=decline_form or DeclineForm(),
            section_titles=SECTION_TITLES,
        ),
        status,
    )


@bp.route("/consortium-invitations/<int:partner_id>", methods=["GET"])
@authenticated
def invitation(partner_id: int):
    return _render_invitation(_load_invitation(partner_id))


@bp.route("/consortium-invitations/<int:partner_id>/accept", methods=["POST"])
@authenticated
def accept(partner_id: int):
    partner = _load_invitation(partner_id)
    try:
        operations.accept_invitation(partner, by=current_user._get_current_object())
    except ConsortiumError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("consortia.invitation", partner_id=partner_id))
    db.session.commit()
    flash(
        _(
            "%(org)s has joined the consortium of “%(title)s”. The lead applicant has been told.",
            org=partner.organisation.name,
            title=partner.proposal.title,
        ),
        "success",
    )
    return redirect(url_for("proposals.view", proposal_id=partner.proposal_id))


@bp.route("/consortium-invitations/<int:partner_id>/decline", methods=["POST"])
@authenticated
def decline(partner_id: int):
    partner = _load_invitation(partner_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_invitation(partner, decline_form=form, status=422)
    try:
        operations.decline_invitation(partner, form.reason.data, by=current_user._get_current_object())
    except ConsortiumError as exc:
        db.session.rollback()
        add_errors(form, exc.errors)
        return _render_invitation(db.session.get(ProposalPartner, partner_id), decline_form=form, status=422)
    db.session.commit()
    flash(_("You declined the invitation. The lead applicant has been told."), "success")
    return redirect(url_for("consortia.invitations"))


def _token_refused(message: str):
    return (
        render_template("consortia/join_refused.html", message=message),
        410,
    )


@bp.route("/consortium-invitations/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    """The link e-mailed to an organisation not yet registered. Anyone holding it may see the invitation; to
    accept they sign in (or register), register their organisation if need be, and choose it."""
    try:
        partner = operations.partner_for_token(token)
    except ConsortiumError as exc:
        return _token_refused(exc.messages[0])
    here = url_for("consortia.join", token=token)
    accept_form = AcceptForm()
    decline_form = DeclineForm()
    my_organisations = current_user.organisations if current_user.is_authenticated else []
    accept_form.organisation.choices = [(o.id, o.name) for o in my_organisations]
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        by = current_user._get_current_object() if current_user.is_authenticated else None
        try:
            if action == "decline":
                if decline_form.validate_on_submit():
                    operations.decline_invitation(partner, decline_form.reason.data, by=by)
                    db.session.commit()
                    flash(_("You declined the invitation. The lead applicant has been told."), "success")
                    return redirect(url_for("main.home"))
                status = 422
            elif action == "accept" and by is not None:
                accept_form.validate_on_submit()
                chosen = next((o for o in my_organisations if o.id == accept_form.organisation.data), None)
                if chosen is None and len(my_organisations) == 1:
                    chosen = my_organisations[0]
                operations.accept_invitation(partner, by=by, organisation=chosen)
                db.session.commit()
                flash(
                    _(
                        "%(org)s has joined the consortium of “%(title)s”. The lead applicant has been told.",
                        org=chosen.name,
                        title=partner.proposal.title,
                    ),
                    "success",
                )
                return redirect(url_for("proposals.view", proposal_id=partner.proposal_id))
            elif action == "accept":
                return redirect(url_for("accounts.login", next=here))
            else:
                status = 400
        except ConsortiumError as exc:
            db.session.rollback()
            add_errors(decline_form if action == "decline" else accept_form, exc.errors)
            status = 422
            partner = db.session.get(ProposalPartner, partner.id)
    return (
        render_template(
            "consortia/join.html",
            partner=partner,
            proposal=partner.proposal,
            call=partner.proposal.call,
            lead=partner.proposal.organisation,
            accept_form=accept_form,
            decline_form=decline_form,
            my_organisations=my_organisations,
            here=here,
            token=token,
        ),
        status,
    )
