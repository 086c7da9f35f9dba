"""Organisations: the user's own, creating one (without duplicates), its page, editing it, inviting colleagues,
requests to join and the contact person."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import show_error
from portal.accounts.operations import AccountError
from portal.consortia import queries as consortium_queries
from portal.core.access import authenticated, load, role_required
from portal.core.urls import is_local_path
from portal.extensions import db
from portal.organisations import operations, queries
from portal.organisations.forms import (
    HandOverContactForm,
    InviteMemberForm,
    MembershipRequestForm,
    OrganisationForm,
    type_label,
)
from portal.organisations.models import MembershipRequest, Organisation
from portal.organisations.operations import FIELDS, DuplicateOrganisationError, OrganisationError

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"organisation_type_label": type_label}


def _form_data(form: OrganisationForm) -> dict:
    return {name: form[name].data for name in FIELDS}


@bp.route("", methods=["GET"])
@authenticated
def mine():
    return render_template(
        "organisations/mine.html",
        memberships=queries.memberships_of(current_user),
        pending_requests=queries.requests_of(current_user),
    )


def _next_target() -> str | None:
    """Where to go after registering an organisation (a consortium invitation link, for example)."""
    target = request.values.get("next")
    return target if is_local_path(target) else None


@bp.route("/new", methods=["GET", "POST"])
@authenticated
def create():
    form = OrganisationForm()
    matches = None
    if form.validate_on_submit():
        try:
            organisation = operations.create_organisation(
                _form_data(form),
                by=current_user._get_current_object(),
                confirmed_distinct_from=form.confirmed_distinct_from(),
            )
        except DuplicateOrganisationError as err:
            db.session.rollback()
            show_error(form, err)
            matches = err.matches
            form.seen_matches.data = ",".join(str(o.id) for o in matches.similar)
            form.confirm_distinct.data = False
        except OrganisationError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("%(name)s is registered. You are its contact person.", name=organisation.name), "success")
            return redirect(_next_target() or url_for("organisations.view", org_id=organisation.id))
    return render_template(
        "organisations/form.html",
        form=form,
        organisation=None,
        matches=matches,
        next_target=_next_target(),
        pending_requests=queries.requests_of(current_user),
    )


@bp.route("/<int:org_id>", methods=["GET"])
@authenticated
def view(org_id: int):
    organisation = load(Organisation, org_id)
    can_edit = organisation.can_edit(current_user)
    contact = operations.contact_of(organisation)
    return render_template(
        "organisations/view.html",
        organisation=organisation,
        members=queries.members(organisation),
        invitations=queries.pending_invitations(organisation),
        join_requests=queries.pending_requests(organisation) if can_edit else [],
        consortium_invitations=consortium_queries.pending_invitations_of(organisation) if can_edit else [],
        can_edit=can_edit,
        is_contact=contact is not None and contact.user_id == current_user.id,
        contact_form=HandOverContactForm(),
    )


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@authenticated
def edit(org_id: int):
    organisation = load(Organisation, org_id, need="edit")
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            operations.update_organisation(organisation, _form_data(form), by=current_user._get_current_object())
        except OrganisationError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("The organisation's details have been saved."), "success")
            return redirect(url_for("organisations.view", org_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=organisation)


@bp.route("/<int:org_id>/members/invite", methods=["GET", "POST"])
@authenticated
def invite_member(org_id: int):
    organisation = load(Organisation, org_id, need="edit")
    form = InviteMemberForm()
    if form.validate_on_submit():
        try:
            invitation = operations.invite_member(organisation, form.email.data, by=current_user._get_current_object())
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("An invitation was sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("organisations.view", org_id=organisation.id))
    return render_template("organisations/invite.html", form=form, organisation=organisation)


@bp.route("/<int:org_id>/contact", methods=["POST"])
@authenticated
def hand_over_contact(org_id: int):
    organisation = load(Organisation, org_id, need="edit")
    form = HandOverContactForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("organisations.view", org_id=organisation.id))
    try:
        target = operations.hand_over_contact(
            organisation, form.membership_id.data, by=current_user._get_current_object()
        )
    except OrganisationError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s is now the contact person.", name=target.user.display_name), "success")
    return redirect(url_for("organisations.view", org_id=organisation.id))


@bp.route("/<int:org_id>/join", methods=["GET", "POST"])
@role_required("applicant")
def request_membership(org_id: int):
    # Anyone registering their organisation may find it exists and ask to join: the page shows the name, type and
    # country the duplicate warning already showed, never the members.
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        abort(404)
    if organisation.is_member(current_user):
        flash(_("You are already a member of %(name)s.", name=organisation.name), "info")
        return redirect(url_for("organisations.view", org_id=organisation.id))
    pending = operations.pending_request(organisation, current_user)
    form = MembershipRequestForm()
    if pending is None and form.validate_on_submit():
        try:
            operations.request_membership(organisation, form.message.data, by=current_user._get_current_object())
        except OrganisationError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(
                _(
                    "Your request to join %(name)s was sent to its members. You will receive an e-mail when one "
                    "of them answers.",
                    name=organisation.name,
                ),
                "success",
            )
            return redirect(url_for("organisations.mine"))
    return render_template("organisations/join.html", form=form, organisation=organisation, pending=pending)


def _decide_request(request_id: int, accept: bool):
    join_request = load(MembershipRequest, request_id)
    organisation = join_request.organisation
    if not organisation.is_member(current_user):
        abort(403)  # the requester sees their request but does not answer it
    by = current_user._get_current_object()
    try:
        if accept:
            operations.accept_membership_request(join_request, by=by)
        else:
            operations.decline_membership_request(join_request, by=by)
    except OrganisationError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        name = join_request.user.display_name
        if accept:
            flash(_("%(name)s is now a member of the organisation.", name=name), "success")
        else:
            flash(_("The request of %(name)s was declined; they have been told.", name=name), "success")
    return redirect(url_for("organisations.view", org_id=organisation.id))


@bp.route("/requests/<int:request_id>/accept", methods=["POST"])
@authenticated
def accept_request(request_id: int):
    return _decide_request(request_id, accept=True)


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@authenticated
def decline_request(request_id: int):
    return _decide_request(request_id, accept=False)
