"""Slow connections in a real browser: an applicant's pages work with JavaScript turned off, and with it on a failed
upload is sent again with Retry while the other files and the form stay as they were."""

from __future__ import annotations

import re

import pytest

from portal.demo.open_call import demo_pdf

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def _draft_url(page) -> str:
    page.goto("/proposals")
    link = page.locator("tr", has=page.locator(".badge-draft")).locator("a[href^='/proposals/']").first
    return re.sub(r"(/proposals/\d+).*", r"\1", link.get_attribute("href"))


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": demo_pdf(name)}


def test_an_applicant_works_through_the_proposal_without_javascript(no_js_page, shot, sign_in):
    page = no_js_page
    sign_in(page, "applicant@demo.example")
    draft = _draft_url(page)

    # A section is saved by the plain form.
    page.goto(f"{draft}/sections/summary")
    page.locator("form.section-form .actions button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert "saved" in page.locator(".flashes").inner_text()

    # The budget's "Add 5 lines" is the server's button when there is no script.
    page.goto(f"{draft}/budget")
    add = page.locator("button[name=action][value=add_lines]")
    assert add.is_visible()
    rows = page.locator("tbody[data-budget-lines] tr")
    before = rows.count()
    add.click()
    page.wait_for_load_state()
    assert rows.count() == before + 5
    shot(page, "20-applicant-budget-without-javascript")

    # An attachment is uploaded by the plain multipart form.
    page.goto(f"{draft}/attachments")
    page.set_input_files("#file-other", _pdf("no-script-annex.pdf"))
    page.fill("#title-other", "Annex sent without JavaScript")
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "uploaded" in page.locator(".flashes").inner_text()
    assert page.get_by_role("link", name="no-script-annex.pdf").is_visible()

    # And the check page is reached and read.
    page.goto(f"{draft}/check")
    assert page.locator("h1").is_visible()
    assert page.url.endswith("/check")
    shot(page, "21-applicant-check-without-javascript")


def test_a_failed_upload_is_retried_without_losing_the_other_files(page, shot, sign_in):
    sign_in(page, "applicant@demo.example")
    draft = _draft_url(page)
    page.goto(f"{draft}/attachments")
    requirement_input = page.locator("input[type=file][id^='file-']:not(#file-other)").first
    requirement_id = requirement_input.get_attribute("id")

    posts = []

    def flaky(route, request):
        if request.method != "POST":
            return route.continue_()
        posts.append(request.post_data_buffer)
        if len(posts) == 1:  # the first file's sending breaks off, as on a dropped connection
            return route.abort("connectionreset")
        return route.continue_()

    page.route(re.compile(r".*/proposals/\d+/attachments$"), flaky)
    page.set_input_files(f"#{requirement_id}", _pdf("flaky-statutes.pdf"))
    large = _pdf("steady-annex.pdf")
    large["buffer"] += b"%" + b"x" * (3 * 1024 * 1024) + b"\n"  # a large file: its sending takes a while
    page.set_input_files("#file-other", large)
    page.fill("#title-other", "Annex that goes through")
    # Everything the queue says, as a screen reader would hear it.
    page.evaluate(
        """() => { window.heard = []; new MutationObserver(() => window.heard.push(
             document.querySelector('[data-upload-queue]').innerText)).observe(
             document.querySelector('[data-upload-queue]'), {subtree: true, childList: true, characterData: true}); }"""
    )
    page.locator("#upload-form button[type=submit]").click()

    page.locator("[data-upload-summary]:not(:empty)").wait_for()
    failed = page.locator(".upload-item[data-state=failed]")
    assert "flaky-statutes.pdf" in failed.inner_text()
    assert "interrupted" in failed.inner_text()
    sent = page.locator(".upload-item[data-state=sent]")
    sent.wait_for()
    assert "steady-annex.pdf" in sent.inner_text()
    assert sent.locator("progress").evaluate("p => p.value") == 100
    assert sent.get_by_role("button", name="Retry").is_hidden()
    heard = " ".join(page.evaluate("window.heard"))
    assert re.search(r"Sending steady-annex\.pdf: (100|[1-9]\d?)%", heard), heard  # upload progress, in words
    assert "Some files were not uploaded" in page.locator("[data-upload-summary]").inner_text()
    # The page did not change: the failed file is still chosen, the form still filled.
    assert "/attachments" in page.url
    assert page.locator(f"#{requirement_id}").evaluate("i => i.files.length && i.files[0].name") == "flaky-statutes.pdf"
    shot(page, "22-applicant-upload-failed-retry")

    retry = failed.get_by_role("button", name="Retry")
    assert retry.is_visible()
    with page.expect_navigation():
        retry.click()
    page.wait_for_load_state()
    assert len(posts) == 3  # each file sent on its own, the failed one twice
    assert page.get_by_role("link", name="flaky-statutes.pdf").is_visible()
    assert page.get_by_role("link", name="steady-annex.pdf").is_visible()
    assert "Annex that goes through" in page.content()
    page.unroute(re.compile(r".*/proposals/\d+/attachments$"))


def test_a_refused_upload_says_why_and_can_be_retried_with_another_file(page, sign_in):
    sign_in(page, "applicant@demo.example")
    draft = _draft_url(page)
    page.goto(f"{draft}/attachments")
    page.set_input_files("#file-other", {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"})
    page.locator("#upload-form button[type=submit]").click()
    failed = page.locator(".upload-item[data-state=failed]")
    failed.wait_for()
    assert "notes.pdf was not uploaded" in failed.inner_text()
    reason = failed.locator(".upload-status").inner_text()
    assert "interrupted" not in reason  # the portal's own reason, not the network text

    page.set_input_files("#file-other", _pdf("notes-fixed.pdf"))
    with page.expect_navigation():
        failed.get_by_role("button", name="Retry").click()
    assert page.get_by_role("link", name="notes-fixed.pdf").is_visible()
