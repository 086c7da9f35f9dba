"""The budget page: saving the whole budget as one section, bad cells refused with a message each and everything
typed kept, stale saves, adding lines without JavaScript, who edits and who only reads, and a number of queries
that does not grow with the budget."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy import text as sql

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.proposals.models import BudgetLine, CofinancingSource, Proposal, ProposalPartner, ProposalStatus
from portal.proposals.sections import section_version

D = Decimal


def _url(proposal) -> str:
    return f"/proposals/{proposal.id}/budget"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _form(version: int, lines=(), sources=(), action: str = "save") -> dict:
    """Form data as the page posts it: lines are (partner, category, description, unit, quantity, unit cost)."""
    data = {"version": str(version), "action": action}
    for i, (partner, category, description, unit, quantity, unit_cost) in enumerate(lines):
        data.update(
            {
                f"line-{i}-partner": partner,
                f"line-{i}-category": category,
                f"line-{i}-description": description,
                f"line-{i}-unit": unit,
                f"line-{i}-quantity": quantity,
                f"line-{i}-unit_cost": unit_cost,
            }
        )
    for i, (source, amount, secured) in enumerate(sources):
        data[f"source-{i}-source"] = source
        data[f"source-{i}-amount"] = amount
        if secured:
            data[f"source-{i}-secured"] = "y"
    return data


LINES = [
    ("lead", "human_resources", "Project coordinator", "month", "24", "4 500"),
    ("lead", "travel", "Flights Dakar–Bamako", "trip", "6", "650,50"),
    ("lead", "", "", "", "", ""),  # a blank row: ignored
    ("lead", "equipment", "Laptops", "item", "3", "1,200.00"),
    ("lead", "indirect", "Indirect costs", "", "1", "7000"),
]


def _reload(session, proposal) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal.id)


@pytest.fixture
def co_applicant(make_user, make_org, draft, session):
    """A user of an accepted co-applicant of the draft, given the budget section."""
    user = make_user("applicant")
    org = make_org(legal_name="Sahel Research Centre", acronym="SRC", members=[user], country="ML")
    partner = ProposalPartner(proposal=draft, organisation=org, status="accepted", editable_sections=["budget"])
    session.add(partner)
    session.commit()
    return user, partner


# -- saving ---------------------------------------------------------------------------------------------------


def test_the_lead_saves_the_budget_and_the_proposal_gets_its_amounts(client, login, applicant, draft, session):
    login(client, applicant)
    page = client.get(_url(draft))
    assert page.status_code == 200
    text = _text(page)
    assert 'name="line-0-description"' in text and 'name="line-2-description"' in text  # blank rows to type into
    assert 'name="version" value="0"' in text

    sources = [("Own funds", "12 000", True), ("", "", False)]
    response = client.post(_url(draft), data=_form(0, LINES, sources))
    assert response.status_code == 302 and response.headers["Location"].endswith(_url(draft))

    proposal = _reload(session, draft)
    lines = proposal.budget_lines
    assert [(line.description, line.quantity, line.unit_cost) for line in lines] == [
        ("Project coordinator", D("24.00"), D("4500.00")),
        ("Flights Dakar–Bamako", D("6.00"), D("650.50")),
        ("Laptops", D("3.00"), D("1200.00")),
        ("Indirect costs", D("1.00"), D("7000.00")),
    ]
    assert [line.position for line in lines] == [0, 1, 2, 3]
    assert all(line.partner_id is None for line in lines)
    assert [(s.source, s.amount, s.secured) for s in proposal.cofinancing] == [("Own funds", D("12000.00"), True)]
    # 108,000 + 3,903 + 3,600 + 7,000 = 122,503; minus 12,000 of co-financing.
    assert proposal.total_budget == D("122503.00")
    assert proposal.requested_amount == D("110503.00")
    assert section_version(proposal, "budget") == 1

    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.budget_saved"))
    assert entry.actor_id == applicant.id and entry.object_id == str(draft.id)
    assert entry.after["requested_amount"] == "110503.00" and len(entry.after["lines"]) == 4

    text = _text(client.get(_url(draft)))
    assert "Budget saved." in text
    assert "€122,503.00" in text and "€110,503.00" in text
    # Co-financing 9.80%; indirect costs 7,000 of 115,503 direct = 6.06%: the call's rules are checked on load.
    assert (
        "Co-financing is 9.79% of the total budget (€12,000.00 of €122,503.00); this call requires at least 10%."
        in text
    )
    assert 'value="Project coordinator"' in text and 'name="version" value="1"' in text


def test_saving_again_replaces_lines_and_an_empty_budget_clears_the_amounts(client, login, applicant, draft, session):
    login(client, applicant)
    client.post(_url(draft), data=_form(0, LINES, [("Own funds", "12000", False)]))
    first_ids = [line.id for line in _reload(session, draft).budget_lines]

    response = client.post(_url(draft), data=_form(1, LINES[:2]))
    assert response.status_code == 302
    proposal = _reload(session, draft)
    assert [line.description for line in proposal.budget_lines] == ["Project coordinator", "Flights Dakar–Bamako"]
    assert [line.id for line in proposal.budget_lines] == first_ids[:2]  # saved rows are updated in place
    assert proposal.cofinancing == []
    assert proposal.total_budget == D("111903.00") and proposal.requested_amount == D("111903.00")

    response = client.post(_url(draft), data=_form(2, [LINES[2]]))
    assert response.status_code == 302
    proposal = _reload(session, draft)
    assert proposal.budget_lines == [] and proposal.total_budget is None and proposal.requested_amount is None
    assert "The budget has no lines." in _text(client.get(_url(draft)))


def test_co_financing_covering_the_whole_budget_leaves_no_requested_amount(client, login, applicant, draft, session):
    login(client, applicant)
    response = client.post(_url(draft), data=_form(0, LINES[:1], [("Foundation", "200000", True)]))
    assert response.status_code == 302
    proposal = _reload(session, draft)
    assert proposal.total_budget == D("108000.00") and proposal.requested_amount is None
    assert "Co-financing (€200,000.00) is more than the total budget (€108,000.00)." in _text(client.get(_url(draft)))


# -- bad input ------------------------------------------------------------------------------------------------


def test_bad_cells_are_refused_each_with_its_message_and_everything_typed_is_kept(
    client, login, applicant, draft, session
):
    login(client, applicant)
    lines = [
        ("lead", "human_resources", "Project coordinator", "month", "24", "4500"),
        ("lead", "travel", "Flights", "trip", "2,5,0", "650"),
        ("lead", "equipment", "Laptops", "item", "3", "12,5,0"),
        ("lead", "", "Printer", "item", "1", "300"),
        ("lead", "travel", "", "trip", "-2", "12.345"),
        ("lead", "local_office", "Rent", "month", "", ""),
    ]
    response = client.post(_url(draft), data=_form(0, lines, [("", "5000", False), ("Own funds", "lots", False)]))
    assert response.status_code == 422
    text = _text(response)
    for message in (
        "Line 2: the quantity “2,5,0” is not a number.",
        "Line 3: the unit cost “12,5,0” is not an amount.",
        "Line 4: choose a cost category.",
        "Line 5: enter a description.",
        "Line 5: the quantity must be more than 0.",
        "Line 5: the unit cost “12.345” has more than two decimals (cents).",
        "Line 6: enter the quantity.",
        "Line 6: enter the unit cost.",
        "Co-financing 1: enter the source.",
        "Co-financing 2: the amount “lots” is not an amount.",
        "Nothing was saved: everything you typed is still below.",
    ):
        assert message in text, message
    assert text.count("Line 3: the unit cost “12,5,0” is not an amount.") == 2  # in the summary and in its cell
    assert '<a href="#line-2-unit_cost">' in text  # the summary links to the cell
    for value in ("Project coordinator", "2,5,0", "12,5,0", "Printer", "-2", "12.345", "Rent", "lots", "5000"):
        assert f'value="{value}"' in text, value
    assert re.search(r'id="line-1-category".*?<option value="travel" selected>', text, re.S)
    # Nothing was saved, not even the good lines.
    proposal = _reload(session, draft)
    assert proposal.budget_lines == [] and proposal.cofinancing == []
    assert section_version(proposal, "budget") == 0


def test_a_partner_that_may_not_have_a_budget_cannot_be_chosen(client, login, applicant, draft, make_org, session):
    associated = ProposalPartner(proposal=draft, organisation=make_org(), role="associated", status="accepted")
    session.add(associated)
    session.commit()
    login(client, applicant)
    assert f'<option value="{associated.id}"' not in _text(client.get(_url(draft)))
    lines = [(str(associated.id), "travel", "Flights", "trip", "2", "650"), ("999999", "travel", "X", "", "1", "1")]
    response = client.post(_url(draft), data=_form(0, lines))
    assert response.status_code == 422
    text = _text(response)
    assert "Line 1: choose a partner from the list." in text and "Line 2: choose a partner from the list." in text
    assert _reload(session, draft).budget_lines == []


# -- two people, one budget -----------------------------------------------------------------------------------


def test_a_stale_save_is_refused_and_keeps_the_users_values(
    client, app, login, applicant, draft, co_applicant, session
):
    user, _partner = co_applicant
    other = app.test_client()
    login(client, applicant)
    login(other, user)
    # Both open the budget at version 0; the co-applicant saves first.
    assert 'name="version" value="0"' in _text(client.get(_url(draft)))
    assert 'name="version" value="0"' in _text(other.get(_url(draft)))
    assert other.post(_url(draft), data=_form(0, LINES[:1])).status_code == 302

    response = client.post(_url(draft), data=_form(0, [("lead", "travel", "Train tickets", "trip", "4", "80")]))
    assert response.status_code == 409
    text = _text(response)
    assert "Someone else saved the section “Budget” since you opened it. Nothing was overwritten" in text
    assert 'value="Train tickets"' in text and 'value="80"' in text
    assert f'href="{_url(draft)}">Open the latest version</a>' in text
    proposal = _reload(session, draft)
    assert [line.description for line in proposal.budget_lines] == ["Project coordinator"]
    assert proposal.requested_amount == D("108000.00")


def test_a_post_without_a_version_never_overwrites_a_saved_budget(client, login, applicant, draft, session):
    login(client, applicant)
    client.post(_url(draft), data=_form(0, LINES[:1]))
    data = _form(0, [("lead", "travel", "Train", "trip", "4", "80")])
    del data["version"]
    assert client.post(_url(draft), data=data).status_code == 409
    assert [line.description for line in _reload(session, draft).budget_lines] == ["Project coordinator"]


# -- without JavaScript ---------------------------------------------------------------------------------------


def test_add_lines_without_javascript_keeps_everything_and_saves_nothing(client, login, applicant, draft, session):
    login(client, applicant)
    lines = [
        ("lead", "human_resources", "Coordinator", "month", "24", "4500"),
        ("lead", "travel", "Flights", "trip", "2", "not yet"),  # even an unreadable cell is kept, without fuss
        ("lead", "", "", "", "", ""),
    ]
    response = client.post(_url(draft), data=_form(0, lines, [("Own funds", "1000", True)], action="add_lines"))
    assert response.status_code == 200
    text = _text(response)
    assert 'value="Coordinator"' in text and 'value="not yet"' in text and 'value="Own funds"' in text
    assert 'name="line-7-description"' in text and 'name="line-8-description"' not in text  # 3 rows + 5 blank
    assert re.search(r'name="source-0-secured" value="y" checked', text)
    assert "Not saved yet" in text
    assert 'name="version" value="0"' in text  # still the version the form was made from
    assert _reload(session, draft).budget_lines == []

    # The re-rendered form saves as a whole, the blank rows ignored.
    lines[1] = ("lead", "travel", "Flights", "trip", "2", "650")
    form = _form(0, lines + [("lead", "", "", "", "", "")] * 5, [("Own funds", "1000", True)])
    assert client.post(_url(draft), data=form).status_code == 302
    proposal = _reload(session, draft)
    assert [line.description for line in proposal.budget_lines] == ["Coordinator", "Flights"]


def test_add_sources_without_javascript(client, login, applicant, draft):
    login(client, applicant)
    response = client.post(_url(draft), data=_form(0, LINES[:1], [("Own funds", "1000", False)], action="add_sources"))
    assert response.status_code == 200
    text = _text(response)
    assert 'name="source-3-source"' in text and 'name="source-4-source"' not in text


def test_the_page_carries_its_script_and_a_row_template(client, login, applicant, draft):
    login(client, applicant)
    text = _text(client.get(_url(draft)))
    assert re.search(r'<script src="/static/js/proposal-budget\.js\?v=[0-9a-f]{12}" defer></script>', text)
    assert 'id="budget-line-template"' in text and 'name="line-__index__-unit_cost"' in text
    assert 'data-budget-out="partner:lead"' in text and 'data-budget-out="funding_rate"' in text
    assert client.get("/static/js/proposal-budget.js").status_code == 200


# -- who edits, who reads -------------------------------------------------------------------------------------


def test_a_co_applicant_given_the_budget_edits_it_with_its_own_lines(client, login, draft, co_applicant, session):
    user, partner = co_applicant
    login(client, user)
    text = _text(client.get(_url(draft)))
    assert 'name="line-0-partner"' in text
    assert f'<option value="{partner.id}">SRC — Sahel Research Centre</option>' in text
    lines = [(str(partner.id), "travel", "Field visits", "trip", "5", "400"), LINES[0]]
    assert client.post(_url(draft), data=_form(0, lines)).status_code == 302
    proposal = _reload(session, draft)
    assert [line.partner_id for line in proposal.budget_lines] == [partner.id, None]
    section = next(s for s in proposal.sections if s.key == "budget")
    assert section.updated_by_id == user.id


def test_a_co_applicant_without_the_budget_section_only_reads_it(client, login, draft, co_applicant, session):
    user, partner = co_applicant
    partner.editable_sections = ["summary"]
    draft.budget_lines.append(
        BudgetLine(category="travel", description="Field visits", unit="trip", quantity=D(5), unit_cost=D(400))
    )
    session.commit()
    login(client, user)
    response = client.get(_url(draft))
    assert response.status_code == 200
    text = _text(response)
    assert "Field visits" in text and "€2,000.00" in text
    assert 'name="line-0-description"' not in text and "Save the budget" not in text
    assert client.post(_url(draft), data=_form(0, LINES)).status_code == 403
    assert len(_reload(session, draft).budget_lines) == 1


def test_others_who_may_see_the_proposal_read_the_budget(client, login, draft, make_user, session):
    draft.budget_lines.append(
        BudgetLine(category="equipment", description="Laptops", unit="item", quantity=D(3), unit_cost=D(1200))
    )
    draft.cofinancing.append(CofinancingSource(source="Municipality of Kayes", amount=D(500), secured=False))
    session.commit()
    manager = make_user("manager")
    login(client, manager)
    response = client.get(_url(draft))
    assert response.status_code == 200
    text = _text(response)
    assert "Laptops" in text and "Municipality of Kayes" in text and "€3,600.00" in text
    assert 'name="line-0-description"' not in text
    assert 'id="budget-lines"' in text  # problems still link to their place
    assert client.post(_url(draft), data=_form(0, LINES)).status_code == 403

    login(client, make_user("applicant"))  # an unrelated applicant may not know the proposal exists
    assert client.get(_url(draft)).status_code == 404
    assert client.post(_url(draft), data=_form(0, LINES)).status_code == 404


def test_a_submitted_proposals_budget_is_read_only_to_its_lead(client, login, applicant, draft, session):
    draft.status = ProposalStatus.SUBMITTED
    session.commit()
    login(client, applicant)
    text = _text(client.get(_url(draft)))
    assert "Save the budget" not in text and "The budget has no lines." in text
    assert client.post(_url(draft), data=_form(0, LINES)).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    response = client.get(_url(draft))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# -- queries --------------------------------------------------------------------------------------------------


def _count_selects(app, client, url) -> int:
    engine = db.engines[None] if hasattr(db, "engines") else db.engine
    seen = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("role", ["lead", "manager"])
def test_the_number_of_queries_does_not_grow_with_the_budget(
    app, client, login, applicant, draft, make_org, make_user, session, role
):
    organisations = [make_org() for _ in range(3)]
    partners = [
        ProposalPartner(proposal=draft, organisation=org, status="accepted", editable_sections=["budget"])
        for org in organisations
    ]
    session.add_all(partners)
    session.commit()
    login(client, applicant if role == "lead" else make_user("manager"))

    def add_lines(count):
        for i in range(count):
            partner = partners[i % 3]
            draft.budget_lines.append(
                BudgetLine(
                    partner_id=partner.id,
                    category="travel",
                    description=f"Trip {i}",
                    quantity=D(1),
                    unit_cost=D(100),
                    position=i,
                )
            )
            draft.cofinancing.append(CofinancingSource(source=f"Donor {i}", amount=D(10), position=i))
        session.commit()

    add_lines(2)
    few = _count_selects(app, client, _url(draft))
    add_lines(40)
    many = _count_selects(app, client, _url(draft))
    assert few > 0 and many == few


def test_a_save_racing_another_on_the_same_version_is_refused(client, login, applicant, draft, session, monkeypatch):
    """Two saves that both passed the version check: the database's version check stops the second one."""
    from portal.proposals import budget as budgets

    login(client, applicant)
    assert client.post(_url(draft), data=_form(0, LINES[:1])).status_code == 302
    real_claim = budgets.claim_section

    def claim_then_someone_else_saves(proposal, key, **kw):
        row = real_claim(proposal, key, **kw)
        # Another request commits its save of the budget between this one's check and its write.
        db.session.connection().execute(
            sql("UPDATE proposal_sections SET version_id = version_id + 1 WHERE id = :id"), {"id": row.id}
        )
        return row

    monkeypatch.setattr(budgets, "claim_section", claim_then_someone_else_saves)
    response = client.post(_url(draft), data=_form(1, [("lead", "travel", "Train", "trip", "4", "80")]))
    assert response.status_code == 409
    text = _text(response)
    assert "Someone else saved the section “Budget” since you opened it." in text and 'value="Train"' in text
    assert [line.description for line in _reload(session, draft).budget_lines] == ["Project coordinator"]


