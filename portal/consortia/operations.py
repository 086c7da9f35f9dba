"""Consortium building: the lead applicant invites co-applicants and associated entities (an organisation already
registered, or one not yet registered by e-mail), invited organisations accept or decline, the lead removes partners
and gives co-applicants sections of the form to edit; and the call's consortium rules, checked live on the consortium
page and again at submission (`consortium_problems`).

Operations check their preconditions, change the objects, write the audit entry and flush; they never commit and
never read the request. A broken rule raises ConsortiumError with the message a person reads."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.core import countries, mail
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.core.i18n import locale_code
from portal.core.urls import external_url
from portal.extensions import db
from portal.organisations.models import Organisation, OrganisationType
from portal.proposals.models import (
    BudgetLine,
    PartnerRole,
    PartnerStatus,
    Proposal,
    ProposalPartner,
)
from portal.proposals.sections import SECTION_KEYS

log = logging.getLogger(__name__)

TOKEN_SALT = "consortium-invitation"  # noqa: S105 - a salt that separates these links from others, no secret
DECLINE_REASON_MAX_LENGTH = 2000
ROLE_VALUES = (PartnerRole.CO_APPLICANT.value, PartnerRole.ASSOCIATED.value)

# One sentence per organisation type, so that each language can agree its words with the type.
NOT_ELIGIBLE_MESSAGES = {
    OrganisationType.NGO.value: _l("%(org)s is a civil-society organisation; this call is open to: %(types)s."),
    OrganisationType.RESEARCH.value: _l("%(org)s is a research institution; this call is open to: %(types)s."),
    OrganisationType.DIASPORA.value: _l("%(org)s is a diaspora organisation; this call is open to: %(types)s."),
    OrganisationType.LOCAL_AUTHORITY.value: _l("%(org)s is a local authority; this call is open to: %(types)s."),
    OrganisationType.PRIVATE_SECTOR.value: _l("%(org)s is a private company; this call is open to: %(types)s."),
    OrganisationType.INTERNATIONAL.value: _l(
        "%(org)s is an international organisation; this call is open to: %(types)s."
    ),
}
# The short names of the types, for the list of those a call admits.
TYPE_SHORT_NAMES = {
    OrganisationType.NGO.value: _l("NGO"),
    OrganisationType.RESEARCH.value: _l("research institution"),
    OrganisationType.DIASPORA.value: _l("diaspora organisation"),
    OrganisationType.LOCAL_AUTHORITY.value: _l("local authority"),
    OrganisationType.PRIVATE_SECTOR.value: _l("private company"),
    OrganisationType.INTERNATIONAL.value: _l("international organisation"),
}


class ConsortiumError(RuleError):
    """A broken rule of consortium building; see portal.core.errors.RuleError."""


# -- who is who ------------------------------------------------------------------------------------------------


def partner_name(partner: ProposalPartner) -> str:
    """The partner as people know it: its organisation once known, else the name the lead gave with the e-mail."""
    if partner.organisation is not None:
        return partner.organisation.name
    return partner.invited_name or partner.invited_email or ""


def can_respond(partner: ProposalPartner, user) -> bool:
    """Members of an invited (registered) organisation answer its invitation."""
    return (
        bool(user.is_authenticated)
        and partner.status == PartnerStatus.INVITED
        and partner.organisation_id is not None
        and partner.organisation_id in user.organisation_ids()
    )


def can_see_invitation(partner: ProposalPartner, user) -> bool:
    """The invitation page: members of the invited organisation, whatever its answer."""
    return (
        bool(user.is_authenticated)
        and partner.organisation_id is not None
        and partner.organisation_id in user.organisation_ids()
    )


def co_applicants(proposal: Proposal, *, status: str | None = PartnerStatus.ACCEPTED) -> list[ProposalPartner]:
    return [
        p for p in proposal.partners if p.role == PartnerRole.CO_APPLICANT and (status is None or p.status == status)
    ]


# -- the call's consortium rules -------------------------------------------------------------------------------


def _types_list(types: list[str]) -> str:
    return ", ".join(str(TYPE_SHORT_NAMES.get(t, t)) for t in types)


def type_problem(call, organisation: Organisation) -> str | None:
    """Why the organisation's type is not admitted by the call, or None."""
    eligible = call.applicant_types
    if not eligible or organisation.type in eligible:
        return None
    message = NOT_ELIGIBLE_MESSAGES.get(organisation.type)
    if message is None:
        return None
    return str(message) % {"org": organisation.name, "types": _types_list(eligible)}


