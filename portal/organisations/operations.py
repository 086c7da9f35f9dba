"""Organisations: create (without duplicates), edit, invite colleagues, requests to join, the contact person.
Operations check the rules, change the objects, write the audit entry and flush; the route commits."""

from __future__ import annotations

import logging
import re

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Invitation, Role, User
from portal.accounts.operations import invite_user
from portal.core import countries, mail
from portal.core.audit import record, snapshot
from portal.core.db import utcnow
from portal.core.i18n import locale_code
from portal.core.urls import external_url
from portal.extensions import db
from portal.organisations.matching import Matches, find_matches
from portal.organisations.models import (
    ORGANISATION_TYPE_VALUES,
    Membership,
    MembershipRequest,
    MembershipRequestStatus,
    Organisation,
)

log = logging.getLogger(__name__)

FIELDS = [
    "legal_name",
    "acronym",
    "type",
    "country",
    "registration_number",
    "website",
    "address",
    "email",
    "phone",
    "legal_representative",
    "legal_representative_title",
]
OPTIONAL_FIELDS = (
    "acronym",
    "website",
    "address",
    "email",
    "phone",
    "legal_representative",
    "legal_representative_title",
)
REQUEST_MESSAGE_MAX_LENGTH = 2000
# Deliberately loose (the form's e-mail validator does the full check): one "@", something on each side, a dot after.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OrganisationError(ValueError):
    """A rule of the organisations area was not met; `message` is for the user, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateOrganisationError(OrganisationError):
    """The organisation seems to be registered already; `matches` lists the candidates and `exact` says whether
    one has the same registration number (then it cannot be registered again)."""

    def __init__(self, message: str, field: str, matches: Matches) -> None:
        super().__init__(message, field)
        self.matches = matches

    @property
    def exact(self) -> bool:
        return bool(self.matches.exact)


def _clean(data: dict) -> dict:
    values = {name: (data.get(name) or "").strip() for name in FIELDS}
    values["country"] = values["country"].upper()
    for name in OPTIONAL_FIELDS:
        values[name] = values[name] or None
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
    if values["email"] and not _EMAIL.match(values["email"]):
        raise OrganisationError(_("Enter a valid e-mail address, like name@example.org."), field="email")
    return values


def _duplicate_message(country: str) -> str:
    return _(
        "An organisation with this registration number is already registered in %(country)s. "
        "Ask to join it instead of registering it again.",
        country=countries.name(country, locale_code()),
    )


def _duplicate_error(country: str) -> OrganisationError:
    return OrganisationError(_duplicate_message(country), field="registration_number")


def _check_unique(values: dict, exclude_id: int | None = None) -> None:
    matches = find_matches(values["country"], values["registration_number"], "", exclude_id=exclude_id)
    if matches.exact:
        raise OrganisationError(
            _(
                "Another organisation is registered in %(country)s with this registration number.",
                country=countries.name(values["country"], locale_code()),
            ),
            field="registration_number",
        )


def _check_not_registered(values: dict, confirmed_distinct_from: set[int]) -> list[int]:
    """Refuse a registration that exists already; a near-identical name passes only once the user confirmed that
    every such organisation is a different one. Returns the ids of the organisations they confirmed."""
    matches = find_matches(values["country"], values["registration_number"], values["legal_name"])
    if matches.exact:
        raise DuplicateOrganisationError(_duplicate_message(values["country"]), "registration_number", matches)
    unconfirmed = [o for o in matches.similar if o.id not in confirmed_distinct_from]
    if unconfirmed:
        raise DuplicateOrganisationError(
            _(
                "An organisation with a nearly identical name is already registered in %(country)s. If it is yours, "
                "ask to join it. If yours is a different organisation, confirm it below and register it.",
                country=countries.name(values["country"], locale_code()),
            ),
            "legal_name",
            matches,
        )
    return [o.id for o in matches.similar]


def _flush_unique(country: str) -> None:
    """Flush inside a savepoint so that a duplicate created at the same moment by someone else becomes a message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _duplicate_error(country) from exc


def create_organisation(data: dict, *, by: User, confirmed_distinct_from: set[int] | None = None) -> Organisation:
    """Register an organisation; its creator becomes a member and its contact person.

    Raises DuplicateOrganisationError when it seems registered already (see `_check_not_registered`)."""
    values = _clean(data)
    confirmed = _check_not_registered(values, set(confirmed_distinct_from or ()))
    organisation = Organisation(**values, created_by_id=by.id)
    db.session.add(organisation)
    db.session.add(Membership(user=by, organisation=organisation, is_contact=True))
    _flush_unique(values["country"])
    after = snapshot(organisation, FIELDS)
    if confirmed:
        after["confirmed_distinct_from"] = confirmed
    record("organisation.create", organisation, actor=by, after=after)
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


# -- the contact person --------------------------------------------------------------------------------------------


