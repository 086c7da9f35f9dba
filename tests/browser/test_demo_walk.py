"""The demo facility in a real browser: each kind of user signs in and does their main job, and the pages are
kept as screenshots (test-artifacts/screenshots/)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_visitor_reads_the_calls(page, shot):
    page.goto("/")
    assert page.locator("h1").first.is_visible()
    shot(page, "01-home")
    page.goto("/calls")
    page.get_by_role("link", name=re.compile("MMD-GF-2026-02|Call", re.I)).first.wait_for()
    shot(page, "02-calls")
    page.locator("a[href^='/calls/']").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text()
    shot(page, "03-call")


def test_applicant_drafts_and_sees_their_grant(page, shot, sign_in):
    sign_in(page, "applicant@demo.example")
    page.goto("/proposals")
    shot(page, "10-applicant-dashboard")
    page.locator("tr", has=page.locator(".badge-draft")).locator("a[href^='/proposals/']").first.click()
    page.wait_for_load_state()
    shot(page, "11-applicant-proposal")
    page.locator("a[href$='/sections']").first.click()  # the form's overview
    page.wait_for_load_state()
    page.locator("a[href$='/sections/identification']").first.click()
    page.wait_for_load_state()
    page.fill("input[name=title]", "Diaspora savings for local enterprise in Casamance")
    page.locator("button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert page.locator("input[name=title]").input_value() == "Diaspora savings for local enterprise in Casamance"
    shot(page, "12-applicant-draft")
    # The summary saves itself while typing, and counts the words as they come.
    page.locator("a[href$='/sections/summary']").first.click()
    page.wait_for_load_state()
    page.fill("textarea[name=summary]", "Savings groups of the diaspora invest in Casamance.")
    assert page.locator("[data-word-count-for=summary]").inner_text().startswith("8 of ")
    page.locator("[data-autosave-status]").filter(has_text="Saved at").wait_for(timeout=10000)
    page.reload()
    assert page.locator("textarea[name=summary]").input_value() == "Savings groups of the diaspora invest in Casamance."
    # The demo's open call takes concept notes (the shorter form): no logical framework yet.
    assert page.locator("a[href$='/sections/logframe']").count() == 0
    # The shares of the countries add up as they are typed; the countdown runs.
    page.goto(page.url.replace("/sections/summary", "/sections/countries"))
    page.fill("input[name=share-SN]", "55")
    page.fill("input[name=share-MR]", "45")
    page.locator("[data-shares-total]").filter(has_text="100").wait_for(timeout=5000)
    assert page.locator("[data-countdown]").first.inner_text()
    shot(page, "12b-applicant-countries")
    page.goto("/grants")
    page.locator("a[href^='/grants/']").first.click()
    page.wait_for_load_state()
    shot(page, "13-applicant-grant")
    with page.expect_download() as download:
        page.locator("a[href*='/documents/'][href$='/download']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_evaluator_declares_and_scores(page, shot, sign_in):
    sign_in(page, "evaluator@demo.example")
    page.goto("/evaluation")
    shot(page, "20-evaluator-queue")
    page.locator("a[href$='/declaration']").first.click()
    page.wait_for_load_state()
    shot(page, "21-evaluator-declaration")
    page.locator("input[name=conflict][value=no]").check()
    page.locator("input[name=confidentiality]").check()
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/evaluation/assignments/\d+$", page.url), page.url
    first_score = page.locator("select[name^=score_]").first
    first_score.select_option(index=4)
    page.locator("textarea[name^=comment_]").first.fill("Clearly relevant to the Rabat Process priorities.")
    page.locator("[name=save]").click()
    page.wait_for_load_state()
    assert page.locator("textarea[name^=comment_]").first.input_value().startswith("Clearly relevant")
    shot(page, "22-evaluator-scoring")


def test_manager_ranks_decides_and_gets_the_letter(page, shot, sign_in):
    sign_in(page, "manager@demo.example")
    page.goto("/manage/calls")
    shot(page, "30-manager-calls")
    page.locator("tr", has=page.locator(".badge-evaluation")).locator("a[href^='/manage/calls/']").first.click()
    page.wait_for_load_state()
    shot(page, "31-manager-call")
    page.locator("a[href$='/ranking']").first.click()
    page.wait_for_load_state()
    shot(page, "32-manager-ranking")
    decide = page.locator("a[href$='/decision']")
    assert decide.count() >= 1
    decide.first.click()
    page.wait_for_load_state()
    shot(page, "33-manager-decision")
    page.locator("input[name=outcome][value=award]").check()
    page.fill("textarea[name=reason]", "Ranked first by the committee and within the envelope.")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/grants/\d+$", page.url), page.url
    page.reload()
    assert page.locator(".badge-ready").count() >= 1
    shot(page, "34-manager-grant")
    with page.expect_download() as download:
        page.locator("a[href*='/documents/'][href$='/download']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_two_stage_call_from_invitation_to_full_application(chromium, live_server, shot, sign_in):
    """The manager invites a submitted concept note; its lead starts the full application, pre-filled, and adds a
    specific objective to its logical framework in the page."""
    contexts = [chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}) for _ in range(2)]
    try:
        manager, applicant = (context.new_page() for context in contexts)
        sign_in(applicant, "applicant@demo.example")
        applicant.goto("/proposals")
        submitted = applicant.locator("tr", has=applicant.locator(".badge-submitted"))
        submitted.locator("a[href^='/proposals/']").first.click()
        applicant.wait_for_load_state()
        note_path = applicant.url.removeprefix(live_server)
        sign_in(manager, "manager@demo.example")
        manager.goto(note_path)
        manager.get_by_role("button", name="Invite to submit a full application").click()
        manager.wait_for_load_state()
        applicant.reload()
        applicant.get_by_role("button", name="Start the full application").click()
        applicant.wait_for_load_state()
        applicant.locator("a[href$='/sections/logframe']").first.click()
        applicant.wait_for_load_state()
        applicant.locator("button[data-add=objectives]").click()
        assert applicant.locator("textarea[name='objectives-1-text']").count() == 1
        shot(applicant, "14-applicant-full-application-logframe")
    finally:
        for context in contexts:
            context.close()