def consortium_problems(proposal: Proposal) -> list[tuple[str, str]]:
    """Everything in the consortium that the call's rules do not admit, as (anchor, message) pairs.

    Anchors are ids on the consortium page (consortia.manage): "consortium" for the consortium as a whole,
    "partner-<id>" for one partner. Only partners who accepted count; pending and declined invitations are
    problems of their own (a co-applicant must confirm before submission; a declined one must be removed).
    The African-Union and type rules concern the lead and co-applicants, who apply and receive funds;
    associated entities take part without funds and are not counted."""
    call = proposal.call
    lead = proposal.organisation
    problems: list[tuple[str, str]] = []
    accepted = co_applicants(proposal)
    count = len(accepted)

    if count < call.min_co_applicants:
        problems.append(
            (
                "consortium",
                ngettext(
                    "This call needs at least %(num)d co-applicant; the consortium has %(count)d.",
                    "This call needs at least %(num)d co-applicants; the consortium has %(count)d.",
                    call.min_co_applicants,
                    count=count,
                ),
            )
        )
    if call.max_co_applicants is not None and count > call.max_co_applicants:
        problems.append(
            (
                "consortium",
                ngettext(
                    "This call allows at most %(num)d co-applicant; the consortium has %(count)d.",
                    "This call allows at most %(num)d co-applicants; the consortium has %(count)d.",
                    call.max_co_applicants,
                    count=count,
                ),
            )
        )

    if call.lead_countries and lead.country not in call.lead_countries:
        problems.append(
            (
                "consortium",
                _(
                    "%(org)s is based in %(country)s; the lead applicant of this call must be based in: %(countries)s.",
                    org=lead.name,
                    country=countries.name(lead.country, locale_code()),
                    countries=", ".join(countries.name(c, locale_code()) for c in call.lead_countries),
                ),
            )
        )

    members = [lead, *(p.organisation for p in accepted)]
    if call.require_african_member and not any(countries.is_african(o.country) for o in members):
        problems.append(
            (
                "consortium",
                _("At least one organisation of the consortium must be based in a member state of the African Union."),
            )
        )
    if (
        call.eu_lead_needs_african_co_applicant
        and countries.is_european(lead.country)
        and not any(countries.is_african(p.organisation.country) for p in accepted)
    ):
        problems.append(
            ("consortium", _("An EU-based lead applicant needs at least one co-applicant based in Africa."))
        )

    lead_type = type_problem(call, lead)
    if lead_type:
        problems.append(("consortium", lead_type))
    for partner in accepted:
        wrong_type = type_problem(call, partner.organisation)
        if wrong_type:
            problems.append((f"partner-{partner.id}", wrong_type))

    funded = {line.partner_id for line in proposal.budget_lines if line.partner_id is not None}
    for partner in proposal.partners:
        if partner.role == PartnerRole.ASSOCIATED and (partner.id in funded or partner.budget_share):
            problems.append(
                (
                    f"partner-{partner.id}",
                    _(
                        "%(org)s is an associated entity and receives no funds: remove its budget lines.",
                        org=partner_name(partner),
                    ),
                )
            )
    for partner in proposal.partners:
        if partner.status == PartnerStatus.INVITED:
            problems.append(
                (f"partner-{partner.id}", _("%(org)s has not yet accepted the invitation.", org=partner_name(partner)))
            )
        elif partner.status == PartnerStatus.DECLINED:
            problems.append(
                (
                    f"partner-{partner.id}",
                    _("%(org)s declined the invitation; remove it from the consortium.", org=partner_name(partner)),
                )
            )
    return problems


# -- inviting --------------------------------------------------------------------------------------------------


def _check_can_manage(proposal: Proposal, by) -> None:
    if not proposal.is_draft:
        raise ConsortiumError(_("This proposal has been submitted; its consortium can no longer change."))
    if not proposal.can_manage_consortium(by):
        raise ConsortiumError(_("Only the lead applicant can change the consortium."))


def _check_role(role: str) -> None:
    if role not in ROLE_VALUES:
        raise ConsortiumError(_("Choose whether the organisation is a co-applicant or an associated entity."), "role")


