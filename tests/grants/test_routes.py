"""The grant pages: who sees which grant, what the page shows, and a query count that does not grow."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from sqlalchemy import event

from portal.documents.models import Document
from portal.extensions import db
from portal.grants.operations import award_grant
from portal.proposals.models import ProposalStatus
from tests.grants.conftest import END, START


@pytest.fixture
def outsider(make_user, make_org):
    user = make_user("applicant")
    make_org(members=[user])
    return user


def test_list_access(client, login, awarded, consortium, outsider, make_user):
    assert client.get("/grants").status_code == 302  # anonymous: to the login page
    login(client, make_user("evaluator"))
    assert client.get("/grants").status_code == 403
    for user in (
        consortium.manager,
        make_user("admin"),
        consortium.lead_user,
        consortium.co_user,
        consortium.assoc_user,
    ):
        login(client, user)
        page = client.get("/grants")
        assert page.status_code == 200
        assert "CFP-2026-01-G01" in page.text
    login(client, outsider)
    page = client.get("/grants")
    assert page.status_code == 200
    assert "CFP-2026-01-G01" not in page.text
    assert "None of your organisations takes part in a grant yet." in page.text


def test_view_access(client, login, awarded, consortium, outsider, make_user):
    url = f"/grants/{awarded.id}"
    assert client.get(url).status_code == 302
    expected = {
        consortium.manager: 200,
        consortium.lead_user: 200,
        consortium.co_user: 200,
        consortium.assoc_user: 200,
        outsider: 404,
        make_user("evaluator"): 404,
        make_user("admin"): 200,
    }
    for user, code in expected.items():
        login(client, user)
        assert client.get(url).status_code == code, user
    login(client, consortium.manager)
    assert client.get("/grants/999999").status_code == 404


def test_view_shows_the_grant_and_the_letter_to_the_lead(client, login, awarded, consortium):
    login(client, consortium.lead_user)
    page = client.get(f"/grants/{awarded.id}").text
    for text in (
        "CFP-2026-01-G01",
        "Diaspora investment for local development",
        "€150,000.00",
        "January 1, 2027",
        "June 30, 2028",
        "18 months",
        "Association Jeunesse et Migration (AJM)",
        "Institut Malien de Recherche (IMR)",
        "Co-beneficiary",
        "Associated entity",
        "Senegal",
        "Niger",
        "Mali",
        "€40,000.00",
        'class="badge badge-ready"',
        f"/documents/{awarded.current_letter.id}/download",
        f"/proposals/{consortium.proposal.id}",
    ):
        assert text in page, text


def test_co_beneficiary_sees_the_status_but_no_download(client, login, awarded, consortium):
    login(client, consortium.co_user)
    page = client.get(f"/grants/{awarded.id}").text
    assert 'class="badge badge-ready"' in page
    assert "/download" not in page
    assert "The award letter is addressed to the lead organisation; only its members" in page


def test_failed_letter_shows_the_reason_and_retry_to_staff_only(client, login, awarded, consortium, session):
    letter = awarded.current_letter
    letter.status = "failed"
    letter.error = "WeasyPrint ran out of memory"
    session.commit()
    login(client, consortium.manager)
    page = client.get(f"/grants/{awarded.id}").text
    assert "WeasyPrint ran out of memory" in page
    assert f"/documents/{letter.id}/retry" in page
    login(client, consortium.lead_user)
    page = client.get(f"/grants/{awarded.id}").text
    assert 'class="badge badge-failed"' in page
    assert "WeasyPrint ran out of memory" not in page
    assert "/retry" not in page


def test_versions_are_listed(client, login, awarded, consortium, session):
    from portal.documents.operations import request_award_letter

    request_award_letter(awarded, by=consortium.manager)
    session.commit()
    login(client, consortium.manager)
    page = client.get(f"/grants/{awarded.id}").text
    assert "Versions of the award letter" in page
    ids = session.scalars(db.select(Document.id).where(Document.grant_id == awarded.id)).all()
    assert len(ids) == 2
    for document_id in ids:
        assert f"/documents/{document_id}/download" in page


@contextlib.contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_page_queries_do_not_grow_with_the_data(client, login, awarded, consortium, make_proposal, make_org, session):
    login(client, consortium.manager)
    session.expire_all()
    with count_queries() as one:
        assert client.get("/grants").status_code == 200
    session.expire_all()
    with count_queries() as view_small:
        assert client.get(f"/grants/{awarded.id}").status_code == 200
    for _ in range(3):
        proposal = make_proposal(consortium.call, status=ProposalStatus.UNDER_REVIEW)
        grant = award_grant(proposal, amount=Decimal("60000"), start_date=START, end_date=END, by=consortium.manager)
        session.commit()
    # A bigger consortium on the grant we look at.
    from portal.grants.models import GrantOrganisation

    extra = [make_org() for _ in range(4)]
    for org in extra:
        awarded.organisations.append(GrantOrganisation(organisation=org, role="associated"))
    session.commit()
    session.expire_all()
    with count_queries() as many:
        assert client.get("/grants").status_code == 200
    session.expire_all()
    with count_queries() as view_big:
        assert client.get(f"/grants/{awarded.id}").status_code == 200
    assert grant.id
    assert len(many) == len(one)
    assert len(view_big) == len(view_small)


def test_grant_pages_queries_do_not_grow_with_payments_reports_and_amendments(
    client, login, awarded, consortium, session
):
    from portal.grants.models import Amendment, GrantReportFile
    from portal.grants.operations import change_status

    change_status(awarded, "activate", by=consortium.manager)
    session.commit()
    login(client, consortium.manager)
    urls = [f"/grants/{awarded.id}", "/grants", f"/grants/{awarded.id}/payments"]
    report = awarded.reports[0]
    urls.append(f"/grants/{awarded.id}/reports/{report.id}")

    def counts():
        found = []
        for url in urls:
            session.expire_all()
            with count_queries() as statements:
                assert client.get(url).status_code == 200, url
            found.append(len(statements))
        return found

    def add(versions, numbers):
        for grant_report in awarded.reports:
            for version in versions:
                grant_report.files.append(
                    GrantReportFile(
                        version=version,
                        filename=f"v{version}.pdf",
                        content_type="application/pdf",
                        size=10,
                        sha256="0" * 64,
                        storage_key=f"grant-reports/{version:032x}.pdf",
                        uploaded_by_id=consortium.lead_user.id,
                    )
                )
        for number in numbers:
            awarded.amendments.append(
                Amendment(
                    number=number,
                    kind="no_cost_extension",
                    status="rejected",
                    changes={"end_date": "2029-01-01"},
                    justification="More time for the field work.",
                    requested_by_id=consortium.lead_user.id,
                    decided_by_id=consortium.manager.id,
                )
            )
        session.commit()

    add([1], [1])
    small = counts()
    add([2, 3, 4], [2, 3, 4])
    assert counts() == small
