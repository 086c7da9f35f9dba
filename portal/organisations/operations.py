"""Organisations: create, edit, invite colleagues. Operations check the rules, change the objects, write the audit
entry and flush; the route commits."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Invitation, Role, User
from portal.accounts.operations import invite_user
from portal.core import countries
from portal.core.audit import record, snapshot
from portal.extensions import db
from portal.organisations.models import ORGANISATION_TYPE_VALUES, Membership, Organisation

log = logging.getLogger(__name__)

FIELDS = ["legal_name", "acronym", "type", "country", "registration_number", "website"]


class OrganisationError(ValueError):
    """A rule of the organisations area was not met; `message` is for the user, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _clean(data: dict) -> dict:
    values = {name: (data.get(name) or "").strip() for name in FIELDS}
    values["country"] = values["country"].upper()
    values["acronym"] = values["acronym"] or None
    values["website"] = values["website"] or None
    if not values["legal_name"]:
        raise OrganisationError(_("Enter the organisation's legal name."), field="legal_name")
    if values["type"] not in ORGANISATION_TYPE_VALUES:
        raise OrganisationError(_("Choose the type of organisation."), field="type")
    if not countries.is_valid(values["country"]):
        raise OrganisationError(_("Choose the country where the organisation is registered."), field="country")
    if not values["registration_number"]:
        raise OrganisationError(_("Enter the registration number."), field="registration_number")
    if values["website"] and not values["website"].lower().startswith(("http://", "https://")):
        raise OrganisationError(_("Enter a full web address, like https://www.example.org."), field="website")
    return values


def _duplicate_error(country: str) -> OrganisationError:
    return OrganisationError(
        _(
            "An organisation with this registration number is already registered in %(country)s. "
            "Ask one of its members to invite you to it.",
            country=countries.name(country),
        ),
        field="registration_number",
    )


def _check_unique(values: dict, exclude_id: int | None = None) -> None:
    query = db.select(Organisation.id).where(
        Organisation.country == values["country"],
        func.upper(Organisation.registration_number) == values["registration_number"].upper(),
    )
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise _duplicate_error(values["country"])


def _flush_unique(country: str) -> None:
    """Flush inside a savepoint so that a duplicate created at the same moment by someone else becomes a message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _duplicate_error(country) from exc


def create_organisation(data: dict, *, by: User) -> Organisation:
    """Register an organisation; its creator becomes a member and its contact person."""
    values = _clean(data)
    _check_unique(values)
    organisation = Organisation(**values, created_by_id=by.id)
    db.session.add(organisation)
    db.session.add(Membership(user=by, organisation=organisation, is_contact=True))
    _flush_unique(values["country"])
    record("organisation.create", organisation, actor=by, after=snapshot(organisation, FIELDS))
    db.session.flush()
    return organisation


def update_organisation(organisation: Organisation, data: dict, *, by: User) -> Organisation:
    if not organisation.can_edit(by):
        raise OrganisationError(_("Only members of the organisation can change its details."))
    values = _clean(data)
    _check_unique(values, exclude_id=organisation.id)
    before = snapshot(organisation, FIELDS)
    for name, value in values.items():
        setattr(organisation, name, value)
    _flush_unique(values["country"])
    after = snapshot(organisation, FIELDS)
    if after != before:
        changed = [name for name in FIELDS if before[name] != after[name]]
        record(
            "organisation.update",
            organisation,
            actor=by,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    db.session.flush()
    return organisation


def invite_member(organisation: Organisation, email: str, *, by: User) -> Invitation:
    """E-mail a colleague a link to join the organisation (creating their account if they have none)."""
    return invite_user(email, Role.APPLICANT.value, organisation=organisation, by=by)