def test_figures_are_written_the_readers_way(client, login, applicant, draft, session):
    login(client, applicant)
    client.post(_url(draft), data=_form(0, LINES[:1], [("Fonds propres", "10 000,50", False)]))
    with client.session_transaction() as sess:
        sess["locale"] = "fr"
    response = client.get(_url(draft))
    assert response.status_code == 200
    text = _text(response)
    assert "108\u202f000,00\xa0€" in text  # the total budget, as French writes it
    assert 'value="10000.5"' not in text and 'value="10000.50"' in text
    assert 'data-locale="fr"' in text
    # Rates as the call's page writes them, the rules' and the measured ones alike, and the script's pattern for
    # the rates it writes as the applicant types (portal/static/js/proposal-budget.js).
    assert "Au moins 10\xa0% du budget total." in text and "Au maximum 7\xa0% des coûts directs." in text
    # 10,000.50 of 108,000.00 is 9.2593 %: co-financing is rounded down, towards the call's minimum.
    assert "Le cofinancement représente 9,25\xa0% du budget total" in text
    assert 'data-budget-out="cofinancing_rate">9,25\xa0%</span>' in text  # the totals table
    assert 'data-percent="{}\xa0%"' in text
    with client.session_transaction() as sess:
        sess["locale"] = "en"
    english = _text(client.get(_url(draft)))
    assert "At least 10% of the total budget." in english and "Co-financing is 9.25% of the total budget" in english
    assert 'data-budget-out="cofinancing_rate">9.25%</span>' in english
    assert 'data-percent="{}%"' in english
