"""The call form's country lists in a real browser: the filter box and the buttons that tick every African Union
or EU member (country_picker.js). Without JavaScript the lists are plain ticks (tests/calls/test_rules.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_country_lists_filter_and_tick_unions(page, shot, sign_in):
    sign_in(page, "manager@demo.example")
    page.goto("/manage/calls/new")
    implementation = page.locator("#countries")
    leads = page.locator("#lead_countries")
    assert implementation.locator("[data-picker-tools]").is_visible()

    implementation.locator("[data-picker-filter]").fill("sénég")
    visible = implementation.locator("li[data-country]:visible")
    assert visible.count() == 1 and visible.first.inner_text().strip() == "Senegal"
    implementation.locator("[data-picker-filter]").press("Enter")  # must not submit the form
    assert page.url.endswith("/manage/calls/new")
    implementation.locator("[data-picker-filter]").fill("")
    assert implementation.locator("li[data-country]:visible").count() == 55  # the AU regions, open at first

    leads.locator("[data-picker-select=eu]").click()
    assert leads.locator("input:checked").count() == 27
    assert leads.locator("input[data-union=eu]:checked").count() == 27
    assert "27" in leads.locator("[data-picker-total]").inner_text()
    implementation.locator("[data-picker-select=au]").click()
    assert implementation.locator("input[data-union=au]:checked").count() == 55
    assert implementation.locator("input:checked").count() == 55
    shot(page, "30-manager-call-form-countries")
    leads.locator("[data-picker-select=none]").click()
    assert leads.locator("input:checked").count() == 0
    assert implementation.locator("input:checked").count() == 55  # each list has its own buttons


def test_visitor_filters_the_calls_and_reads_the_rules(page, shot):
    page.goto("/calls?phase=open")
    assert "1 call matches these filters." in page.locator(".result-count").inner_text()  # the demo's open call
    page.select_option("#phase", "")
    page.locator("form.filters [type=submit]").click()
    page.wait_for_load_state()
    assert "phase=" in page.url  # the filters are kept in the URL
    page.locator("a[href^='/calls/']").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Rules of the call").is_visible()
    shot(page, "31-visitor-call-rules")
