"""WCAG 2.2 AA in a real browser: axe-core (pinned in package.json, installed by `make test`) runs in Chromium on
every kind of page each kind of user reaches in the demo facility, in English and in French, and on a form showing
its errors; none may report a violation. The pages are found by following the links a user would follow from
their start pages, so a page added later is checked without editing this file; the test also names the page types
it must have met, so that a broken link cannot quietly shrink what is checked."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe's best practices for what the brief also asks (headings in order, landmarks, a working skip link), which no
# WCAG tag turns on.
STRUCTURE_RULES = [
    "heading-order",
    "page-has-heading-one",
    "landmark-one-main",
    "landmark-unique",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main",
    "region",
    "skip-link",
    "empty-heading",
    "empty-table-header",
]

# Links that are files, not pages (PDFs, attachments, exports) or that leave the portal's HTML (an e-mail's HTML
# shown to administrators in a sandbox where no script runs, axe included).
NOT_PAGES = re.compile(
    r"/download$|/files/\d+$|/attachments/\d+$|/calls/\d+/documents/\d+$|\.(csv|xlsx|json|xml|pdf)(\?|$)|^/api/"
    r"|^/healthz|/outbox/\d+/html$"
)
CAP_PER_ROLE = 120
# Two pages of each kind that names an object: a draft and a submitted proposal show different things and links.
PER_TYPE = 2


def page_type(path: str) -> str:
    """/proposals/12/sections/budget -> /proposals/N/sections/budget: one check per kind of page."""
    path = re.sub(r"/\d+", "/N", path)
    path = re.sub(r"^/portfolio/countries/[^/]+", "/portfolio/countries/CC", path)
    path = re.sub(r"^/verify/.+", "/verify/CODE", path)
    return re.sub(r"^/(invitations|consortium-invitations/join|password/reset)/[^/]+$", r"/\1/TOKEN", path)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci, from package-lock.json)")
    return AXE.read_text()


def axe_violations(page, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy (no inline scripts) does not
    # govern; a <script> tag added to the page would be refused, as it should.
    page.evaluate(f"() => {{ {axe_source}\n; return typeof axe; }}")
    result = page.evaluate(
        """([tags, rules]) => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            rules: Object.fromEntries(rules.map(id => [id, {enabled: true}])),
            resultTypes: ['violations'],
        })""",
        [WCAG_TAGS, STRUCTURE_RULES],
    )
    return [
        f"  {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"      {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')[:300]}" for node in v["nodes"]
        )
        for v in result["violations"]
    ]


def check_pages(page, axe_source: str, start: list[str]) -> tuple[set[str], list[str]]:
    """Visits the start pages and every same-site page linked from them (up to PER_TYPE of each page type, breadth
    first); returns the page types met and a report of the violations found."""
    origin = urlsplit(page.url).netloc
    seen: dict[str, int] = {}
    done: set[str] = set()
    report: list[str] = []
    queue = deque(start)
    visited = 0
    while queue and visited < CAP_PER_ROLE:
        path = queue.popleft()
        kind = page_type(urlsplit(path).path)
        limit = PER_TYPE if kind != urlsplit(path).path else 1
        if path in done or seen.get(kind, 0) >= limit:
            continue
        done.add(path)
        seen[kind] = seen.get(kind, 0) + 1
        response = page.goto(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert response.status < 500, f"{path} answered {response.status}"
        visited += 1
        found = axe_violations(page, axe_source)
        if found:
            report.append(f"{path} ({kind}):\n" + "\n".join(found))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            url = urlsplit(urljoin(page.url, href))
            if (url.netloc and url.netloc != origin) or url.scheme not in ("http", "https"):
                continue
            if NOT_PAGES.search(url.path) or url.path in done:
                continue
            queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return set(seen), report


def assert_clean(report: list[str], seen: set[str] = frozenset(), expected: set[str] = frozenset()) -> None:
    """No violation on any page, and every expected page type was checked."""
    missing = expected - seen
    assert not report and not missing, (
        "axe-core found WCAG 2.2 AA violations:\n"
        + "\n".join(report)
        + (
            f"\npage types not reached (a link is missing?): {sorted(missing)}; reached {sorted(seen)}"
            if missing
            else ""
        )
    )


def test_visitor_pages(page, axe_source):
    page.goto("/")
    seen, report = check_pages(page, axe_source, ["/", "/calls", "/login", "/register", "/password/forgot"])
    page.goto("/verify/ABCD-EFGH-JKMN")  # a code no document carries
    report += [f"/verify (unknown code):\n{v}" for v in axe_violations(page, axe_source)]
    expected = {"/", "/calls", "/calls/N", "/login", "/register", "/password/forgot", "/open-data/"}
    assert_clean(report, seen, expected)


def test_applicant_pages(page, sign_in, axe_source):
    sign_in(page, "applicant@demo.example")
    seen, report = check_pages(
        page, axe_source, ["/proposals", "/organisations", "/grants", "/consortium-invitations", "/account"]
    )
    expected = {
        "/proposals",
        "/proposals/N",
        "/proposals/N/sections",
        "/proposals/N/sections/identification",
        "/proposals/N/sections/summary",
        "/proposals/N/sections/countries",
        "/proposals/N/budget",
        "/proposals/N/consortium",
        "/proposals/N/attachments",
        "/proposals/N/check",
        "/proposals/N/withdraw",
        "/organisations",
        "/organisations/N",
        "/organisations/N/edit",
        "/grants",
        "/grants/N",
        "/account",
    }
    # The public check of a document's authenticity, from a receipt's verification code.
    page.goto("/proposals")
    receipt = page.locator("text=/Verification code: [A-Z0-9-]+/")
    for href in page.eval_on_selector_all("a[href^='/proposals/']", "ls => ls.map(a => a.getAttribute('href'))"):
        page.goto(href)
        if receipt.count():
            break
    code = re.search(r"Verification code: ([A-Z0-9-]+)", receipt.first.inner_text()).group(1)
    page.goto(f"/verify/{code}")
    assert page.locator("h1").inner_text()
    report += [f"/verify/{code}:\n{v}" for v in axe_violations(page, axe_source)]
    assert_clean(report, seen, expected)


def test_evaluator_pages(page, sign_in, axe_source):
    sign_in(page, "evaluator@demo.example")
    seen, report = check_pages(page, axe_source, ["/evaluation"])
    expected = {"/evaluation", "/evaluation/assignments/N/declaration", "/evaluation/assignments/N"}
    assert_clean(report, seen, expected)


def test_manager_pages(page, sign_in, axe_source):
    sign_in(page, "manager@demo.example")
    seen, report = check_pages(
        page,
        axe_source,
        ["/manage/calls", "/manage/calls/new", "/grants", "/portfolio", "/search?q=diaspora", "/account/api-tokens"],
    )
    expected = {
        "/manage/calls",
        "/manage/calls/new",
        "/manage/calls/N",
        "/manage/calls/N/edit",
        "/manage/calls/N/questions",
        "/manage/calls/N/documents",
        "/manage/calls/N/assignments",
        "/manage/calls/N/ranking",
        "/manage/proposals/N/decision",
        "/proposals/N",
        "/grants",
        "/grants/N",
        "/grants/N/payments",
        "/grants/N/reporting",
        "/portfolio",
        "/portfolio/countries/CC",
        "/search",
        "/admin/audit",
        "/account/api-tokens",
    }
    assert_clean(report, seen, expected)


def test_admin_pages(page, sign_in, axe_source):
    sign_in(page, "admin@demo.example")
    seen, report = check_pages(page, axe_source, ["/admin/users", "/admin/invitations/new", "/admin/audit"])
    expected = {"/admin/users", "/admin/invitations/new"}
    assert_clean(report, seen, expected)


def test_pages_in_french_and_a_form_showing_its_errors(page, sign_in, axe_source):
    page.goto("/")
    page.locator("button[lang=fr]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    seen, report = check_pages(page, axe_source, ["/", "/calls", "/register"])
    expected = {"/", "/calls", "/calls/N", "/register", "/login", "/open-data/"}
    # A form sent with errors: the summary at the top links to each field, which names its error.
    page.goto("/register")
    page.locator("form", has=page.locator("input[name=password]")).locator("[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    first_link = summary.locator("a[href^='#']").first
    field_id = first_link.get_attribute("href")[1:]
    field = page.locator(f"#{field_id}")
    assert field.get_attribute("aria-invalid") == "true"
    assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "")
    report += [f"/register with errors (fr):\n{v}" for v in axe_violations(page, axe_source)]
    # And in English, signed in, a section of the proposal form sent with an error.
    page.locator("button[lang=en]").click()
    page.wait_for_load_state()
    page.goto("/login")
    page.locator("form", has=page.locator("input[name=password]")).locator("[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary, .flash-error").first.is_visible()
    report += [f"/login with errors:\n{v}" for v in axe_violations(page, axe_source)]
    assert_clean(report, seen, expected)


def test_the_skip_link_comes_first_and_moves_focus_to_the_main_content(page):
    page.goto("/calls")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"cls": "skip-link", "href": "#main"}
    assert page.locator(".skip-link").is_visible()  # shown when it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The next Tab goes into the page's content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")
    # Whatever has the keyboard focus shows it.
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"]


def test_every_section_of_the_full_application_form(
    page, live_server, axe_source, client, login, make_call, make_proposal
):
    """The demo's open call takes concept notes, so the sections only a full application has (logical framework,
    work plan, risks, sustainability) are rendered here by the test app on a single-stage call, and shown to Chromium
    under the live portal's address so that its stylesheet applies."""
    from portal.proposals.sections import SECTION_KEYS, section_version

    call = make_call()
    proposal = make_proposal(call, complete=True)
    assert not call.is_two_stage
    login(client, proposal.created_by)
    page.goto("/healthz")
    report = []
    paths = [f"/proposals/{proposal.id}/sections/{key}" for key in SECTION_KEYS if key != "budget"]
    for path in [f"/proposals/{proposal.id}/sections", *paths, f"/proposals/{proposal.id}/budget"]:
        response = client.get(path)
        assert response.status_code == 200, path
        page.set_content(response.get_data(as_text=True))
        # The portal's stylesheet applies (contrast is judged on the real colours).
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == (
            "rgb(11, 79, 138)"
        )
        assert page.locator("h1").count() == 1, path
        report += [f"{path} (full application):\n{v}" for v in axe_violations(page, axe_source)]
    # A section sent with an error: the summary at the top links to the field.
    response = client.post(
        f"/proposals/{proposal.id}/sections/summary",
        data={"version": str(section_version(proposal, "summary")), "summary": " ".join(["word"] * 301)},
    )
    assert response.status_code == 422
    page.set_content(response.get_data(as_text=True))
    assert page.locator(".error-summary a[href='#summary']").is_visible()
    report += [f"summary section with an error:\n{v}" for v in axe_violations(page, axe_source)]
    assert_clean(report)