def _check_room_for_co_applicant(proposal: Proposal) -> None:
    """Invitations beyond the call's maximum are refused (pending ones count here, to keep the lead from inviting
    more organisations than can take part)."""
    limit = proposal.call.max_co_applicants
    if limit is None:
        return
    taken = [p for p in co_applicants(proposal, status=None) if p.status != PartnerStatus.DECLINED]
    if len(taken) >= limit:
        raise ConsortiumError(
            ngettext(
                "This call allows at most %(num)d co-applicant; the consortium already has %(count)d, counting "
                "pending invitations.",
                "This call allows at most %(num)d co-applicants; the consortium already has %(count)d, counting "
                "pending invitations.",
                limit,
                count=len(taken),
            )
        )


def _audit_partner(action: str, partner: ProposalPartner, by, before: dict | None = None, **after) -> None:
    facts = {
        "proposal_id": partner.proposal_id,
        "organisation_id": partner.organisation_id,
        "invited_email": partner.invited_email,
        "role": partner.role,
        "status": partner.status,
    }
    facts.update(after)
    record(action, partner, actor=by, before=before, after=facts)


def invite_organisation(proposal: Proposal, organisation: Organisation, role: str, *, by) -> ProposalPartner:
    """Invite an organisation already registered; its members are e-mailed and see the invitation."""
    _check_can_manage(proposal, by)
    _check_role(role)
    if organisation.id == proposal.organisation_id:
        raise ConsortiumError(_("%(org)s is the lead applicant of this proposal.", org=organisation.name))
    existing = next((p for p in proposal.partners if p.organisation_id == organisation.id), None)
    if existing is not None and existing.status != PartnerStatus.DECLINED:
        raise ConsortiumError(_("%(org)s is already in the consortium.", org=organisation.name))
    if role == PartnerRole.CO_APPLICANT:
        _check_room_for_co_applicant(proposal)
        wrong_type = type_problem(proposal.call, organisation)
        if wrong_type:
            raise ConsortiumError(wrong_type)

    before = None
    if existing is not None:  # invited again after declining: the same row, asked again
        before = {"status": existing.status, "role": existing.role, "decline_reason": existing.decline_reason}
        partner = existing
        partner.status = PartnerStatus.INVITED.value
        partner.role = role
        partner.decline_reason = ""
        partner.responded_at = None
        partner.responded_by_id = None
        partner.invited_at = utcnow()
        partner.invited_by_id = by.id
    else:
        partner = ProposalPartner(
            proposal=proposal,
            organisation=organisation,
            role=role,
            status=PartnerStatus.INVITED.value,
            invited_by_id=by.id,
            invited_at=utcnow(),
            editable_sections=[],
        )
        db.session.add(partner)
    if role == PartnerRole.ASSOCIATED:
        partner.budget_share = None
        partner.editable_sections = []
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # the same organisation invited at the same moment by a colleague
        raise ConsortiumError(_("%(org)s is already in the consortium.", org=organisation.name)) from exc
    _audit_partner("consortium.invite", partner, by, before=before)

    link = external_url("consortia.invitation", partner_id=partner.id)
    for membership in organisation.memberships:
        member = membership.user
        mail.send(
            member.email,
            "consortia_invitation",
            member.locale or "en",
            member=member,
            partner=partner,
            proposal=proposal,
            call=proposal.call,
            lead=proposal.organisation,
            organisation=organisation,
            inviter=by,
            link=link,
        )
    db.session.flush()
    return partner


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _token_stamp(partner: ProposalPartner) -> int:
    # The moment of the invitation to the second: a link stops working when the lead invites again.
    return int(partner.invited_at.timestamp())


def make_invitation_token(partner: ProposalPartner) -> str:
    return _serializer().dumps({"p": partner.id, "e": partner.invited_email, "t": _token_stamp(partner)})


def token_max_age() -> int:
    return int(current_app.config["INVITATION_MAX_AGE_DAYS"]) * 24 * 3600


