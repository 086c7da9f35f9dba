"""Two people changing the same grant: the second one, working from the page as it was, is told and overwrites
nothing; what they typed is kept. (The same rule for a draft's sections and a review is tested in
tests/proposals/test_form.py::test_a_stale_section_save_is_refused_and_keeps_the_values and
tests/evaluation/test_score.py::test_stale_version_is_refused.)"""

from __future__ import annotations

import re

from portal.core.audit import AuditEntry
from portal.grants.models import Grant, GrantStatus
from tests.accounts.helpers import text_of

REASON = "The lead organisation's accounts were found to be falsified."


def _version_on_page(client, grant_id: int) -> str:
    page = client.get(f"/grants/{grant_id}").get_data(as_text=True)
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert found, "the status form carries the grant's version"
    return found.group(1)


def test_a_grant_status_change_from_a_stale_page_is_refused_and_keeps_the_input(
    app, login, make_user, session, awarded, consortium
):
    first, second = consortium.manager, make_user("manager", email="second@facility.example")
    mine, theirs = login(app.test_client(), first), login(app.test_client(), second)
    grant_id = awarded.id
    opened = _version_on_page(mine, grant_id)
    assert _version_on_page(theirs, grant_id) == opened  # both open the grant while it is being contracted

    started = mine.post(f"/grants/{grant_id}/status", data={"action": "activate", "version": opened})
    assert started.status_code == 302

    late = theirs.post(f"/grants/{grant_id}/status", data={"action": "terminate", "reason": REASON, "version": opened})
    assert late.status_code == 422
    page = text_of(late)
    assert "Someone else changed grant" in page and "it is now “Active”. Nothing was changed." in page
    assert REASON in page  # what they typed is still there
    session.expire_all()
    grant = session.get(Grant, grant_id)
    assert grant.status == GrantStatus.ACTIVE.value  # the first change stands
    assert session.query(AuditEntry).filter_by(action="grant.terminated").count() == 0

    # The refused page shows the grant as it now is, with its new version: sending again is a deliberate choice.
    assert f'name="version" type="hidden" value="{grant.version_id}"' in late.get_data(as_text=True)
    again = theirs.post(
        f"/grants/{grant_id}/status", data={"action": "terminate", "reason": REASON, "version": str(grant.version_id)}
    )
    assert again.status_code == 302
    session.expire_all()
    assert session.get(Grant, grant_id).status == GrantStatus.TERMINATED.value


def _tranche_post(tranche, version: str, note: str) -> dict:
    prefix = f"t{tranche.id}-"
    return {
        prefix + "kind": tranche.kind,
        prefix + "planned_date": tranche.planned_date.isoformat(),
        prefix + "planned_amount": str(tranche.planned_amount),
        prefix + "requires_report": str(tranche.requires_report_id or 0),
        prefix + "note": note,
        prefix + "version": version,
    }


def test_a_tranche_change_from_a_stale_page_is_refused_and_keeps_the_input(
    app, login, make_user, session, awarded, consortium
):
    from portal.grants.models import Tranche

    first, second = consortium.manager, make_user("manager", email="second@facility.example")
    mine, theirs = login(app.test_client(), first), login(app.test_client(), second)
    tranche = awarded.tranches[-1]
    url = f"/grants/{awarded.id}/payments/{tranche.id}"
    page = mine.get(f"/grants/{awarded.id}/payments").get_data(as_text=True)
    opened = re.search(rf'name="t{tranche.id}-version" type="hidden" value="(\d+)"', page).group(1)

    assert mine.post(url, data=_tranche_post(tranche, opened, "Paid after the final audit.")).status_code == 302
    late = theirs.post(url, data=_tranche_post(tranche, opened, "My own note on the balance."))
    assert late.status_code == 422
    assert "Someone else changed tranche 3 while you were working. Nothing was changed" in text_of(late)
    assert "My own note on the balance." in text_of(late)
    session.expire_all()
    stored = session.get(Tranche, tranche.id)
    assert stored.note == "Paid after the final audit."
    assert f'name="t{tranche.id}-version" type="hidden" value="{stored.version_id}"' in late.get_data(as_text=True)