def test_pages_reached_from_an_e_mail(
    page, live_server, axe_source, client, login, make_user, make_call, make_proposal, outbox
):
    """Pages whose address carries a token sent by e-mail (staff invitation, password reset, consortium invitation),
    rendered by the test app and shown to Chromium under the live portal's address."""
    from portal.accounts.confirmation import make_confirmation_token
    from portal.accounts.operations import make_reset_token
    from portal.consortia.operations import invite_by_email, make_invitation_token

    admin = make_user("admin")
    login(client, admin)
    assert (
        client.post("/admin/invitations/new", data={"email": "expert@eval.example", "role": "evaluator"}).status_code
        == 302
    )
    client.post("/logout")
    invitation = re.search(r"/invitations/[\w-]+", outbox[-1].text).group(0)
    proposal = make_proposal(make_call())
    partner = invite_by_email(proposal, "partner@ngo.example", "Partner NGO", "co_applicant", by=proposal.created_by)
    paths = [
        invitation,
        f"/password/reset/{make_reset_token(make_user())}",
        "/password/reset/forged",  # an expired or forged link
        f"/consortium-invitations/join/{make_invitation_token(partner)}",
        f"/register/confirm/{make_confirmation_token(make_user(email_confirmed_at=None))}",
        "/register/confirm/forged",
        "/register/check-inbox",
        "/register/resend",
    ]
    page.goto("/healthz")
    report = []
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 410), path
        page.set_content(response.get_data(as_text=True))
        assert page.locator("h1").count() == 1, path
        report += [f"{path}:\n{v}" for v in axe_violations(page, axe_source)]
    # The invitation's form sent with errors.
    response = client.post(invitation, data={"full_name": "", "password": "short", "confirm": "other"})
    page.set_content(response.get_data(as_text=True))
    assert page.locator(".error-summary").is_visible()
    report += [f"{invitation} with errors:\n{v}" for v in axe_violations(page, axe_source)]
    assert_clean(report)
