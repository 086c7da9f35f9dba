"""The access matrix: every registered route, for every role and relation, reaches what it must and nothing else.

Routes come from the URL map, so a new route without a row here fails `test_every_route_has_a_rule`.
Outcomes: "ok" (the view ran: 2xx, a redirect that is not to the sign-in page, or a 400/409 for an empty form),
"login" (redirected to sign in), 401 (the JSON API without a bearer token: a session is not enough), 403, 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.accounts.models import Invitation, User
from portal.api.operations import create_token
from portal.core import storage
from portal.core.access import ACCESS_ATTR
from portal.core.db import utcnow
from portal.documents.models import Document, DocumentStatus
from portal.documents.template_models import DocumentTemplate
from portal.evaluation.checks_models import CheckItem
from portal.evaluation.models import AssignmentStatus
from portal.extensions import db
from portal.grants.models import (
    Amendment,
    Grant,
    GrantCountry,
    GrantOrganisation,
    GrantReport,
    GrantReportFile,
    Tranche,
)
from portal.notifications.models import OutboxMessage
from portal.organisations.models import MembershipRequest
from portal.proposals.models import ProposalAttachment, ProposalPartner, ProposalStatus

ROLES = (
    "anonymous",
    "applicant",  # member of the lead organisation of every proposal and grant below
    "other_applicant",  # member of an unrelated organisation
    "partner",  # member of a co-beneficiary organisation of the grant
    "co_applicant",  # member of a co-applicant organisation of the draft and the proposal under review, with a section
    "co_applicant_no_sections",  # the same relation, no section given to it
    "evaluator",  # assigned to the proposal under review, no conflict declared
    "pending_evaluator",  # assigned to the proposal under review, has not yet declared (no) conflict
    "conflicted_evaluator",  # was assigned to the proposal under review and declared a conflict of interest
    "unassigned_evaluator",
    "manager",
    "admin",
)

OK, LOGIN, UNAUTHORISED, FORBIDDEN, HIDDEN = "ok", "login", 401, 403, 404


def expect(default, **overrides):
    """Outcome for each role: `default` for every role not named."""
    table = dict.fromkeys(ROLES, default)
    table.update(overrides)
    return table


PUBLIC = expect(OK)
SIGNED_IN = expect(OK, anonymous=LOGIN)
STAFF = expect(FORBIDDEN, anonymous=LOGIN, manager=OK, admin=OK)
ADMIN = expect(FORBIDDEN, anonymous=LOGIN, admin=OK)
EVALUATOR_ROLES = ("evaluator", "pending_evaluator", "conflicted_evaluator", "unassigned_evaluator")
CO_APPLICANTS = ("co_applicant", "co_applicant_no_sections")
EVALUATORS = expect(FORBIDDEN, anonymous=LOGIN, **dict.fromkeys(EVALUATOR_ROLES, OK))
# The assigned evaluator's own assignment: other evaluators (those of the same proposal too) may not know it exists.
OWN_ASSIGNMENT = expect(FORBIDDEN, anonymous=LOGIN, **dict.fromkeys(EVALUATOR_ROLES, HIDDEN) | {"evaluator": OK})
APPLICANT_ONLY = expect(
    FORBIDDEN, anonymous=LOGIN, applicant=OK, other_applicant=OK, partner=OK, **dict.fromkeys(CO_APPLICANTS, OK)
)
LEAD_MEMBERS = expect(HIDDEN, anonymous=LOGIN, applicant=OK)
# The consortium of the draft: its lead's members only; staff and co-applicants see the proposal but do not build
# its consortium.
CONSORTIUM_LEAD = expect(
    HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN, **dict.fromkeys(CO_APPLICANTS, FORBIDDEN)
)
# The draft's form: the lead, and a co-applicant given a section (the one without may see the proposal, not edit it).
DRAFT_CONTRIBUTORS = expect(
    HIDDEN,
    anonymous=LOGIN,
    applicant=OK,
    co_applicant=OK,
    co_applicant_no_sections=FORBIDDEN,
    manager=FORBIDDEN,
    admin=FORBIDDEN,
)
# Only the lead's members act on the draft as a whole (submit, the budget); co-applicants see it.
DRAFT_LEAD = expect(
    HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN, **dict.fromkeys(CO_APPLICANTS, FORBIDDEN)
)
# Reading a proposal under review: the consortium (lead and co-applicants), staff, and the evaluator who declared no
# conflict. An evaluator who has not declared yet, or declared a conflict, may not know more than the declaration
# page shows (404).
PROPOSAL_READERS = expect(
    HIDDEN, anonymous=LOGIN, applicant=OK, evaluator=OK, manager=OK, admin=OK, **dict.fromkeys(CO_APPLICANTS, OK)
)
# The invitation of the "partner" organisation to the draft's consortium: its members only.
INVITED_MEMBERS = expect(HIDDEN, anonymous=LOGIN, partner=OK)
# The JSON API reads bearer tokens only (tests/api cover tokens): signed in or not, without one it is 401.
TOKEN_ONLY = expect(UNAUTHORISED)
# A grant's pages: its implementing organisations and staff; the lead's users report; amendments: lead or staff.
GRANT_PARTICIPANTS = expect(HIDDEN, anonymous=LOGIN, applicant=OK, partner=OK, manager=OK, admin=OK)
GRANT_LEAD = expect(HIDDEN, anonymous=LOGIN, applicant=OK, partner=FORBIDDEN, manager=FORBIDDEN, admin=FORBIDDEN)
GRANT_LEAD_OR_STAFF = expect(HIDDEN, anonymous=LOGIN, applicant=OK, partner=FORBIDDEN, manager=OK, admin=OK)
# Staff pages of a grant reached by its participants too (403) but hidden from everyone else (404).
GRANT_STAFF = expect(HIDDEN, anonymous=LOGIN, applicant=FORBIDDEN, partner=FORBIDDEN, manager=OK, admin=OK)
# A proposal's clarifications: staff and the lead's users; its evaluator sees the proposal but not them.
CLARIFICATION_READERS = expect(
    HIDDEN,
    anonymous=LOGIN,
    applicant=OK,
    evaluator=FORBIDDEN,
    manager=OK,
    admin=OK,
    **dict.fromkeys(CO_APPLICANTS, FORBIDDEN),
)

# The internal discussion: staff; the assigned evaluator knows the proposal (403), those who have not declared no
# conflict may not (404).
THREAD = expect(
    FORBIDDEN,
    anonymous=LOGIN,
    unassigned_evaluator=HIDDEN,
    pending_evaluator=HIDDEN,
    conflicted_evaluator=HIDDEN,
    manager=OK,
    admin=OK,
)

# (endpoint, method) -> (url arguments from the world, expected outcome per role)
RULES: dict[tuple[str, str], tuple[dict, dict]] = {
    ("main.home", "GET"): ({}, PUBLIC),
    ("main.healthz", "GET"): ({}, PUBLIC),
    ("main.set_language", "POST"): ({"code": "fr"}, PUBLIC),
    ("static", "GET"): ({"filename": "css/portal.css"}, PUBLIC),
    # accounts
    ("accounts.login", "GET"): ({}, PUBLIC),
    ("accounts.login", "POST"): ({}, PUBLIC),
    ("accounts.register", "GET"): ({}, PUBLIC),
    ("accounts.register", "POST"): ({}, PUBLIC),
    ("accounts.logout", "POST"): ({}, SIGNED_IN),
    ("accounts.forgot_password", "GET"): ({}, PUBLIC),
    ("accounts.forgot_password", "POST"): ({}, PUBLIC),
    ("accounts.reset_password", "GET"): ({"token": "forged"}, PUBLIC),
    ("accounts.reset_password", "POST"): ({"token": "forged"}, PUBLIC),
    ("accounts.check_inbox", "GET"): ({}, PUBLIC),
    ("accounts.confirm_email", "GET"): ({"token": "forged"}, PUBLIC),
    ("accounts.confirm_email", "POST"): ({"token": "forged"}, PUBLIC),
    ("accounts.resend_confirmation", "GET"): ({}, PUBLIC),
    ("accounts.resend_confirmation", "POST"): ({}, PUBLIC),
    ("accounts.accept_invitation", "GET"): ({"token": "@invitation_token"}, PUBLIC),
    ("accounts.accept_invitation", "POST"): ({"token": "forged"}, PUBLIC),
    ("accounts.account", "GET"): ({}, SIGNED_IN),
    ("accounts.account", "POST"): ({}, SIGNED_IN),
    # The second step of sign-in: without a password just checked in this session, everyone is sent to sign in.
    ("accounts.two_factor_verify", "GET"): ({}, expect(LOGIN)),
    ("accounts.two_factor_verify", "POST"): ({}, expect(LOGIN)),
    ("accounts.two_factor_setup", "GET"): ({}, SIGNED_IN),
    ("accounts.two_factor_setup", "POST"): ({}, SIGNED_IN),
    ("accounts.two_factor_new_codes", "POST"): ({}, SIGNED_IN),
    ("accounts.two_factor_disable", "POST"): ({}, SIGNED_IN),
    # admin
    ("admin.users", "GET"): ({}, ADMIN),
    ("admin.invite", "GET"): ({}, ADMIN),
    ("admin.invite", "POST"): ({}, ADMIN),
    ("admin.audit_log", "GET"): ({}, STAFF),
    ("admin.audit_export_csv", "GET"): ({}, STAFF),
    ("admin.audit_export_xlsx", "GET"): ({}, STAFF),
    # notifications: each user's own list and settings; the outbox is the administrators'
    ("notifications.index", "GET"): ({}, SIGNED_IN),
    ("notifications.mark_read", "POST"): ({}, SIGNED_IN),
    ("notifications.preferences", "GET"): ({}, SIGNED_IN),
    ("notifications.preferences", "POST"): ({}, SIGNED_IN),
    ("notifications.outbox", "GET"): ({}, ADMIN),
    ("notifications.message", "GET"): ({"message_id": "@outbox_message"}, ADMIN),
    ("notifications.message_html", "GET"): ({"message_id": "@outbox_message"}, ADMIN),
    ("notifications.retry", "POST"): ({"message_id": "@outbox_message"}, ADMIN),
    # organisations
    ("organisations.mine", "GET"): ({}, SIGNED_IN),
    ("organisations.create", "GET"): ({}, SIGNED_IN),
    ("organisations.create", "POST"): ({}, SIGNED_IN),
    ("organisations.view", "GET"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=OK, admin=OK),
    ),
    ("organisations.edit", "GET"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("organisations.edit", "POST"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("organisations.invite_member", "GET"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("organisations.invite_member", "POST"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("organisations.hand_over_contact", "POST"): (
        {"org_id": "@org_a"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("organisations.request_membership", "GET"): ({"org_id": "@org_a"}, APPLICANT_ONLY),
    ("organisations.request_membership", "POST"): ({"org_id": "@org_a"}, APPLICANT_ONLY),
    # the other applicant asked to join org_a: they see their request but only members answer it
    ("organisations.accept_request", "POST"): (
        {"request_id": "@membership_request"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, other_applicant=FORBIDDEN),
    ),
    ("organisations.decline_request", "POST"): (
        {"request_id": "@membership_request"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, other_applicant=FORBIDDEN),
    ),
    # consortia
    ("consortia.manage", "GET"): ({"proposal_id": "@draft"}, CONSORTIUM_LEAD),
    ("consortia.check", "GET"): ({"proposal_id": "@draft"}, CONSORTIUM_LEAD),
    ("consortia.invite_organisation", "POST"): ({"proposal_id": "@draft"}, CONSORTIUM_LEAD),
    ("consortia.invite_by_email", "POST"): ({"proposal_id": "@draft"}, CONSORTIUM_LEAD),
    ("consortia.remove", "POST"): ({"proposal_id": "@draft", "partner_id": "@invited_partner"}, CONSORTIUM_LEAD),
    ("consortia.sections", "POST"): ({"proposal_id": "@draft", "partner_id": "@invited_partner"}, CONSORTIUM_LEAD),
    ("consortia.invitations", "GET"): ({}, APPLICANT_ONLY),
    ("consortia.invitation", "GET"): ({"partner_id": "@invited_partner"}, INVITED_MEMBERS),
    ("consortia.accept", "POST"): ({"partner_id": "@invited_partner"}, INVITED_MEMBERS),
    ("consortia.decline", "POST"): ({"partner_id": "@invited_partner"}, INVITED_MEMBERS),
    ("consortia.join", "GET"): ({"token": "forged"}, PUBLIC),
    ("consortia.join", "POST"): ({"token": "forged"}, PUBLIC),
    # calls
    ("calls.public_list", "GET"): ({}, PUBLIC),
    ("calls.public_view", "GET"): ({"call_id": "@call"}, PUBLIC),
    ("calls.manage_list", "GET"): ({}, STAFF),
    ("calls.create", "GET"): ({}, STAFF),
    ("calls.create", "POST"): ({}, STAFF),
    ("calls.manage_view", "GET"): ({"call_id": "@call"}, STAFF),
    ("calls.edit", "GET"): ({"call_id": "@draft_call"}, STAFF),
    ("calls.edit", "POST"): ({"call_id": "@draft_call"}, STAFF),
    ("calls.publish", "POST"): ({"call_id": "@draft_call"}, STAFF),
    ("calls.change_status", "POST"): ({"call_id": "@call"}, STAFF),
    ("calls.extend_deadline", "POST"): ({"call_id": "@call"}, STAFF),
    ("calls.documents", "GET"): ({"call_id": "@call"}, STAFF),
    ("calls.documents", "POST"): ({"call_id": "@call"}, STAFF),
    ("calls.remove_document", "POST"): ({"call_id": "@call", "document_id": "@call_document"}, STAFF),
    ("calls.download_document", "GET"): ({"call_id": "@call", "document_id": "@call_document"}, PUBLIC),
    ("calls.ask", "POST"): ({"call_id": "@call"}, APPLICANT_ONLY),
    ("calls.questions", "GET"): ({"call_id": "@call"}, STAFF),
    ("calls.answer", "POST"): ({"call_id": "@call", "question_id": "@call_question"}, STAFF),
    ("calls.translate", "POST"): ({"call_id": "@call"}, STAFF),
    # proposals
    ("proposals.dashboard", "GET"): ({}, SIGNED_IN),
    ("proposals.start", "GET"): ({"call_id": "@call"}, APPLICANT_ONLY),
    ("proposals.start", "POST"): ({"call_id": "@call"}, APPLICANT_ONLY),
    ("proposals.view", "GET"): ({"proposal_id": "@under_review"}, PROPOSAL_READERS),
    ("proposals.edit", "GET"): ({"proposal_id": "@draft"}, DRAFT_CONTRIBUTORS),
    ("proposals.edit", "POST"): ({"proposal_id": "@draft"}, DRAFT_CONTRIBUTORS),
    ("proposals.overview", "GET"): ({"proposal_id": "@draft"}, DRAFT_CONTRIBUTORS),
    ("proposals.check", "GET"): ({"proposal_id": "@draft"}, DRAFT_CONTRIBUTORS),
    ("proposals.edit_section", "GET"): ({"proposal_id": "@draft", "key": "summary"}, DRAFT_CONTRIBUTORS),
    ("proposals.edit_section", "POST"): ({"proposal_id": "@draft", "key": "summary"}, DRAFT_CONTRIBUTORS),
    ("proposals.submit", "POST"): ({"proposal_id": "@draft"}, DRAFT_LEAD),
    # the budget: the lead edits, staff and co-applicants read (POST 403); others may not know the draft exists
    ("proposals.budget", "GET"): (
        {"proposal_id": "@draft"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=OK, admin=OK, **dict.fromkeys(CO_APPLICANTS, OK)),
    ),
    ("proposals.budget", "POST"): ({"proposal_id": "@draft"}, DRAFT_LEAD),
    # proposals: attachments, withdrawal, two stages (portal/proposals/submission_routes.py)
    ("proposals.attachments", "GET"): ({"proposal_id": "@under_review"}, PROPOSAL_READERS),
    ("proposals.attachments", "POST"): ({"proposal_id": "@draft"}, DRAFT_CONTRIBUTORS),
    ("proposals.download_attachment", "GET"): (
        {"proposal_id": "@under_review", "attachment_id": "@attachment"},
        PROPOSAL_READERS,
    ),
    ("proposals.withdraw", "GET"): (
        {"proposal_id": "@submitted"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("proposals.withdraw", "POST"): (
        {"proposal_id": "@submitted"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("proposals.reopen", "POST"): (
        {"proposal_id": "@withdrawn"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    ("proposals.invite_full_application", "POST"): ({"proposal_id": "@concept_note"}, STAFF),
    ("proposals.start_full_application", "POST"): (
        {"proposal_id": "@invited_note"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, manager=FORBIDDEN, admin=FORBIDDEN),
    ),
    # evaluation
    ("evaluation.queue", "GET"): ({}, EVALUATORS),
    ("evaluation.declare", "GET"): ({"assignment_id": "@assignment"}, OWN_ASSIGNMENT),
    ("evaluation.declare", "POST"): ({"assignment_id": "@pending_assignment"}, OWN_ASSIGNMENT),
    ("evaluation.score", "GET"): ({"assignment_id": "@assignment"}, OWN_ASSIGNMENT),
    ("evaluation.score", "POST"): ({"assignment_id": "@assignment"}, OWN_ASSIGNMENT),
    ("evaluation.assign", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.assign", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.unassign", "POST"): ({"assignment_id": "@pending_assignment"}, STAFF),
    ("evaluation.ranking", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.decide", "GET"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.decide", "POST"): ({"proposal_id": "@under_review"}, STAFF),
    # evaluation: internal discussion, clarifications, timeline (portal/evaluation/thread_routes.py). The world's
    # stage keeps its evaluators out of the discussion: the assigned evaluator sees the proposal but not the thread.
    ("evaluation.thread", "GET"): ({"proposal_id": "@under_review"}, THREAD),
    ("evaluation.thread", "POST"): ({"proposal_id": "@under_review"}, THREAD),
    ("evaluation.clarifications", "GET"): ({"proposal_id": "@under_review"}, CLARIFICATION_READERS),
    ("evaluation.clarification", "GET"): (
        {"proposal_id": "@under_review", "request_id": "@clarification"},
        CLARIFICATION_READERS,
    ),
    ("evaluation.clarification", "POST"): (
        {"proposal_id": "@under_review", "request_id": "@clarification"},
        expect(
            HIDDEN,
            anonymous=LOGIN,
            applicant=OK,
            evaluator=FORBIDDEN,
            manager=FORBIDDEN,
            admin=FORBIDDEN,
            **dict.fromkeys(CO_APPLICANTS, FORBIDDEN),
        ),
    ),
    ("evaluation.clarification_file", "GET"): (
        {"proposal_id": "@under_review", "request_id": "@answered_clarification"},
        CLARIFICATION_READERS,
    ),
    ("evaluation.ask_clarification", "GET"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.ask_clarification", "POST"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.cancel_clarification", "POST"): (
        {"proposal_id": "@under_review", "request_id": "@clarification"},
        STAFF,
    ),
    ("evaluation.proposal_timeline", "GET"): ({"proposal_id": "@under_review"}, PROPOSAL_READERS),
    ("evaluation.profile", "GET"): ({}, EVALUATORS),
    ("evaluation.profile", "POST"): ({}, EVALUATORS),
    ("evaluation.sign_declaration", "GET"): ({}, EVALUATORS),
    ("evaluation.sign_declaration", "POST"): ({}, EVALUATORS),
    ("evaluation.document", "GET"): ({"assignment_id": "@assignment", "attachment_id": "@attachment"}, OWN_ASSIGNMENT),
    ("evaluation.evaluators", "GET"): ({}, STAFF),
    ("evaluation.auto_assign", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.auto_assign", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.progress_page", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.remind", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.reopen", "GET"): ({"assignment_id": "@assignment"}, STAFF),
    ("evaluation.reopen", "POST"): ({"assignment_id": "@assignment"}, STAFF),
    # the pipeline composer and the checks (portal/evaluation/pipeline_routes.py)
    ("evaluation.pipeline_view", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.pipeline_add_stage", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.pipeline_remove_stage", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_move_stage", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_stage", "GET"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_stage", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_grid", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_add_section", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_add_criterion", "POST"): ({"call_id": "@call", "stage_id": "@stage"}, STAFF),
    ("evaluation.pipeline_remove_grid_item", "POST"): (
        {"call_id": "@call", "stage_id": "@stage", "what": "criteria", "item_id": "@criterion"},
        STAFF,
    ),
    ("evaluation.pipeline_move_grid_item", "POST"): (
        {"call_id": "@call", "stage_id": "@stage", "what": "criteria", "item_id": "@criterion"},
        STAFF,
    ),
    ("evaluation.checks_overview", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.checks_add_item", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.checks_remove_item", "POST"): ({"call_id": "@call", "item_id": "@check_item"}, STAFF),
    ("evaluation.checks_proposal", "GET"): ({"proposal_id": "@submitted", "kind": "administrative_check"}, STAFF),
    ("evaluation.checks_proposal", "POST"): ({"proposal_id": "@submitted", "kind": "administrative_check"}, STAFF),
    ("evaluation.checks_reopen", "POST"): ({"proposal_id": "@submitted", "kind": "administrative_check"}, STAFF),
    # moderation, shortlisting, committee and exports (part C): managers only
    ("evaluation.moderate", "GET"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.moderate", "POST"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.shortlist", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.shortlist", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.invite_shortlisted", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.committee_page", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.committee_page", "POST"): ({"call_id": "@call"}, STAFF),
    ("evaluation.award_reserve", "POST"): ({"proposal_id": "@under_review"}, STAFF),
    ("evaluation.committee_xlsx", "GET"): ({"call_id": "@call"}, STAFF),
    ("evaluation.committee_pdf", "GET"): ({"call_id": "@call"}, STAFF),
    # grants and documents
    ("grants.list_grants", "GET"): ({}, expect(OK, anonymous=LOGIN, **dict.fromkeys(EVALUATOR_ROLES, FORBIDDEN))),
    ("grants.view", "GET"): (
        {"grant_id": "@grant"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, partner=OK, manager=OK, admin=OK),
    ),
    ("grants.change_status", "POST"): ({"grant_id": "@grant"}, STAFF),
    ("grants.payment_schedule", "GET"): ({"grant_id": "@grant"}, STAFF),
    ("grants.add_tranche", "POST"): ({"grant_id": "@grant"}, STAFF),
    ("grants.change_tranche", "POST"): ({"grant_id": "@grant", "tranche_id": "@tranche"}, STAFF),
    ("grants.remove_tranche", "POST"): ({"grant_id": "@grant", "tranche_id": "@tranche"}, STAFF),
    ("grants.record_payment", "POST"): ({"grant_id": "@grant", "tranche_id": "@tranche"}, STAFF),
    ("grants.reporting_schedule", "GET"): ({"grant_id": "@grant"}, GRANT_STAFF),
    ("grants.add_milestone", "POST"): ({"grant_id": "@grant"}, GRANT_STAFF),
    ("grants.change_milestone", "POST"): ({"grant_id": "@grant", "report_id": "@report"}, GRANT_STAFF),
    ("grants.remove_milestone", "POST"): ({"grant_id": "@grant", "report_id": "@report"}, GRANT_STAFF),
    ("grants.report", "GET"): ({"grant_id": "@grant", "report_id": "@report"}, GRANT_PARTICIPANTS),
    ("grants.upload_report", "POST"): ({"grant_id": "@grant", "report_id": "@report"}, GRANT_LEAD),
    ("grants.review_report", "POST"): ({"grant_id": "@grant", "report_id": "@report"}, STAFF),
    ("grants.download_report_file", "GET"): (
        {"grant_id": "@grant", "report_id": "@report", "file_id": "@report_file"},
        GRANT_PARTICIPANTS,
    ),
    ("grants.request_amendment", "GET"): ({"grant_id": "@grant"}, GRANT_LEAD_OR_STAFF),
    ("grants.request_amendment", "POST"): ({"grant_id": "@grant"}, GRANT_LEAD_OR_STAFF),
    ("grants.amendment", "GET"): ({"grant_id": "@grant", "amendment_id": "@amendment"}, GRANT_PARTICIPANTS),
    ("grants.decide_amendment", "POST"): ({"grant_id": "@grant", "amendment_id": "@amendment"}, STAFF),
    ("grants.withdraw_amendment", "POST"): (
        {"grant_id": "@grant", "amendment_id": "@amendment"},
        GRANT_LEAD_OR_STAFF,
    ),
    ("documents.download", "GET"): (
        {"document_id": "@document"},
        expect(HIDDEN, anonymous=LOGIN, applicant=OK, partner=FORBIDDEN, manager=OK, admin=OK),
    ),
    ("documents.retry", "POST"): ({"document_id": "@document"}, STAFF),
    ("documents.verify", "GET"): ({"code": "@verification_code"}, PUBLIC),
    ("documents.template_list", "GET"): ({}, STAFF),
    ("documents.template_editor", "GET"): ({"kind": "award_letter"}, STAFF),
    ("documents.template_editor", "POST"): ({"kind": "award_letter"}, STAFF),
    ("documents.template_default", "POST"): ({"kind": "award_letter"}, STAFF),
    ("documents.template_restore", "POST"): ({"kind": "award_letter", "version": "@template_version"}, STAFF),
    ("documents.special_conditions", "GET"): ({"grant_id": "@grant"}, STAFF),
    ("documents.special_conditions", "POST"): ({"grant_id": "@grant"}, STAFF),
    ("documents.call_letters", "GET"): ({"call_id": "@call"}, STAFF),
    ("documents.call_letters", "POST"): ({"call_id": "@call"}, STAFF),
    ("documents.jobs", "GET"): ({}, STAFF),
    ("documents.request_ranked_list", "POST"): ({"call_id": "@call"}, STAFF),
    # open data and the JSON API
    ("opendata.index", "GET"): ({}, PUBLIC),
    ("opendata.iati_xml", "GET"): ({}, PUBLIC),
    ("opendata.giving360_json", "GET"): ({}, PUBLIC),
    ("api.openapi_json", "GET"): ({}, PUBLIC),
    ("api.grants", "GET"): ({}, TOKEN_ONLY),
    ("api.grant", "GET"): ({"agreement_number": "@agreement_number"}, TOKEN_ONLY),
    ("api.summary", "GET"): ({}, TOKEN_ONLY),
    ("api_tokens.index", "GET"): ({}, STAFF),
    ("api_tokens.index", "POST"): ({}, STAFF),
    # the manager's own token: another staff member may not know it exists
    ("api_tokens.revoke", "POST"): (
        {"token_id": "@manager_token"},
        expect(FORBIDDEN, anonymous=LOGIN, manager=OK, admin=HIDDEN),
    ),
    # portfolio and search: staff only (implementing organisations see their grants through the grant pages)
    ("portfolio.dashboard", "GET"): ({}, STAFF),
    ("portfolio.country", "GET"): ({"code": "SN"}, STAFF),
    ("portfolio.organisation", "GET"): ({"org_id": "@org_a"}, STAFF),
    ("portfolio.export_csv", "GET"): ({}, STAFF),
    ("portfolio.export_xlsx", "GET"): ({}, STAFF),
    ("search.search", "GET"): ({"q": "Organisation"}, STAFF),
}


@pytest.fixture
def world(make_user, make_org, make_call, make_proposal, make_assignment):
    """One of everything, with each role in its relation to it."""
    users = {
        "applicant": make_user("applicant"),
        "other_applicant": make_user("applicant"),
        "partner": make_user("applicant"),
        "co_applicant": make_user("applicant"),
        "co_applicant_no_sections": make_user("applicant"),
        "evaluator": make_user("evaluator"),
        "pending_evaluator": make_user("evaluator"),
        "conflicted_evaluator": make_user("evaluator"),
        "unassigned_evaluator": make_user("evaluator"),
        "manager": make_user("manager"),
        "admin": make_user("admin"),
    }
    org_a = make_org(members=[users["applicant"]], country="SN")
    make_org(members=[users["other_applicant"]], country="FR")
    org_partner = make_org(members=[users["partner"]], country="BE")
    call = make_call()
    draft_call = make_call(status="draft")
    draft = make_proposal(call, organisation=org_a)
    under_review = make_proposal(call, organisation=org_a, status=ProposalStatus.UNDER_REVIEW)
    assignment = make_assignment(under_review, evaluator=users["evaluator"], status=AssignmentStatus.IN_PROGRESS)
    own_pending = make_assignment(under_review, evaluator=users["pending_evaluator"], status=AssignmentStatus.PENDING)
    own_conflict = make_assignment(
        under_review, evaluator=users["conflicted_evaluator"], status=AssignmentStatus.CONFLICT
    )
    own_conflict.declared_at = utcnow()
    own_conflict.conflict_reason = "I advised the lead organisation last year."
    # Two co-applicant organisations, accepted in the consortium of the draft and of the proposal under review: one
    # was given the summary section to write, the other none.
    org_co = make_org(members=[users["co_applicant"]], country="ML")
    org_co_bare = make_org(members=[users["co_applicant_no_sections"]], country="NE")
    for proposal in (draft, under_review):
        db.session.add_all(
            [
                ProposalPartner(
                    proposal=proposal,
                    organisation=org_co,
                    role="co_applicant",
                    status="accepted",
                    editable_sections=["summary"],
                ),
                ProposalPartner(proposal=proposal, organisation=org_co_bare, role="co_applicant", status="accepted"),
            ]
        )
    other = make_proposal(call, organisation=org_a, status=ProposalStatus.UNDER_REVIEW)
    pending = make_assignment(other, evaluator=users["evaluator"], status=AssignmentStatus.PENDING)
    awarded = make_proposal(call, organisation=org_a, status=ProposalStatus.AWARDED)
    # Submission, withdrawal, two stages, attachments.
    submitted = make_proposal(call, organisation=org_a, status=ProposalStatus.SUBMITTED)
    withdrawn = make_proposal(call, organisation=org_a, status=ProposalStatus.WITHDRAWN)
    two_stage = make_call(procedure="two_stage", full_application_closes_at=utcnow() + dt.timedelta(days=40))
    concept_note = make_proposal(two_stage, organisation=org_a, status=ProposalStatus.SUBMITTED, stage="concept_note")
    invited_note = make_proposal(two_stage, organisation=org_a, status=ProposalStatus.INVITED, stage="concept_note")
    attachment_key = storage.new_key("attachments", ".pdf")
    storage.put(attachment_key, b"%PDF-1.7\n% access-matrix test attachment\n")
    attachment = ProposalAttachment(
        proposal=under_review,
        kind="other",
        title="Statutes",
        filename="statutes.pdf",
        content_type="application/pdf",
        size=43,
        sha256="0" * 64,
        storage_key=attachment_key,
    )
    db.session.add(attachment)
    grant = Grant(
        agreement_number=f"{call.reference}-G01",
        call=call,
        proposal=awarded,
        lead_organisation=org_a,
        title=awarded.title,
        amount=Decimal("150000.00"),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2027, 6, 30),
        status="active",
    )
    grant.organisations = [
        GrantOrganisation(organisation=org_a, role="lead"),
        GrantOrganisation(organisation=org_partner, role="co_beneficiary", budget_share=Decimal("40000.00")),
    ]
    grant.country_rows = [GrantCountry(country_code="SN", share_pct=Decimal("100.00"))]
    report_key = storage.new_key("grant-reports", ".pdf")
    storage.put(report_key, b"%PDF-1.7\n% access-matrix test report\n")
    grant_report = GrantReport(period="interim", type="narrative", due_date=dt.date(2027, 2, 28), status="submitted")
    report_file = GrantReportFile(
        version=1,
        filename="report.pdf",
        content_type="application/pdf",
        size=38,
        sha256="0" * 64,
        storage_key=report_key,
    )
    grant_report.files = [report_file]
    grant.reports = [grant_report]
    tranche = Tranche(number=1, kind="pre_financing", planned_date=dt.date(2026, 1, 1), planned_amount=Decimal("50000"))
    grant.tranches = [tranche]
    amendment = Amendment(
        number=1, kind="no_cost_extension", changes={"end_date": "2027-09-30"}, justification="More time."
    )
    grant.amendments = [amendment]
    db.session.add(grant)
    key = storage.new_key("documents", ".pdf")
    storage.put(key, b"%PDF-1.7\n% access-matrix test document\n")
    document = Document(
        kind="award_letter",
        grant=grant,
        status=DocumentStatus.READY,
        storage_key=key,
        sha256="0" * 64,
        size=40,
        rendered_at=utcnow(),
    )
    invitation_token = "matrix-invitation-token"
    invitation = Invitation(
        email="invited@test.example",
        role="evaluator",
        token_hash=Invitation.hash_token(invitation_token),
        invited_by=users["admin"],
        expires_at=utcnow() + dt.timedelta(days=3),
    )
    # The partner organisation is invited (not yet accepted) to the draft's consortium; the other applicant asked
    # to join the lead organisation.
    invited_partner = ProposalPartner(proposal=draft, organisation=org_partner, role="co_applicant", status="invited")
    membership_request = MembershipRequest(organisation=org_a, user=users["other_applicant"], message="Let me in.")
    outbox_message = OutboxMessage(
        recipient="someone@test.example",
        template="accounts_password_reset",
        category="account",
        subject="Reset your password",
        text="Hello",
        html="<p>Hello</p>",
        status="failed",
        error="SMTPServerDisconnected: gone",
    )
    db.session.add_all([grant, document, invitation, invited_partner, membership_request, outbox_message])
    old_template = DocumentTemplate(kind="award_letter", version=1, html="<p>{{ letter.title }}</p>", active=False)
    db.session.add(old_template)
    db.session.add_all([grant, document, invitation])
    call_document, call_question = _call_extras(call, users["applicant"])
    clarification, answered_clarification = _clarifications(under_review, users["manager"], users["applicant"])
    check_item = CheckItem(call_id=call.id, kind="administrative_check", position=1, label_en="Late", label_fr="Tard")
    db.session.add(check_item)
    db.session.commit()
    manager_token, _secret = create_token(users["manager"], "Matrix", 30, by=users["manager"])
    db.session.commit()
    return {
        "users": {role: user.id for role, user in users.items()},
        "org_a": org_a.id,
        "call": call.id,
        "draft_call": draft_call.id,
        "draft": draft.id,
        "under_review": under_review.id,
        "assignment": assignment.id,
        "pending_assignment": pending.id,
        "own_pending_assignment": own_pending.id,
        "own_conflict_assignment": own_conflict.id,
        "grant": grant.id,
        "document": document.id,
        "report": grant_report.id,
        "report_file": report_file.id,
        "tranche": tranche.id,
        "amendment": amendment.id,
        "verification_code": document.verification_code,
        "submitted": submitted.id,
        "withdrawn": withdrawn.id,
        "concept_note": concept_note.id,
        "invited_note": invited_note.id,
        "attachment": attachment.id,
        "invitation_token": invitation_token,
        "invited_partner": invited_partner.id,
        "membership_request": membership_request.id,
        "call_document": call_document.id,
        "call_question": call_question.id,
        "agreement_number": grant.agreement_number,
        "manager_token": manager_token.id,
        "outbox_message": outbox_message.id,
        "clarification": clarification.id,
        "answered_clarification": answered_clarification.id,
        "stage": call.stages[0].id,
        "criterion": call.stages[0].criteria[-1].id,
        "check_item": check_item.id,
        "template_version": old_template.version,
    }


def _clarifications(proposal, manager, applicant):
    """An open clarification request on the proposal, and one answered with a file."""
    from portal.evaluation.thread_models import ClarificationRequest

    due = utcnow() + dt.timedelta(days=7)
    key = storage.new_key("clarifications", ".pdf")
    storage.put(key, b"%PDF-1.7\n% clarification answer\n")
    open_request = ClarificationRequest(
        proposal=proposal, asked_by_id=manager.id, question="Which partners?", due_at=due
    )
    answered = ClarificationRequest(
        proposal=proposal,
        asked_by_id=manager.id,
        question="Send the statutes.",
        due_at=due,
        status="answered",
        answer="Attached.",
        answered_by_id=applicant.id,
        answered_at=utcnow(),
        attachment_key=key,
        attachment_name="statutes.pdf",
        attachment_content_type="application/pdf",
        attachment_size=32,
        attachment_sha256="0" * 64,
    )
    db.session.add_all([open_request, answered])
    return open_request, answered


def _call_extras(call, asker):
    """A published document of the call and a pending clarification question on it."""
    from portal.calls.models import CallDocument, CallQuestion

    key = storage.new_key("calls", ".pdf")
    storage.put(key, b"%PDF-1.7\n% call guidelines\n")
    document = CallDocument(
        call_id=call.id,
        kind="guidelines",
        title="Guidelines",
        filename="guidelines.pdf",
        content_type="application/pdf",
        size=27,
        sha256="0" * 64,
        storage_key=key,
    )
    question = CallQuestion(call_id=call.id, asked_by_id=asker.id, question="May diaspora groups lead?")
    db.session.add_all([document, question])
    return document, question


def _outcome(response) -> object:
    if response.status_code in (301, 302, 303):
        return LOGIN if "/login" in response.headers.get("Location", "") else OK
    if response.status_code in (401, 403, 404):
        return response.status_code
    assert response.status_code < 500, f"server error {response.status_code}"
    return OK


def _rules_of(app):
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_route_has_a_rule(app):
    """A route added without an access row here (and without an access decorator) fails."""
    missing = sorted(_rules_of(app) - set(RULES))
    assert not missing, f"routes without an access rule in this matrix: {missing}"
    stale = sorted(set(RULES) - _rules_of(app))
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_every_view_declares_its_access_rule(app):
    unmarked = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not getattr(view, ACCESS_ATTR, None)
    ]
    assert not unmarked, f"views without @public / @authenticated / @role_required: {unmarked}"


@pytest.mark.parametrize(("endpoint", "method"), sorted(RULES), ids=lambda v: str(v))
def test_access(app, world, login, endpoint, method):
    from flask import url_for

    arguments, expected = RULES[(endpoint, method)]
    values = {k: (world[v[1:]] if isinstance(v, str) and v.startswith("@") else v) for k, v in arguments.items()}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    # Each role's request runs in a savepoint rolled back afterwards, so a permitted POST (removing, publishing)
    # cannot change what the next role sees.
    connection = db.session.get_bind()
    seen = {}
    for role in ROLES:
        db.session.remove()  # close the session's own savepoint first, so that ours is the outer one
        savepoint = connection.begin_nested()
        client = app.test_client()
        if role != "anonymous":
            login(client, db.session.get(User, world["users"][role]))
        try:
            response = client.open(url, method=method, data={})
            seen[role] = _outcome(response)
            response.close()  # ends a streamed response (the open-data files) and its request context
        finally:
            db.session.remove()
            savepoint.rollback()
    assert seen == expected, f"{method} {url}"


# -- evaluators see nothing of a proposal before declaring no conflict, and never another evaluator's draft ---------


def test_evaluators_see_nothing_of_a_proposal_before_declaring_no_conflict(app, world, login):
    """The pending and the conflicted evaluator, on their own assignment: the declaration page (only what a
    declaration needs: reference, title, call, consortium) and nothing else: no scoring page, no document, no
    proposal page, attachment, download or timeline."""
    from flask import url_for

    from portal.proposals.models import Proposal

    proposal = db.session.get(Proposal, world["under_review"])
    summary = proposal.summary
    with app.test_request_context():
        own = {
            role: world[f"own_{kind}_assignment"] for role, kind in (("pending", "pending"), ("conflict", "conflict"))
        }
        urls = {
            role: {
                "declare": url_for("evaluation.declare", assignment_id=own[role]),
                "score": url_for("evaluation.score", assignment_id=own[role]),
                "document": url_for("evaluation.document", assignment_id=own[role], attachment_id=world["attachment"]),
            }
            for role in own
        }
        proposal_pages = [
            url_for("proposals.view", proposal_id=proposal.id),
            url_for("proposals.attachments", proposal_id=proposal.id),
            url_for("proposals.download_attachment", proposal_id=proposal.id, attachment_id=world["attachment"]),
            url_for("evaluation.proposal_timeline", proposal_id=proposal.id),
        ]

    pending = app.test_client()
    login(pending, db.session.get(User, world["users"]["pending_evaluator"]))
    page = pending.get(urls["pending"]["declare"])
    assert page.status_code == 200
    assert proposal.title in page.get_data(as_text=True)
    assert summary not in page.get_data(as_text=True)
    for method in ("GET", "POST"):
        response = pending.open(urls["pending"]["score"], method=method, data={})
        assert (response.status_code, response.headers["Location"]) == (302, urls["pending"]["declare"])
    assert pending.get(urls["pending"]["document"]).status_code == 404
    for url in proposal_pages:
        assert pending.get(url).status_code == 404, url

    conflicted = app.test_client()
    login(conflicted, db.session.get(User, world["users"]["conflicted_evaluator"]))
    response = conflicted.get(urls["conflict"]["declare"])
    assert response.status_code == 302 and response.headers["Location"] == "/evaluation"
    for method in ("GET", "POST"):
        assert conflicted.open(urls["conflict"]["score"], method=method, data={}).status_code == 404
    assert conflicted.get(urls["conflict"]["document"]).status_code == 404
    for url in proposal_pages:
        assert conflicted.get(url).status_code == 404, url


def test_an_evaluator_never_sees_another_evaluators_draft(app, world, login, make_user, make_assignment):
    """A second evaluator, who declared no conflict and saved a draft: the first evaluator of the same proposal (and
    every other evaluator) gets 404 for it, and finds its comments on none of the pages they may open."""
    from flask import url_for

    from portal.proposals.models import Proposal

    proposal = db.session.get(Proposal, world["under_review"])
    second = make_user("evaluator")
    draft = make_assignment(proposal, evaluator=second, status=AssignmentStatus.IN_PROGRESS, scores={})
    secret = "Draft of the second evaluator: weak budget justification."
    for entry in draft.scores:
        entry.comment = secret
    db.session.commit()
    with app.test_request_context():
        theirs = url_for("evaluation.score", assignment_id=draft.id)
        mine = [
            url_for("evaluation.score", assignment_id=world["assignment"]),
            url_for("evaluation.queue"),
            url_for("proposals.view", proposal_id=proposal.id),
            url_for("evaluation.proposal_timeline", proposal_id=proposal.id),
        ]
    for role in ("evaluator", "pending_evaluator", "conflicted_evaluator", "unassigned_evaluator"):
        client = app.test_client()
        login(client, db.session.get(User, world["users"][role]))
        for method in ("GET", "POST"):
            assert client.open(theirs, method=method, data={}).status_code == 404, role
        for url in mine:
            response = client.get(url)
            assert secret not in response.get_data(as_text=True), (role, url)
    # the owner does see it
    owner = app.test_client()
    login(owner, second)
    assert secret in owner.get(theirs).get_data(as_text=True)


def test_swapped_ids_reveal_nothing(app, world, login):
    """An attachment id put under another proposal, or under the evaluator's own assignment of another proposal, is
    404 even for someone who may read both proposals."""
    from flask import url_for

    key = storage.new_key("attachments", ".pdf")
    storage.put(key, b"%PDF-1.7\n% another proposal's attachment\n")
    foreign = ProposalAttachment(
        proposal_id=world["draft"],
        kind="other",
        title="Budget notes",
        filename="notes.pdf",
        content_type="application/pdf",
        size=41,
        sha256="0" * 64,
        storage_key=key,
    )
    db.session.add(foreign)
    db.session.commit()
    with app.test_request_context():
        lead_swaps = [
            url_for("proposals.download_attachment", proposal_id=world["draft"], attachment_id=world["attachment"]),
            url_for("proposals.download_attachment", proposal_id=world["under_review"], attachment_id=foreign.id),
        ]
        evaluator_swap = url_for("evaluation.document", assignment_id=world["assignment"], attachment_id=foreign.id)
        evaluator_own = url_for(
            "evaluation.document", assignment_id=world["assignment"], attachment_id=world["attachment"]
        )
    lead = app.test_client()
    login(lead, db.session.get(User, world["users"]["applicant"]))
    for url in lead_swaps:
        assert lead.get(url).status_code == 404, url
    evaluator = app.test_client()
    login(evaluator, db.session.get(User, world["users"]["evaluator"]))
    assert evaluator.get(evaluator_own).status_code == 200
    assert evaluator.get(evaluator_swap).status_code == 404
