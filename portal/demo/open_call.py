"""The demo's open call: a two-stage call for concept notes with its documents, attachment requirements and
clarifications, and consortium concept notes in every state an applicant meets (a draft begun, a draft waiting on
an invitation, a draft whose partner declined, submitted, withdrawn, withdrawn and submitted again).

Unlike the closed calls, whose history is written as it stood, the open call's proposals are made through the
portal's own operations (sections, budget, attachments, submission, withdrawal): the demo shows what the forms
really produce, and stays true when their rules change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from sqlalchemy import select

from portal.calls.models import (
    AttachmentRequirement,
    Call,
    CallApplicantType,
    CallDocument,
    CallLeadCountry,
    CallQuestion,
    CallTheme,
    QuestionStatus,
)
from portal.core import pdf, uploads
from portal.demo import data
from portal.extensions import db
from portal.proposals.budget import read_budget_form, save_budget
from portal.proposals.models import (
    PartnerRole,
    PartnerStatus,
    Proposal,
    ProposalPartner,
    ProposalStage,
    ProposalStatus,
)
from portal.proposals.operations import save_section
from portal.proposals.sections import section_keys_for
from portal.proposals.submission import reopen_proposal, submit_proposal, withdraw_proposal

ATTACHMENT_TITLES = {
    "statutes": "Statutes",
    "registration": "Certificate of registration",
    "support_letter": "Letter of support",
    "guidelines": "Guidelines for applicants",
    "annex": "Annex",
}


@cache
def demo_pdf(title: str) -> bytes:
    """A short real PDF standing for a document an applicant or the facility would upload (rendered once per
    title and run)."""
    html = (
        "<html><head><style>@page { size: A4; margin: 2.5cm } body { font-family: 'DejaVu Sans'; font-size: 11pt }"
        "h1 { font-size: 18pt }</style></head><body>"
        f"<h1>{title}</h1><p>Demonstration document of the Migration Dialogues Grant Facility portal. It stands for "
        "the file an organisation or the facility would upload; its content is not real.</p></body></html>"
    )
    return pdf.html_to_pdf(html)


def _stored(filename: str, title: str) -> uploads.UploadInfo:
    body = demo_pdf(title)
    return uploads.check_upload(filename, body, allowed={uploads.PDF}, max_bytes=len(body) + 1)


class OpenCallLoader:
    """Loads the open call through the seeder (`seeder` gives the users, organisations and the `now` of the run)."""

    def __init__(self, seeder) -> None:
        self.s = seeder

    # -- the call -----------------------------------------------------------------------------------------------
    def load(self) -> None:
        spec = data.OPEN_CALL
        s = self.s
        call = s.call(spec, s.day(spec["opens_in_days"]), s.day(spec["closes_in_days"]))
        s.stage(call)
        if not call.guidelines:
            self.complete_call(call, spec)
        for p in data.OPEN_CALL_PROPOSALS:
            reference = f"{call.reference}-{p['number']:04d}"
            if db.session.scalar(select(Proposal.id).where(Proposal.reference == reference)) is None:
                self.concept_note(call, p, reference)
        db.session.flush()

    def complete_call(self, call: Call, spec: dict) -> None:
        s = self.s
        call.guidelines = spec["guidelines"]
        call.translations = spec["translations"]
        call.procedure = spec["procedure"]
        call.full_application_closes_at = s.day(spec["full_application_closes_in_days"])
        call.questions_close_at = s.day(spec["questions_close_in_days"])
        for name, value in spec["rules"].items():
            setattr(call, name, value)
        call.applicant_type_rows = [CallApplicantType(organisation_type=t) for t in spec["applicant_types"]]
        call.lead_country_rows = [CallLeadCountry(country_code=c) for c in spec["lead_countries"]]
        call.theme_rows = [CallTheme(theme=t) for t in spec["themes"]]
        call.attachment_requirements = [
            AttachmentRequirement(kind=kind, label=label, required=required, stage=stage, position=i)
            for i, (kind, label, required, stage) in enumerate(spec["attachments"])
        ]
        for i, (kind, title, language) in enumerate(spec["documents"]):
            info = _stored(f"{title}.pdf", title)
            call.documents.append(
                CallDocument(
                    kind=kind,
                    title=title,
                    language=language,
                    position=i,
                    filename=info.filename,
                    content_type=info.content_type,
                    size=info.size,
                    sha256=info.sha256,
                    storage_key=uploads.store_upload(info, prefix="call-documents"),
                    uploaded_at=call.opens_at - dt.timedelta(days=2),
                    uploaded_by_id=s.manager.id,
                )
            )
        applicants = [u for u in s.users.values() if u.role == "applicant"]
        for i, (asked_days, question, published, answer, answered_after) in enumerate(spec["questions"]):
            asked_at = call.opens_at + dt.timedelta(days=asked_days, hours=i)
            row = CallQuestion(asked_by_id=applicants[i % len(applicants)].id, question=question, asked_at=asked_at)
            if answered_after is not None:
                row.status = QuestionStatus.PUBLISHED
                row.published_question = published
                row.answer = answer
                row.answered_by_id = s.manager.id
                row.published_at = asked_at + dt.timedelta(days=answered_after)
            call.questions.append(row)
        s.created["call questions"] += len(spec["questions"])
        db.session.flush()

    # -- the concept notes --------------------------------------------------------------------------------------
    def concept_note(self, call: Call, p: dict, reference: str) -> Proposal:
        s = self.s
        lead_user = s.contacts[p["lead"]]
        if "submitted_days_ago" in p:
            started = s.now - dt.timedelta(days=p["submitted_days_ago"] + 10, hours=p["number"])
        else:
            started = s.now - dt.timedelta(days=p["updated_days_ago"] + 8, hours=p["number"])
        started = max(started, call.opens_at + dt.timedelta(hours=1))
        proposal = Proposal(
            reference=reference,
            call=call,
            organisation=s.orgs[p["lead"]],
            created_by=lead_user,
            stage=ProposalStage.CONCEPT_NOTE,
            title=p["title"],
            status=ProposalStatus.DRAFT,
            created_at=started,
            updated_at=started,
        )
        db.session.add(proposal)
        for acronym, role, _pct in p["partners"]:
            proposal.partners.append(self.partner(s.orgs[acronym], role, PartnerStatus.ACCEPTED, started))
        for acronym in p["associated"]:
            proposal.partners.append(
                self.partner(s.orgs[acronym], PartnerRole.ASSOCIATED, PartnerStatus.ACCEPTED, started)
            )
        for who, role_or_name, status in p["invitations"]:
            if who.startswith("email:"):
                partner = self.partner(None, PartnerRole.CO_APPLICANT, status, started)
                partner.invited_email, partner.invited_name = who.removeprefix("email:"), role_or_name
            else:
                partner = self.partner(s.orgs[who], role_or_name, status, started)
                if status == PartnerStatus.DECLINED:
                    partner.decline_reason = "Our board has committed our staff to another consortium this year."
            proposal.partners.append(partner)
        db.session.flush()
        s.created["proposals"] += 1

        keys = section_keys_for(proposal) if p["sections"] == "all" else p["sections"]
        for key in keys:
            if key == "budget":
                self.budget(proposal, p, lead_user)
            else:
                save_section(proposal, key, self.section(call, proposal, p, key), by=lead_user, expected_version=None)
        if p["sections"] == "all":
            self.attachments(proposal, lead_user)
        # The co-applicants write the target groups with the lead.
        for partner in proposal.partners:
            if partner.role == PartnerRole.CO_APPLICANT and partner.status == PartnerStatus.ACCEPTED:
                partner.editable_sections = ["target_groups", "budget"]
        db.session.flush()

        if p["state"] in ("submitted", "withdrawn", "resubmitted"):
            submitted_at = s.now - dt.timedelta(days=p["submitted_days_ago"], hours=p["number"])
            submit_proposal(proposal, by=lead_user, now=submitted_at)
            s.created["snapshots"] += 1
            if p["state"] in ("withdrawn", "resubmitted"):
                withdrawn_at = submitted_at + dt.timedelta(days=1, hours=2)
                withdraw_proposal(proposal, by=lead_user, reason=p["withdrawal_reason"], now=withdrawn_at)
            if p["state"] == "resubmitted":
                reopened_at = submitted_at + dt.timedelta(days=1, hours=3)
                reopen_proposal(proposal, by=lead_user, now=reopened_at)
                self.attachments(proposal, lead_user, only=("support_letter",))
                submit_proposal(proposal, by=lead_user, now=submitted_at + dt.timedelta(days=2))
                s.created["snapshots"] += 1
        if "updated_days_ago" in p:
            proposal.updated_at = max(started, s.now - dt.timedelta(days=p["updated_days_ago"], hours=p["number"]))
        else:
            proposal.updated_at = proposal.withdrawn_at or proposal.submitted_at
        db.session.flush()
        return proposal

    def partner(self, organisation, role: str, status: str, started: dt.datetime) -> ProposalPartner:
        invited_at = started + dt.timedelta(hours=5)
        answered = status != PartnerStatus.INVITED
        return ProposalPartner(
            organisation=organisation,
            role=role,
            status=status,
            invited_at=invited_at,
            invited_by_id=None,
            responded_at=invited_at + dt.timedelta(days=2) if answered else None,
            confirmed_at=invited_at + dt.timedelta(days=2) if status == PartnerStatus.ACCEPTED else None,
        )

    def section(self, call: Call, proposal: Proposal, p: dict, key: str) -> dict:
        """Plausible content for each section, made from the proposal's own words."""
        countries = dict(p["countries"])
        dialogues = [d for d in call.dialogues if d.code in ("rabat", "c2cmmd")] or call.dialogues[:1]
        lead = proposal.organisation.name
        if key == "identification":
            return {
                "title": p["title"],
                "duration_months": p["duration"],
                "jvap_domain_id": self.s.domains[p["domain"]].id,
                "dialogue_ids": [d.id for d in dialogues],
                "start_month": "2027-07",
            }
        if key == "summary":
            return {"summary": p["summary"]}
        if key == "relevance":
            return {
                "objectives": (
                    f"The action answers the call's first objective: {p['title'].lower()}. {lead} and its partners "
                    "have worked with the communities concerned for years and know what they need."
                ),
                "dialogues": (
                    "Findings are presented at the thematic meetings of the Rabat Process and the C2CMMD, where "
                    "climate-related mobility is on the agenda of the next cycle."
                ),
                "domains": (
                    "The action belongs to JVAP domain "
                    f"{p['domain']} and contributes to the dialogues' commitments on climate and mobility."
                ),
            }
        if key == "countries":
            return {"shares": {code: Decimal(share) for code, share in countries.items()}}
        if key == "target_groups":
            return {
                "target_groups": "Community organisations, municipal staff and traditional authorities.",
                "target_groups_number": 120,
                "final_beneficiaries": "Households affected by climate-related mobility in the areas of the action.",
                "final_beneficiaries_number": 4500,
            }
        if key == "declarations":
            return {
                "accurate": True,
                "no_exclusion": True,
                "mandates": True,
                "data_protection": True,
                "signatory_name": self.s.contacts[p["lead"]].full_name,
                "signatory_position": "Executive director",
            }
        # Sections of the full application only (not reached by a concept note).
        return {}

    def budget(self, proposal: Proposal, p: dict, by) -> None:
        """An indicative budget whose requested amount is the spec's: staff by the month and missions by the trip,
        split between the lead and its co-applicants, indirect costs at 6% of direct costs, and co-financing (about
        12% of the total) making up the difference."""
        cent = Decimal("0.01")
        requested, months = p["amount"], p["duration"]
        direct_target = requested / Decimal("0.88") / Decimal("1.06")
        partners = [pp for pp in proposal.partners if pp.role == PartnerRole.CO_APPLICANT and pp.status == "accepted"]
        shares = {pp.id: Decimal(pct) for (_a, _r, pct), pp in zip(p["partners"], partners, strict=False) if pct}
        # (partner, category, description, unit, quantity, unit cost)
        rows: list[tuple[str, str, str, str, Decimal, Decimal]] = []
        lead_target = direct_target
        for partner_id, pct in shares.items():
            amount = direct_target * pct / 100
            lead_target -= amount
            rows.append(
                (
                    str(partner_id),
                    "human_resources",
                    "Field coordinator",
                    "month",
                    Decimal(months),
                    (amount * Decimal("0.8") / months).quantize(cent),
                )
            )
            rows.append(
                (
                    str(partner_id),
                    "local_office",
                    "Office rent and utilities",
                    "month",
                    Decimal(months),
                    (amount * Decimal("0.2") / months).quantize(cent),
                )
            )
        trips = 2 * max(1, months // 6)
        rows += [
            (
                "lead",
                "human_resources",
                "Project manager",
                "month",
                Decimal(months),
                (lead_target * Decimal("0.45") / months).quantize(cent),
            ),
            (
                "lead",
                "human_resources",
                "Finance and administration officer (50%)",
                "month",
                Decimal(months),
                (lead_target * Decimal("0.15") / months).quantize(cent),
            ),
            (
                "lead",
                "travel",
                "Field missions and dialogue meetings",
                "trip",
                Decimal(trips),
                (lead_target * Decimal("0.15") / trips).quantize(cent),
            ),
            (
                "lead",
                "equipment",
                "Equipment for community monitors",
                "lot",
                Decimal(1),
                (lead_target * Decimal("0.10")).quantize(cent),
            ),
            (
                "lead",
                "other_services",
                "Workshops, translation and publications",
                "lump sum",
                Decimal(1),
                (lead_target * Decimal("0.15")).quantize(cent),
            ),
        ]
        direct = sum((qty * cost).quantize(cent) for *_x, qty, cost in rows)
        indirect = (direct * Decimal("0.06")).quantize(cent)
        rows.append(("lead", "indirect", "Indirect costs (6% of direct costs)", "lump sum", Decimal(1), indirect))
        cofinancing = direct + indirect - requested
        form = {}
        for i, (who, category, description, unit, quantity, unit_cost) in enumerate(rows):
            form.update(
                {
                    f"line-{i}-partner": who,
                    f"line-{i}-category": category,
                    f"line-{i}-description": description,
                    f"line-{i}-unit": unit,
                    f"line-{i}-quantity": str(quantity),
                    f"line-{i}-unit_cost": str(unit_cost),
                }
            )
        form.update({"source-0-source": "Own funds of the consortium", "source-0-amount": str(cofinancing)})
        form["source-0-secured"] = "y"
        save_budget(proposal, read_budget_form(form, proposal), by=by, expected_version=None)

    def attachments(self, proposal: Proposal, by, only: tuple[str, ...] = ("statutes", "registration")) -> None:
        from portal.proposals.attachments import add_attachment

        org = proposal.organisation
        for requirement in proposal.call.attachment_requirements:
            if requirement.kind in only and requirement.applies_to(proposal.stage):
                title = f"{ATTACHMENT_TITLES[requirement.kind]} — {org.legal_name}"
                add_attachment(
                    proposal,
                    by=by,
                    filename=f"{requirement.kind}-{(org.acronym or 'org').lower()}.pdf",
                    data=demo_pdf(title),
                    requirement=requirement,
                )
