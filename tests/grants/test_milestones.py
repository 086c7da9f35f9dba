"""The reporting schedule a manager edits (add, change, remove a milestone, with the rules and their messages), the
interim reports a no-cost extension adds, and the withdrawal of a pending amendment.

The awarded grant runs from 1 January 2027 to 30 June 2028: interim reports due on 29 February 2028 (tranche 2 waits
for the financial one), final reports due on 29 August 2028 (the balance, tranche 3, waits for the financial one)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.grants import amendments, reporting
from portal.grants.models import GrantReport, GrantReportFile
from portal.grants.operations import GrantError, change_status
from tests.grants.conftest import START
from tests.grants.test_routes import count_queries

JUSTIFICATION = "The elections in Mali delayed the field work by three months."


@pytest.fixture
def active(awarded, consortium, session):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    session.commit()
    return awarded


def _refusal(call) -> str:
    with pytest.raises(GrantError) as exc:
        call()
    return str(exc.value)


def _actions(session, prefix: str) -> list[str]:
    return session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
    ).all()


def _upload(report, user) -> None:
    report.files.append(
        GrantReportFile(
            version=1,
            filename="report.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            storage_key="grant-reports/" + "0" * 32 + ".pdf",
            uploaded_by_id=user.id,
        )
    )
    report.status = "submitted"
    db.session.flush()


def _by_kind(grant, period, type_) -> list[GrantReport]:
    return [r for r in grant.reports if r.period == period and r.type == type_]


# -- the rules ---------------------------------------------------------------------------------------------------


def test_adding_a_milestone_checks_its_kind_and_due_date(session, active, consortium, in_request):
    manager = consortium.manager

    def add(**kw):
        values = {"period": "interim", "type": "narrative", "due_date": dt.date(2027, 7, 31), "title": ""} | kw
        return reporting.add_milestone(active, by=manager, **values)

    assert _refusal(lambda: add(period="yearly")) == "Choose the kind of report."
    assert _refusal(lambda: add(type="visual")) == "Choose the kind of report."
    assert _refusal(lambda: add(due_date=None)) == "Enter the due date."
    assert _refusal(lambda: add(due_date=START)) == (
        "The due date must be after the start of the grant, January 1, 2027."
    )
    assert _refusal(lambda: add(period="final", due_date=dt.date(2028, 6, 29))) == (
        "A final report is due on or after the end date of the grant, June 30, 2028."
    )
    assert _refusal(lambda: add(title="x" * 201)) == "Use at most 200 characters."
    before = len(active.reports)
    report = add(title="  Mid-term   review ")
    add(period="final", due_date=dt.date(2028, 6, 30))  # on the end date: allowed
    assert len(active.reports) == before + 2
    assert (report.period, report.type, report.title, report.status) == (
        "interim",
        "narrative",
        "Mid-term review",
        "due",
    )
    [entry, _final] = session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "grant.report_added").order_by(AuditEntry.id)
    ).all()
    assert entry.object_type == "grants" and entry.object_id == str(active.id)
    assert entry.after["report_id"] == report.id and entry.after["due_date"] == "2027-07-31"
    assert entry.after["title"] == "Mid-term review"


def test_changing_a_milestone_is_checked_and_audited_and_stops_once_a_file_is_uploaded(
    session, active, consortium, in_request
):
    manager = consortium.manager
    [final_narrative] = _by_kind(active, "final", "narrative")
    assert _refusal(lambda: reporting.change_milestone(final_narrative, due_date=dt.date(2028, 5, 1), by=manager)) == (
        "A final report is due on or after the end date of the grant, June 30, 2028."
    )
    assert final_narrative.due_date == dt.date(2028, 8, 29)  # left as it was
    reporting.change_milestone(final_narrative, due_date=dt.date(2028, 9, 15), title="Closing", by=manager)
    assert (final_narrative.due_date, final_narrative.title) == (dt.date(2028, 9, 15), "Closing")
    [entry] = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "grant.report_changed")).all()
    assert (entry.before["due_date"], entry.after["due_date"]) == ("2028-08-29", "2028-09-15")
    assert (entry.before["title"], entry.after["title"]) == ("", "Closing")

    _upload(final_narrative, consortium.lead_user)
    assert _refusal(lambda: reporting.change_milestone(final_narrative, due_date=dt.date(2028, 10, 1), by=manager)) == (
        "A file was uploaded for this report: it can no longer change."
    )
    assert _refusal(lambda: reporting.remove_milestone(final_narrative, by=manager)) == (
        "A file was uploaded for this report: it cannot be removed."
    )


def test_a_milestone_a_tranche_waits_for_is_never_removed(session, active, consortium, in_request):
    manager = consortium.manager
    [interim_financial] = _by_kind(active, "interim", "financial")
    [interim_narrative] = _by_kind(active, "interim", "narrative")
    [final_financial] = _by_kind(active, "final", "financial")
    [final_narrative] = _by_kind(active, "final", "narrative")
    assert _refusal(lambda: reporting.remove_milestone(interim_financial, by=manager)) == (
        "Tranche 2 waits for this report: change the tranche first."
    )
    assert _refusal(lambda: reporting.remove_milestone(final_financial, by=manager)) == (
        "Tranche 3 waits for this report: change the tranche first."
    )
    # The grant keeps a final narrative report (the balance waits for every final report).
    assert _refusal(lambda: reporting.remove_milestone(final_narrative, by=manager)) == (
        "This is the grant's only final narrative report: a grant always keeps one."
    )
    reporting.remove_milestone(interim_narrative, by=manager)
    session.flush()
    assert interim_narrative not in active.reports
    assert session.get(GrantReport, interim_narrative.id) is None
    [entry] = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "grant.report_removed")).all()
    assert entry.before["period"] == "interim" and entry.before["type"] == "narrative" and entry.after is None

    second_final = reporting.add_milestone(
        active, period="final", type="narrative", due_date=dt.date(2028, 9, 30), title="Annex", by=manager
    )
    reporting.remove_milestone(final_narrative, by=manager)  # another final narrative report remains
    assert _by_kind(active, "final", "narrative") == [second_final]


def test_the_schedule_of_a_closed_grant_no_longer_changes(session, active, consortium, in_request):
    change_status(
        active,
        "terminate",
        by=consortium.manager,
        on=dt.date(2027, 6, 1),
        reason="The lead organisation was dissolved.",
    )
    [interim_narrative] = _by_kind(active, "interim", "narrative")
    message = "The grant is closed: its reporting schedule can no longer change."
    assert _refusal(lambda: reporting.remove_milestone(interim_narrative, by=consortium.manager)) == message
    assert (
        _refusal(
            lambda: reporting.change_milestone(interim_narrative, due_date=dt.date(2027, 6, 1), by=consortium.manager)
        )
        == message
    )
    assert (
        _refusal(
            lambda: reporting.add_milestone(
                active, period="interim", type="narrative", due_date=dt.date(2027, 6, 1), by=consortium.manager
            )
        )
        == message
    )


# -- the page ----------------------------------------------------------------------------------------------------


def test_manager_edits_the_reporting_schedule_through_the_page(client, login, active, consortium, session):
    login(client, consortium.manager)
    assert "/reporting" in client.get(f"/grants/{active.id}").text  # the link from the grant's reports
    url = f"/grants/{active.id}/reporting"
    page = client.get(url)
    assert page.status_code == 200
    assert "Tranche 2 waits for this report." in page.text
    response = client.post(
        url, data={"new-kind": "final:narrative", "new-due_date": "2028-01-31", "new-title": "Extra"}
    )
    assert response.status_code == 422
    assert "A final report is due on or after the end date of the grant, June 30, 2028." in response.text
    assert 'value="Extra"' in response.text and 'value="2028-01-31"' in response.text  # what was typed is kept
    response = client.post(
        url,
        data={"new-kind": "interim:financial", "new-due_date": "2027-08-31", "new-title": "Mid-term"},
        follow_redirects=True,
    )
    assert "Interim financial report — Mid-term, due on August 31, 2027, is added." in response.text
    session.expire_all()
    added = next(r for r in active.reports if r.title == "Mid-term")
    response = client.post(f"{url}/{added.id}", data={f"r{added.id}-due_date": "2026-12-01"})
    assert response.status_code == 422
    assert "The due date must be after the start of the grant, January 1, 2027." in response.text
    response = client.post(
        f"{url}/{added.id}",
        data={f"r{added.id}-due_date": "2027-09-30", f"r{added.id}-title": ""},
        follow_redirects=True,
    )
    assert "Interim financial report is changed." in response.text
    [interim_financial] = [r for r in _by_kind(active, "interim", "financial") if r.id != added.id]
    response = client.post(f"{url}/{interim_financial.id}/remove", follow_redirects=True)
    assert "Tranche 2 waits for this report: change the tranche first." in response.text
    response = client.post(f"{url}/{added.id}/remove", follow_redirects=True)
    assert "Interim financial report is removed from the reporting schedule." in response.text
    session.expire_all()
    assert added.id not in {r.id for r in active.reports}
    assert _actions(session, "grant.report_") == ["grant.report_added", "grant.report_changed", "grant.report_removed"]


def test_a_report_with_a_file_shows_no_controls_and_its_change_is_refused(client, login, active, consortium, session):
    [interim_narrative] = _by_kind(active, "interim", "narrative")
    _upload(interim_narrative, consortium.lead_user)
    session.commit()
    login(client, consortium.manager)
    url = f"/grants/{active.id}/reporting"
    page = client.get(url).text
    assert "1 file uploaded: this report can no longer change." in page
    assert f"{url}/{interim_narrative.id}/remove" not in page
    response = client.post(
        f"{url}/{interim_narrative.id}", data={f"r{interim_narrative.id}-due_date": "2028-03-31"}, follow_redirects=True
    )
    assert "A file was uploaded for this report: it can no longer change." in response.text
    session.expire_all()
    assert interim_narrative.due_date == dt.date(2028, 2, 29)


def test_only_staff_reach_the_reporting_schedule(client, login, active, consortium, make_user):
    url = f"/grants/{active.id}/reporting"
    report = active.reports[0]
    for user, code in (
        (consortium.lead_user, 403),
        (consortium.co_user, 403),
        (make_user("applicant"), 404),
        (make_user("evaluator"), 404),
    ):
        login(client, user)
        assert client.get(url).status_code == code
        assert client.post(url, data={"new-kind": "interim:narrative", "new-due_date": "2027-06-01"}).status_code == (
            code
        )
        assert client.post(f"{url}/{report.id}/remove").status_code == code
    assert len(active.reports) == 4


def test_the_reporting_schedule_page_queries_do_not_grow_with_the_milestones(
    client, login, active, consortium, session
):
    _upload(active.reports[0], consortium.lead_user)  # (with no file at all the page needs no uploader's name)
    session.commit()
    login(client, consortium.manager)
    urls = [f"/grants/{active.id}/reporting", f"/grants/{active.id}"]

    def counts():
        found = []
        for url in urls:
            session.expire_all()
            with count_queries() as statements:
                assert client.get(url).status_code == 200, url
            found.append(len(statements))
        return found

    small = counts()
    for month in range(2, 8):
        report = reporting.add_milestone(
            active, period="interim", type="narrative", due_date=dt.date(2027, month, 1), by=consortium.manager
        )
        if month % 2:
            _upload(report, consortium.lead_user)
    session.commit()
    assert counts() == small


# -- no-cost extensions add the interim reports of the years they complete ----------------------------------------


def test_an_extension_within_the_last_year_adds_no_interim_report(session, active, consortium, in_request):
    assert amendments.interim_dates_added(active, dt.date(2028, 12, 31)) == []
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2028-12-31"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    assert amendments.interim_dates_of(amendment) == []
    amendments.decide_amendment(amendment, approve=True, comment="", by=consortium.manager)
    assert len(_by_kind(active, "interim", "narrative")) == 1
    assert "interim_reports_added" not in amendment.terms_after


def test_an_extension_that_completes_years_adds_their_interim_reports(
    client, login, active, consortium, session, in_request
):
    assert amendments.interim_dates_added(active, dt.date(2030, 1, 31)) == [dt.date(2029, 3, 1), dt.date(2030, 3, 1)]
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2029-03-31"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    # A manager already planned the interim narrative report of the second year: it is not doubled.
    reporting.add_milestone(
        active, period="interim", type="narrative", due_date=dt.date(2029, 3, 1), by=consortium.manager
    )
    session.commit()
    login(client, consortium.lead_user)
    page = client.get(f"/grants/{active.id}/amendments/{amendment.id}").text
    assert "Approving adds the interim reports due on March 1, 2029." in page
    login(client, consortium.manager)
    response = client.post(
        f"/grants/{active.id}/amendments/{amendment.id}", data={"decision": "approve"}, follow_redirects=True
    )
    assert "Approving adds" not in response.text
    assert "Interim reports added, due on" in response.text
    session.expire_all()
    interims = sorted((r.due_date, r.type) for r in active.reports if r.period == "interim")
    assert interims == [
        (dt.date(2028, 2, 29), "financial"),
        (dt.date(2028, 2, 29), "narrative"),
        (dt.date(2029, 3, 1), "financial"),
        (dt.date(2029, 3, 1), "narrative"),
    ]
    assert {r.due_date for r in active.reports if r.period == "final"} == {dt.date(2029, 5, 30)}
    assert amendment.terms_after["interim_reports_added"] == ["2029-03-01"]
    [entry] = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "grant.amendment_approved")).all()
    assert entry.after["terms"]["interim_reports_added"] == ["2029-03-01"]


def test_the_page_names_every_added_year(client, login, active, consortium, session, in_request):
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2030-01-31"},
        justification=JUSTIFICATION,
        by=consortium.manager,
    )
    session.commit()
    login(client, consortium.manager)
    page = client.get(f"/grants/{active.id}/amendments/{amendment.id}").text
    assert "Approving adds the interim reports due on March 1, 2029 and March 1, 2030." in page


# -- withdrawing an amendment ------------------------------------------------------------------------------------


def test_the_lead_withdraws_its_pending_amendment(client, login, active, consortium, session):
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2028-09-30"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    session.commit()
    page_url = f"/grants/{active.id}/amendments/{amendment.id}"
    url = f"{page_url}/withdraw"
    login(client, consortium.co_user)
    assert "Withdraw the amendment" not in client.get(page_url).text
    assert client.post(url).status_code == 403
    login(client, consortium.manager)
    assert "Withdraw the amendment" not in client.get(page_url).text
    response = client.post(url, follow_redirects=True)
    assert (
        "Amendment 1 was requested by the lead organisation: only its users can withdraw it; a manager rejects it "
        "instead." in response.text
    )
    login(client, consortium.lead_user)
    assert "Withdraw the amendment" in client.get(page_url).text
    response = client.post(url, follow_redirects=True)
    assert "Amendment 1 is withdrawn." in response.text
    assert "Withdraw the amendment" not in response.text
    session.expire_all()
    assert amendment.status == "withdrawn" and active.end_date == dt.date(2028, 6, 30)
    [entry] = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "grant.amendment_withdrawn")).all()
    assert (entry.before, entry.after, entry.actor_id) == (
        {"status": "requested"},
        {"status": "withdrawn"},
        consortium.lead_user.id,
    )
    response = client.post(url, follow_redirects=True)
    assert "Amendment 1 is already “Withdrawn”: it can no longer be withdrawn." in response.text
    # A new amendment can be requested at once.
    response = client.post(
        f"/grants/{active.id}/amendments/new",
        data={"which": "extension", "ext-end_date": "2028-10-31", "ext-justification": JUSTIFICATION},
        follow_redirects=True,
    )
    assert "Amendment 2 is requested; a manager will decide on it." in response.text


def test_only_the_manager_who_requested_withdraws_and_a_decided_amendment_stays(
    session, active, consortium, make_user, in_request
):
    amendment = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2028-09-30"},
        justification=JUSTIFICATION,
        by=consortium.manager,
    )
    expected = f"Amendment 1 was requested by {consortium.manager.display_name}: only they can withdraw it."
    assert _refusal(lambda: amendments.withdraw_amendment(amendment, by=consortium.lead_user)) == expected
    assert _refusal(lambda: amendments.withdraw_amendment(amendment, by=make_user("manager"))) == expected
    assert amendments.can_withdraw(amendment, consortium.manager)
    amendments.withdraw_amendment(amendment, by=consortium.manager)
    assert amendment.status == "withdrawn"

    second = amendments.request_amendment(
        active,
        kind="no_cost_extension",
        changes={"end_date": "2028-09-30"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    amendments.decide_amendment(second, approve=True, comment="", by=consortium.manager)
    assert _refusal(lambda: amendments.withdraw_amendment(second, by=consortium.lead_user)) == (
        "Amendment 2 is already “Approved”: it can no longer be withdrawn."
    )
    assert not amendments.can_withdraw(second, consortium.lead_user)
