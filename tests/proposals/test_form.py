"""The sectioned proposal form: each section saved alone through its version, every rule's message, nothing lost
on a refused save, the JSON autosave, repeatable groups without JavaScript, the check page and the overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.proposals.models import PartnerRole, PartnerStatus, Proposal, ProposalPartner
from portal.proposals.operations import ProposalError, save_section, validate_for_submission
from portal.proposals.sections import section_row, section_version
from tests.proposals.filling import fill_sections, form_posts

JSON = {"Accept": "application/json"}


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


def _url(proposal, key) -> str:
    return f"/proposals/{proposal.id}/sections/{key}"


def _post(client, proposal, key, data, version=None, headers=None):
    body = {"version": str(section_version(proposal, key) if version is None else version), **data}
    return client.post(_url(proposal, key), data=body, headers=headers or {})


@pytest.fixture
def lead(client, login, applicant):
    return login(client, applicant)


# -- every section saves, and a complete form can be submitted ----------------------------------------------------


def test_every_section_page_saves_and_the_form_becomes_complete(lead, draft, session):
    posts = form_posts(draft)
    for key in ("identification", "summary", "relevance", "logframe", "countries", "target_groups", "risks",
                "sustainability", "declarations"):
        assert lead.get(_url(draft, key)).status_code == 200, key
        response = _post(lead, _reload(session, draft.id), key, posts[key])
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:3000])
    proposal = _reload(session, draft.id)
    uid = section_row(proposal, "logframe").data["activities"][0]["uid"]
    page = lead.get(_url(proposal, "workplan")).get_data(as_text=True)
    assert f'value="{uid}:18"' in page and f'value="{uid}:19"' not in page  # 18 months
    assert _post(lead, proposal, "workplan", {"plan": [f"{uid}:1", f"{uid}:2"]}).status_code == 302
    proposal = _reload(session, draft.id)
    assert validate_for_submission(proposal) == []
    assert [c.share_pct for c in proposal.country_rows] == [Decimal("40.00"), Decimal("60.00")]
    assert section_row(proposal, "workplan").data == {"months": {uid: [1, 2]}}
    declarations = section_row(proposal, "declarations").data
    assert declarations["declared_by_id"] == proposal.created_by_id and declarations["declared_at"]
    page = lead.get(f"/proposals/{draft.id}/check").get_data(as_text=True)
    assert "Your proposal is complete" in page and f"/proposals/{draft.id}/submit" in page
    assert lead.post(f"/proposals/{draft.id}/submit").status_code == 302
    assert _reload(session, draft.id).status == "submitted"