def contact_of(organisation: Organisation) -> Membership | None:
    return next((m for m in organisation.memberships if m.is_contact), None)


def hand_over_contact(organisation: Organisation, membership_id: int | None, *, by: User) -> Membership:
    """The contact person makes another member the organisation's contact."""
    current = contact_of(organisation)
    if current is None or current.user_id != by.id:
        raise OrganisationError(_("Only the contact person can hand over that role."))
    target = next((m for m in organisation.memberships if m.id == membership_id), None)
    if target is None:
        raise OrganisationError(_("Choose a member of the organisation."), field="membership_id")
    if target.id == current.id:
        raise OrganisationError(_("You are already the contact person."), field="membership_id")
    for m in organisation.memberships:
        m.is_contact = m.id == target.id
    record(
        "organisation.contact_change",
        organisation,
        actor=by,
        before={"contact_user_id": current.user_id},
        after={"contact_user_id": target.user_id},
    )
    db.session.flush()
    return target


# -- requests to join --------------------------------------------------------------------------------------------


def pending_request(organisation: Organisation, user: User) -> MembershipRequest | None:
    return db.session.scalar(
        db.select(MembershipRequest).where(
            MembershipRequest.organisation_id == organisation.id,
            MembershipRequest.user_id == user.id,
            MembershipRequest.status == MembershipRequestStatus.PENDING.value,
        )
    )


def request_membership(organisation: Organisation, message: str, *, by: User) -> MembershipRequest:
    """Ask the members of an organisation already registered to let `by` join it; they are e-mailed."""
    if organisation.is_member(by):
        raise OrganisationError(_("You are already a member of %(name)s.", name=organisation.name))
    if pending_request(organisation, by) is not None:
        raise OrganisationError(
            _("You have already asked to join %(name)s; its members have not answered yet.", name=organisation.name)
        )
    message = (message or "").strip()
    if not message:
        raise OrganisationError(
            _("Write a few words for the members: who you are and what you do in the organisation."), field="message"
        )
    if len(message) > REQUEST_MESSAGE_MAX_LENGTH:
        raise OrganisationError(
            _("The message has at most %(max)d characters.", max=REQUEST_MESSAGE_MAX_LENGTH), field="message"
        )
    request = MembershipRequest(organisation=organisation, user=by, message=message)
    db.session.add(request)
    db.session.flush()
    record(
        "membership_request.create",
        request,
        actor=by,
        after={"organisation_id": organisation.id, "user_id": by.id, "message": message},
    )
    link = external_url("organisations.view", org_id=organisation.id)
    for membership in organisation.memberships:
        member = membership.user
        mail.send(
            member.email,
            "organisations_membership_request",
            member.locale or "en",
            member=member,
            requester=by,
            organisation=organisation,
            message=message,
            link=link,
        )
    db.session.flush()
    return request


def _decide(request: MembershipRequest, status: MembershipRequestStatus, by: User) -> None:
    if request.status != MembershipRequestStatus.PENDING:
        raise OrganisationError(_("This request has already been answered."))
    if not request.organisation.is_member(by):
        raise OrganisationError(_("Only members of the organisation can answer a request to join it."))
    request.status = status.value
    request.decided_at = utcnow()
    request.decided_by_id = by.id


def accept_membership_request(request: MembershipRequest, *, by: User) -> Membership:
    """A member lets the requester in: they become a member (not the contact) and are e-mailed."""
    _decide(request, MembershipRequestStatus.ACCEPTED, by)
    organisation, requester = request.organisation, request.user
    if organisation.is_member(requester):
        raise OrganisationError(_("%(name)s is already a member.", name=requester.display_name))
    membership = Membership(user=requester, organisation=organisation, is_contact=False)
    db.session.add(membership)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # someone accepted the same person at the same moment
        raise OrganisationError(_("%(name)s is already a member.", name=requester.display_name)) from exc
    record(
        "membership_request.accept",
        request,
        actor=by,
        before={"status": "pending"},
        after={"status": request.status, "membership_id": membership.id},
    )
    record(
        "membership.create",
        membership,
        actor=by,
        after={"organisation_id": organisation.id, "user_id": requester.id, "is_contact": False},
    )
    _tell_requester(request, accepted=True)
    db.session.flush()
    return membership


def decline_membership_request(request: MembershipRequest, *, by: User) -> MembershipRequest:
    _decide(request, MembershipRequestStatus.DECLINED, by)
    record("membership_request.decline", request, actor=by, before={"status": "pending"}, after={"status": "declined"})
    _tell_requester(request, accepted=False)
    db.session.flush()
    return request


def _tell_requester(request: MembershipRequest, *, accepted: bool) -> None:
    requester, organisation = request.user, request.organisation
    mail.send(
        requester.email,
        "organisations_membership_decided",
        requester.locale or "en",
        requester=requester,
        organisation=organisation,
        accepted=accepted,
        link=external_url("organisations.view", org_id=organisation.id) if accepted else external_url("main.home"),
    )
