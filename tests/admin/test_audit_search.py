"""The audit log's free-text search, date range and exports (CSV and XLSX of every filtered entry)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from portal.core.audit import record
from tests.accounts.helpers import text_of


@pytest.fixture
def journal(session, make_user):
    """Entries on three days; one with an accented value, one with a formula-like e-mail."""
    manager = make_user("manager", email="boss@facility.example")
    other = make_user("admin", email="=cmd@facility.example")
    target = make_user(email="someone@ngo.example")
    with session.no_autoflush:  # an entry's time is set before it is written: the log refuses any later change
        entries = {
            "rename": record(
                "organisation.update", target, actor=manager, before={"legal_name": "Société Vieille"}, after={"n": 1}
            ),
            "reset": record("user.password_change", target, actor=other),
            "publish": record("call.publish", target, after={"reference": "CFP-2026-77"}),
        }
        days = {"rename": dt.date(2026, 3, 1), "reset": dt.date(2026, 3, 2), "publish": dt.date(2026, 3, 3)}
        for key, entry in entries.items():
            entry.created_at = dt.datetime.combine(days[key], dt.time(12), tzinfo=dt.UTC)
    session.commit()
    return manager


def _shown(client, query: str) -> set[str]:
    page = text_of(client.get(f"/admin/audit?{query}"))
    return {a for a in ("organisation.update", "user.password_change", "call.publish") if a in page}


def test_free_text_looks_in_action_object_actor_and_values(client, login, journal):
    login(client, journal)
    assert _shown(client, "q=PASSWORD") == {"user.password_change"}  # the action, any case
    assert _shown(client, "q=cfp-2026-77") == {"call.publish"}  # inside the after value
    assert _shown(client, "q=Société vieille") == {"organisation.update"}  # accented, inside the before value
    assert _shown(client, "q=cmd@") == {"user.password_change"}  # the actor's e-mail
    assert _shown(client, "q=%25") == set()  # taken literally: "%" is no wildcard
    assert "No entry matches." in text_of(client.get("/admin/audit?q=nothing-of-the-sort"))


def test_date_range_is_whole_days_included(client, login, journal):
    login(client, journal)
    assert _shown(client, "date_from=2026-03-02") == {"user.password_change", "call.publish"}
    assert _shown(client, "date_to=2026-03-02") == {"organisation.update", "user.password_change"}
    assert _shown(client, "date_from=2026-03-02&date_to=2026-03-02") == {"user.password_change"}


def test_date_range_in_the_readers_time_zone(client, login, journal, session):
    journal.timezone = "Pacific/Kiritimati"  # UTC+14: noon UTC on 1 March is 02:00 on 2 March there
    session.commit()
    login(client, journal)
    assert _shown(client, "date_from=2026-03-02&date_to=2026-03-02") == {"organisation.update"}


def test_bad_dates_are_named_and_the_input_kept(client, login, journal):
    login(client, journal)
    response = client.get("/admin/audit?date_from=2026-31-12&q=keepme")
    assert response.status_code == 200
    page = text_of(response)
    assert "Enter a day like 2026-03-31." in page
    assert 'value="2026-31-12"' in page and 'value="keepme"' in page
    reversed_range = text_of(client.get("/admin/audit?date_from=2026-03-03&date_to=2026-03-01"))
    assert "The last day must be the same as the first day or after it." in reversed_range


def test_csv_export_has_every_filtered_entry_and_no_formula(client, login, journal):
    login(client, journal)
    response = client.get("/admin/audit/export.csv?date_to=2026-03-02")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Entry", "When (UTC)", "Who", "Action"]
    assert [r[3] for r in rows[1:]] == ["user.password_change", "organisation.update"]  # newest first
    assert rows[1][2] == "'=cmd@facility.example"  # CSV injection: written as text
    assert '"legal_name": "Société Vieille"' in rows[2][6]


def test_csv_export_goes_past_one_page(client, login, session, make_user):
    manager = make_user("manager")
    for i in range(120):
        record("bulk.entry", manager, actor=manager, after={"i": i})
    session.commit()
    login(client, manager)
    body = client.get("/admin/audit/export.csv?action=bulk.").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))) == 121


def test_xlsx_export(client, login, journal):
    login(client, journal)
    response = client.get("/admin/audit/export.xlsx?q=facility.example")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "Action"
    assert [r[3] for r in rows[1:]] == ["user.password_change", "organisation.update"]
    assert rows[1][2] == "=cmd@facility.example"  # a string cell, not a formula
    assert sheet.cell(row=2, column=3).data_type == "s"


def test_an_export_with_a_bad_filter_is_refused_with_the_reason(client, login, journal):
    login(client, journal)
    response = client.get("/admin/audit/export.csv?date_from=yesterday", follow_redirects=True)
    page = text_of(response)
    assert "The export was not made: correct the filters first." in page
    assert "Enter a day like 2026-03-31." in page


def test_export_links_keep_the_filters(client, login, journal):
    login(client, journal)
    page = client.get("/admin/audit?q=cfp&date_from=2026-03-01").get_data(as_text=True)
    assert "/admin/audit/export.csv?q=cfp&amp;date_from=2026-03-01" in page
    assert "/admin/audit/export.xlsx?q=cfp&amp;date_from=2026-03-01" in page


@pytest.mark.parametrize("role", ["applicant", "evaluator"])
def test_exports_are_for_staff_only(client, login, make_user, journal, role):
    login(client, make_user(role))
    for url in ("/admin/audit/export.csv", "/admin/audit/export.xlsx", "/admin/audit?q=boss"):
        assert client.get(url).status_code == 403


def test_a_day_at_the_end_of_the_calendar_is_named_not_a_server_error(client, login, journal):
    """Found by tests/fuzz: 9999-12-31 as the last day made the day after it overflow."""
    login(client, journal)
    response = client.get("/admin/audit?date_to=9999-12-31&date_from=0001-01-01")
    assert response.status_code == 200
    assert "Enter a day between the years 1900 and 2999." in text_of(response)  # for each of the two days