def invite_by_email(proposal: Proposal, email: str, name: str, role: str, *, by) -> ProposalPartner:
    """Invite an organisation not yet registered: a signed, single-use link is e-mailed to `email`. Whoever opens
    it signs in (or registers), registers the organisation if need be, and accepts on its behalf."""
    from portal.accounts.operations import normalise_email

    _check_can_manage(proposal, by)
    _check_role(role)
    email = normalise_email(email)
    name = (name or "").strip()
    if not email or "@" not in email:
        raise ConsortiumError(_("Enter a valid e-mail address, like name@example.org."), "email")
    if not name:
        raise ConsortiumError(_("Enter the name of the organisation."), "name")
    if len(name) > 300:
        raise ConsortiumError(_("The name has at most 300 characters."), "name")
    for other in proposal.partners:
        if other.organisation_id is None and other.invited_email == email and other.status == PartnerStatus.INVITED:
            raise ConsortiumError(
                _("An invitation to %(email)s is already waiting for an answer.", email=email), "email"
            )
    if role == PartnerRole.CO_APPLICANT:
        _check_room_for_co_applicant(proposal)
    partner = ProposalPartner(
        proposal=proposal,
        organisation_id=None,
        invited_email=email,
        invited_name=name,
        role=role,
        status=PartnerStatus.INVITED.value,
        invited_by_id=by.id,
        invited_at=utcnow().replace(microsecond=0),
        editable_sections=[],
    )
    db.session.add(partner)
    db.session.flush()
    _audit_partner("consortium.invite_by_email", partner, by, invited_name=name)
    mail.send(
        email,
        "consortia_invitation_email",
        by.locale or "en",
        partner=partner,
        proposal=proposal,
        call=proposal.call,
        lead=proposal.organisation,
        name=name,
        inviter=by,
        link=external_url("consortia.join", token=make_invitation_token(partner)),
        days=current_app.config["INVITATION_MAX_AGE_DAYS"],
    )
    db.session.flush()
    return partner


def partner_for_token(token: str, *, max_age: int | None = None) -> ProposalPartner:
    """The invitation behind an e-mailed link; ConsortiumError (with the reason) when it is forged, expired,
    withdrawn, already used, or its proposal was submitted."""
    try:
        data = _serializer().loads(token, max_age=token_max_age() if max_age is None else max_age)
    except SignatureExpired as exc:
        raise ConsortiumError(
            _("This invitation link has expired. Ask the lead applicant to invite your organisation again.")
        ) from exc
    except BadSignature as exc:
        raise ConsortiumError(_("This invitation link is not valid. Check that you copied the whole link.")) from exc
    partner = db.session.get(ProposalPartner, data.get("p")) if isinstance(data, dict) else None
    if partner is None or partner.invited_email != data.get("e") or _token_stamp(partner) != data.get("t"):
        raise ConsortiumError(_("This invitation is no longer valid: the lead applicant withdrew or renewed it."))
    if partner.status != PartnerStatus.INVITED or partner.organisation_id is not None:
        raise ConsortiumError(_("This invitation has already been answered."))
    if not partner.proposal.is_draft:
        raise ConsortiumError(_("This proposal has been submitted; its consortium can no longer change."))
    return partner


# -- answering -------------------------------------------------------------------------------------------------


def _tell_lead(partner: ProposalPartner, accepted: bool) -> None:
    proposal = partner.proposal
    recipient = db.session.get(User, partner.invited_by_id) if partner.invited_by_id else None
    if recipient is None or not proposal.is_applicant_member(recipient):
        recipient = proposal.created_by
    mail.send(
        recipient.email,
        "consortia_response",
        recipient.locale or "en",
        recipient=recipient,
        partner=partner,
        partner_name=partner_name(partner),
        proposal=proposal,
        accepted=accepted,
        link=external_url("consortia.manage", proposal_id=proposal.id),
    )


def _check_open(partner: ProposalPartner) -> None:
    if partner.status != PartnerStatus.INVITED:
        raise ConsortiumError(_("This invitation has already been answered."))
    if not partner.proposal.is_draft:
        raise ConsortiumError(_("This proposal has been submitted; its consortium can no longer change."))


