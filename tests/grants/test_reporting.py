"""Reporting: the lead uploads the report of a milestone, a manager approves it or asks for changes, overdue
milestones are flagged on the grant page, the grants list and the lead's dashboard; files go to participants and
staff only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from weasyprint import HTML

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.grants import reporting
from portal.grants.models import GrantReportFile
from portal.grants.operations import GrantError, change_status
from tests.core.test_uploads import HTML_PAGE
from tests.grants.conftest import START


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return HTML(string="<h1>Interim narrative report</h1><p>Year one of the action.</p>").write_pdf()


@pytest.fixture
def active(awarded, consortium, session):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    session.commit()
    return awarded


def _interim_narrative(grant):
    return next(r for r in grant.reports if (r.period, r.type) == ("interim", "narrative"))


def _upload(client, grant, report, data: bytes, name="report.pdf", comment=""):
    return client.post(
        f"/grants/{grant.id}/reports/{report.id}/upload",
        data={"file": (io.BytesIO(data), name), "comment": comment},
        content_type="multipart/form-data",
    )


def test_the_lead_uploads_the_manager_asks_for_changes_then_approves(
    client, login, active, consortium, session, pdf, outbox
):
    report = _interim_narrative(active)  # due 29 February 2028
    login(client, consortium.lead_user)
    response = _upload(client, active, report, pdf, comment="First year.")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "The report is submitted; the facility will review it." in page
    session.expire_all()
    assert report.status == "submitted" and [f.version for f in report.files] == [1]

    login(client, consortium.manager)
    response = client.post(
        f"/grants/{active.id}/reports/{report.id}/review", data={"decision": "changes", "comment": "Too short"}
    )
    assert response.status_code == 422
    assert "Say what must change, in at least 10 characters." in response.text
    response = client.post(
        f"/grants/{active.id}/reports/{report.id}/review",
        data={"decision": "changes", "comment": "Add the figures of the Mali activities."},
        follow_redirects=True,
    )
    assert "Changes are requested; the lead has been told." in response.text
    [message] = outbox
    assert message.to == consortium.lead_user.email
    assert message.subject == "Grant CFP-2026-01-G01: changes are requested to your interim narrative report"
    assert "Add the figures of the Mali activities." in message.text

    login(client, consortium.lead_user)
    assert _upload(client, active, report, pdf, name="report-v2.pdf").status_code == 302
    session.expire_all()
    assert report.status == "submitted" and [f.version for f in report.files] == [1, 2]

    login(client, consortium.manager)
    response = client.post(
        f"/grants/{active.id}/reports/{report.id}/review", data={"decision": "approve"}, follow_redirects=True
    )
    assert "The report is approved; the lead has been told." in response.text
    assert outbox[-1].subject == "Grant CFP-2026-01-G01: your interim narrative report is approved"
    session.expire_all()
    assert report.status == "approved" and report.reviewed_by_id == consortium.manager.id
    actions = session.scalars(
        db.select(AuditEntry.action).where(AuditEntry.object_type == "grant_reports").order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "grant.report_submitted",
        "grant.report_changes_requested",
        "grant.report_submitted",
        "grant.report_approved",
    ]

    # An approved report is closed.
    login(client, consortium.lead_user)
    response = _upload(client, active, report, pdf)
    assert response.status_code == 422
    assert "This report is approved: it can no longer change." in response.text


def test_a_file_that_is_not_what_it_says_is_refused(client, login, active, consortium, session):
    report = active.reports[0]
    login(client, consortium.lead_user)
    response = _upload(client, active, report, HTML_PAGE, name="report.pdf")
    assert response.status_code == 422
    assert "“report.pdf” is not a PDF file: its content is a web page (HTML)." in response.text
    response = _upload(client, active, report, b"", name="")
    assert "Choose the file of the report." in response.text
    assert session.scalar(db.select(db.func.count(GrantReportFile.id))) == 0


def test_only_the_lead_uploads_and_only_managers_review(client, login, active, consortium, pdf):
    report = active.reports[0]
    login(client, consortium.co_user)  # a co-beneficiary sees the grant, the lead reports
    assert _upload(client, active, report, pdf).status_code == 403
    assert (
        client.post(f"/grants/{active.id}/reports/{report.id}/review", data={"decision": "approve"}).status_code == 403
    )
    login(client, consortium.manager)
    assert _upload(client, active, report, pdf).status_code == 403


def test_a_report_that_was_not_submitted_cannot_be_reviewed(session, active, consortium, in_request):
    with pytest.raises(GrantError) as exc:
        reporting.approve_report(active.reports[0], by=consortium.manager)
    assert str(exc.value) == "Only a submitted report can be reviewed; this one is “Due”."


def test_reports_are_uploaded_once_the_grant_has_started(session, awarded, consortium, pdf, in_request):
    with pytest.raises(GrantError) as exc:
        reporting.upload_report(awarded.reports[0], by=consortium.lead_user, filename="r.pdf", data=pdf)
    assert str(exc.value) == "Reports are uploaded once the grant has started."


def test_files_go_to_participants_and_staff_only(client, login, active, consortium, pdf, make_user, make_org):
    report = active.reports[0]
    login(client, consortium.lead_user)
    _upload(client, active, report, pdf)
    upload = db.session.scalar(db.select(GrantReportFile).where(GrantReportFile.report_id == report.id))
    url = f"/grants/{active.id}/reports/{report.id}/files/{upload.id}"
    for user in (consortium.lead_user, consortium.co_user, consortium.assoc_user, consortium.manager):
        login(client, user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert response.data == pdf
        assert response.headers["Content-Type"] == "application/pdf"
    outsider = make_user("applicant")
    make_org(members=[outsider])
    for user in (outsider, make_user("evaluator")):
        login(client, user)
        assert client.get(url).status_code == 404
        assert client.get(f"/grants/{active.id}/reports/{report.id}").status_code == 404
    login(client, consortium.manager)
    assert client.get(f"/grants/{active.id}/reports/{report.id}/files/999999").status_code == 404


def test_overdue_milestones_are_flagged_everywhere(client, login, active, consortium, session):
    # Move the interim pair into the past: both are overdue until submitted.
    for report in active.reports[:2]:
        report.due_date = dt.date(2026, 1, 31)
    session.commit()
    login(client, consortium.manager)
    page = client.get(f"/grants/{active.id}").text
    assert "2 reports are overdue:" in page
    assert "Interim narrative report" in page and "due on January 31, 2026" in page
    assert client.get("/grants").text.count("2 reports overdue") == 1
    login(client, consortium.lead_user)
    dashboard = client.get("/proposals")
    assert "Your grants" in dashboard.text
    assert "2 reports overdue" in dashboard.text
    # Sent back counts as overdue too; submitted does not.
    active.reports[0].status = "submitted"
    active.reports[1].status = "changes_requested"  # (the interim pair, in either order)
    session.commit()
    page = client.get(f"/grants/{active.id}").text
    assert "1 report is overdue:" in page
    login(client, consortium.manager)
    assert "1 report overdue" in client.get("/grants").text
