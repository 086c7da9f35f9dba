"""Organisations: the user's own, creating one, its page, editing it and inviting colleagues."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import show_error
from portal.accounts.operations import AccountError
from portal.core.access import authenticated, load
from portal.extensions import db
from portal.organisations import operations, queries
from portal.organisations.forms import InviteMemberForm, OrganisationForm, type_label
from portal.organisations.models import Organisation
from portal.organisations.operations import FIELDS, OrganisationError

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"organisation_type_label": type_label}


def _form_data(form: OrganisationForm) -> dict:
    return {name: form[name].data for name in FIELDS}


@bp.route("", methods=["GET"])
@authenticated
def mine():
    return render_template("organisations/mine.html", memberships=queries.memberships_of(current_user))


@bp.route("/new", methods=["GET", "POST"])
@authenticated
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = operations.create_organisation(_form_data(form), by=current_user._get_current_object())
        except OrganisationError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("%(name)s is registered. You are its contact person.", name=organisation.name), "success")
            return redirect(url_for("organisations.view", org_id=organisation.id))
    return render_template("organisations/form.html", form=form, organisation=None)


@bp.route("/<int:org_id>", methods=["GET"])
@authenticated
def view(org_id: int):
    organisation = load(Organisation, org_id)
    return render_template(
        "organisations/view.html",
        organisation=organisation,
        members=queries.members(organisation),
        invitations=queries.pending_invitations(organisation),
        can_edit=organisation.can_edit(current_user),
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