def accept_invitation(partner: ProposalPartner, *, by, organisation: Organisation | None = None) -> ProposalPartner:
    """A member of the invited organisation accepts. For an invitation by e-mail, `organisation` is the one (of
    the user's) that takes part; the partner row then points at it."""
    _check_open(partner)
    proposal = partner.proposal
    if partner.organisation_id is None:
        if organisation is None:
            raise ConsortiumError(_("Choose the organisation that joins the consortium."), "organisation")
        if not organisation.is_member(by):
            raise ConsortiumError(_("You are not a member of %(org)s.", org=organisation.name), "organisation")
        if organisation.id == proposal.organisation_id:
            raise ConsortiumError(
                _("%(org)s is the lead applicant of this proposal.", org=organisation.name), "organisation"
            )
        if any(p.organisation_id == organisation.id for p in proposal.partners if p.id != partner.id):
            raise ConsortiumError(
                _("%(org)s is already in the consortium of this proposal.", org=organisation.name), "organisation"
            )
        partner.organisation = organisation
    elif not partner.organisation.is_member(by):
        raise ConsortiumError(_("Only members of the invited organisation can answer the invitation."))
    if partner.role == PartnerRole.CO_APPLICANT:
        wrong_type = type_problem(proposal.call, partner.organisation)
        if wrong_type:
            raise ConsortiumError(wrong_type)
    now = utcnow()
    partner.status = PartnerStatus.ACCEPTED.value
    partner.responded_at = now
    partner.responded_by_id = by.id
    partner.confirmed_at = now
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ConsortiumError(
            _("%(org)s is already in the consortium of this proposal.", org=partner.organisation.name)
        ) from exc
    _audit_partner("consortium.accept", partner, by, before={"status": "invited"})
    _tell_lead(partner, accepted=True)
    db.session.flush()
    return partner


def decline_invitation(partner: ProposalPartner, reason: str = "", *, by=None) -> ProposalPartner:
    """The invited organisation declines (with an optional reason). `by` is None when someone declines through
    the e-mailed link without an account: the link itself is the proof."""
    _check_open(partner)
    if partner.organisation_id is not None and (by is None or not partner.organisation.is_member(by)):
        raise ConsortiumError(_("Only members of the invited organisation can answer the invitation."))
    reason = (reason or "").strip()
    if len(reason) > DECLINE_REASON_MAX_LENGTH:
        raise ConsortiumError(_("The reason has at most %(max)d characters.", max=DECLINE_REASON_MAX_LENGTH), "reason")
    partner.status = PartnerStatus.DECLINED.value
    partner.responded_at = utcnow()
    partner.responded_by_id = getattr(by, "id", None)
    partner.decline_reason = reason
    db.session.flush()
    _audit_partner("consortium.decline", partner, by, before={"status": "invited"}, decline_reason=reason)
    _tell_lead(partner, accepted=False)
    db.session.flush()
    return partner


# -- the lead's other changes ----------------------------------------------------------------------------------


def remove_partner(partner: ProposalPartner, *, by) -> None:
    """Take a partner out of the consortium (before submission), with its budget lines; pending links stop
    working."""
    proposal = partner.proposal
    _check_can_manage(proposal, by)
    lines = list(db.session.scalars(db.select(BudgetLine).where(BudgetLine.partner_id == partner.id)))
    before = {
        "proposal_id": proposal.id,
        "organisation_id": partner.organisation_id,
        "invited_email": partner.invited_email,
        "role": partner.role,
        "status": partner.status,
        "editable_sections": list(partner.editable_sections or []),
        "budget_lines": len(lines),
    }
    record("consortium.remove", partner, actor=by, before=before, after=None)
    for line in lines:
        db.session.delete(line)
    proposal.partners.remove(partner)
    db.session.delete(partner)
    db.session.flush()


def set_editable_sections(partner: ProposalPartner, keys: list[str], *, by) -> ProposalPartner:
    """The lead chooses the sections of the form a co-applicant's users may edit."""
    _check_can_manage(partner.proposal, by)
    if partner.role != PartnerRole.CO_APPLICANT:
        raise ConsortiumError(
            _("Associated entities do not edit the proposal; only co-applicants can be given sections.")
        )
    unknown = [k for k in keys if k not in SECTION_KEYS]
    if unknown:
        raise ConsortiumError(_("Choose sections from the list."), "sections")
    wanted = [k for k in SECTION_KEYS if k in set(keys)]  # in the form's order, without repeats
    before = list(partner.editable_sections or [])
    if wanted == before:
        return partner
    partner.editable_sections = wanted
    db.session.flush()
    record(
        "consortium.sections",
        partner,
        actor=by,
        before={"editable_sections": before},
        after={"editable_sections": wanted},
    )
    db.session.flush()
    return partner
