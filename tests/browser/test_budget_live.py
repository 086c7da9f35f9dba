"""The budget page in a real browser: rows added on the page, totals shown live as the applicant types (the same
figures the server computes when saving)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_applicant_types_a_budget_and_sees_the_totals_live(page, shot, sign_in):
    sign_in(page, "applicant@demo.example")
    page.goto("/proposals")
    link = page.locator("tr", has=page.locator(".badge-draft")).locator("a[href^='/proposals/']").first
    proposal_url = link.get_attribute("href")
    page.goto(re.sub(r"(/proposals/\d+).*", r"\1/budget", proposal_url))
    page.wait_for_load_state()

    # With JavaScript, rows are added on the page and the server's "Add 5 lines" button is hidden.
    assert page.locator("button[data-budget-add=line]").is_visible()
    assert page.locator("button[name=action][value=add_lines]").is_hidden()
    rows = page.locator("tbody[data-budget-lines] tr")
    before = rows.count()

    first = rows.nth(0)
    first.locator("[data-budget-cell=category]").select_option("human_resources")
    first.locator("[data-budget-cell=description]").fill("Project coordinator")
    first.locator("[data-budget-cell=quantity]").fill("24")
    first.locator("[data-budget-cell=unit_cost]").fill("4 500,50")
    assert first.locator("[data-budget-line-total]").inner_text() == "€108,012.00"

    page.locator("button[data-budget-add=line]").click()
    assert rows.count() == before + 1
    added = rows.nth(before)
    assert added.locator("[data-budget-cell=description]").get_attribute("name") == f"line-{before}-description"
    added.locator("[data-budget-cell=category]").select_option("indirect")
    added.locator("[data-budget-cell=description]").fill("Indirect costs")
    added.locator("[data-budget-cell=quantity]").fill("1")
    added.locator("[data-budget-cell=unit_cost]").fill("7,560.84")

    sources = page.locator("tbody[data-budget-sources] tr")
    sources.nth(0).locator("[data-budget-cell=source]").fill("Own funds")
    sources.nth(0).locator("[data-budget-cell=amount]").fill("11557.28")

    def out(key):
        return page.locator(f"[data-budget-out='{key}']").first.inner_text().strip()

    assert out("direct") == "€108,012.00"
    assert out("indirect") == "€7,560.84"
    assert out("indirect_rate") == "7.00%"
    assert out("total") == "€115,572.84"
    assert out("cofinancing") == "€11,557.28"
    # 11,557.28 is a fraction of a cent short of 10%: the rate reads 9.99%, as the server's rule says.
    assert out("cofinancing_rate") == "9.99%"
    assert out("requested") == "€104,015.56"
    assert out("funding_rate") == "90.01%"
    assert out("category:human_resources") == "€108,012.00"
    assert out("partner:lead") == "€115,572.84"
    shot(page, "13-applicant-budget-typing")

    page.locator("form[data-budget-form] .actions button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert "Budget saved" in page.locator(".flashes").inner_text()
    # The server's figures, on the page it renders, are the ones the script showed.
    assert out("total") == "€115,572.84"
    assert out("requested") == "€104,015.56"
    assert out("cofinancing_rate") == "9.99%" and out("funding_rate") == "90.01%"
    problems = page.locator("#budget-problems").inner_text()
    assert "Co-financing is 9.99% of the total budget (€11,557.28 of €115,572.84)" in problems
    assert page.locator("input[name=line-1-description]").input_value() == "Indirect costs"
    shot(page, "14-applicant-budget-saved")
