"""Whole journeys in a real browser, as people live them: a newcomer applies with a consortium (in English and in
French), an evaluator scores, a manager ranks, decides and sends the award letter. Each step is kept as a
screenshot (test-artifacts/screenshots/journey-*.png).

The journeys change the demo (a submitted proposal, a review, an award), so they run on a demo server of their own:
the other browser tests see the demo as seeded. Within this module each journey touches its own records: new users
with a random suffix, a co-applicant organisation of its own, and evaluation-call proposals that no other journey
decides or scores."""

from __future__ import annotations

import io
import re
import secrets
import time

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from tests.browser.conftest import serve_demo

pytestmark = pytest.mark.browser

OPEN_CALL = "MMD-GF-2026-02"
PASSWORD = "demo-pass-2026"

# The words the journeys look for, in each language (the French ones are the catalogue's translations).
WORDS = {
    "en": {
        # Each journey's organisation has a name of its own: the two journeys share a database, and names that differ
        # only by their random suffix were near-identical to the duplicate check one time in seven.
        "organisation": "Youth Network for Climate Mobility",
        "register_title": "Create an account",
        "create_account": "Create my account",
        "start": "Start the proposal",
        "submit": "Submit the proposal",
        "receipt": "Download the receipt (PDF)",
        "receipt_title": "Submission receipt",
        "accept": "Accept the invitation",
        "save_budget": "Save the budget",
        "upload": "Upload the chosen files",
    },
    "fr": {
        "organisation": "Association des jeunes pour la mobilité climatique",
        "register_title": "Créer un compte",
        "create_account": "Créer mon compte",
        "start": "Commencer la proposition",
        "submit": "Soumettre la proposition",
        "receipt": "Télécharger l’accusé de réception (PDF)",
        "receipt_title": "Accusé de réception de la soumission",
        "accept": "Accepter l’invitation",
        "save_budget": "Enregistrer le budget",
        "upload": "Téléverser les fichiers choisis",
    },
}


@pytest.fixture(scope="module")
def journey_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("journeys")


@pytest.fixture(scope="module")
def journey_server(journey_workdir):
    with serve_demo(journey_workdir) as base:
        yield base


@pytest.fixture
def mailbox(journey_workdir):
    """The last link of a kind e-mailed to an address (the demo server prints its e-mails to its log)."""

    def last_link(email: str, path: str) -> str:
        deadline = time.monotonic() + 30
        while True:
            log = (journey_workdir / "server.log").read_text(errors="replace")
            mails = [m for m in log.split("----- e-mail to ")[1:] if m.startswith(f"{email} -----")]
            links = re.findall(r"https?://\S+(" + re.escape(path) + r"\S+)", mails[-1]) if mails else []
            if links:
                return links[-1]
            assert time.monotonic() < deadline, f"no e-mail to {email} with a link to {path}"
            time.sleep(0.3)

    return last_link


@pytest.fixture
def new_page(chromium, journey_server):
    """Opens pages in browser contexts of their own (one per person: their own cookies), closed at the end."""
    contexts = []

    def open_page():
        context = chromium.new_context(
            base_url=journey_server, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def pdf_file(tmp_path, name: str, title: str):
    """A small real PDF, as an applicant would upload it."""
    path = tmp_path / name
    HTML(string=f"<h1>{title}</h1><p>Document for the browser journeys of the grant portal.</p>").write_pdf(path)
    return path


def pdf_text(download) -> str:
    with open(download.path(), "rb") as handle:
        body = handle.read()
    assert body.startswith(b"%PDF-")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def click_submit(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


def save_section(page) -> None:
    page.locator("form.section-form button[name=action][value=save]").click()
    page.wait_for_load_state()
    errors = page.locator(".error-summary:not([hidden])")
    assert errors.count() == 0, errors.inner_text()


def reload_until(page, locator, seconds: float = 90) -> None:
    """Reloads until `locator` is on the page (documents render in the background)."""
    deadline = time.monotonic() + seconds
    while locator.count() == 0:
        assert time.monotonic() < deadline, f"still not on {page.url}: {locator}"
        time.sleep(0.5)
        page.reload()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form", has=page.locator("input[name=password]")).locator("[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"sign-in as {email} failed"


# -- 1 and 4: a newcomer applies with a consortium ------------------------------------------------------------------


def apply_with_a_consortium(
    new_page, shot, mailbox, tmp_path, lang: str, partner: str, partner_name: str, partner_country: str
) -> None:
    words = WORDS[lang]
    suffix = secrets.token_hex(4)
    step = f"journey-{lang}"
    email = f"newcomer-{suffix}@example.org"
    page = new_page()

    # Registers (switching the language first with the header's switch, as a French speaker would).
    page.goto("/register")
    if lang == "fr":
        page.locator("header").get_by_role("button", name="Français").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text().strip() == words["register_title"]
    page.fill("input[name=email]", email)
    page.fill("input[name=full_name]", f"Awa Ndiaye {suffix}")
    page.fill("input[name=password]", "a long and new password")
    page.fill("input[name=confirm]", "a long and new password")
    shot(page, f"{step}-01-register")
    click_submit(page, words["create_account"])
    assert page.url.endswith("/register/check-inbox"), page.url
    shot(page, f"{step}-01b-check-inbox")
    # Confirms the address from the e-mail, then signs in.
    page.goto(mailbox(email, "/register/confirm/"))
    shot(page, f"{step}-01c-confirm")
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    assert "/login" in page.url, page.url
    sign_in(page, email, "a long and new password")
    page.goto("/organisations/new")

    # Creates an organisation in Senegal.
    org_name = f"{words['organisation']} {suffix}"
    page.fill("input[name=legal_name]", org_name)
    page.fill("input[name=acronym]", f"AJMC-{suffix}")
    page.select_option("select[name=type]", "ngo")
    page.select_option("select[name=country]", "SN")
    page.fill("input[name=registration_number]", f"SN-DKR-{suffix}")
    shot(page, f"{step}-02-organisation")
    page.locator("form", has=page.locator("input[name=legal_name]")).locator("[type=submit]").click()
    page.wait_for_load_state()
    assert re.search(r"/organisations/\d+$", page.url), (page.url, page.locator("main").inner_text()[:600])

    # Applies to the open call.
    page.goto("/calls")
    page.locator("tr", has_text=OPEN_CALL).locator("a[href^='/calls/']").first.click()
    page.wait_for_load_state()
    page.locator("a[href$='/apply']").first.click()
    page.wait_for_load_state()
    title = f"Climate mobility and diaspora savings in Casamance {suffix}"
    page.fill("input[name=title]", title)
    click_submit(page, words["start"])
    match = re.search(r"/proposals/(\d+)", page.url)
    assert match, page.url
    proposal = f"/proposals/{match.group(1)}"

    # Invites a demo organisation as co-applicant...
    page.goto(f"{proposal}/consortium")
    page.fill("input[name=q]", partner)
    page.locator("form[method=get]", has=page.locator("input[name=q]")).locator("[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator("tr", has_text=partner)
    row.locator("select[name=role]").select_option("co_applicant")
    row.locator("form [type=submit]").click()
    page.wait_for_load_state()
    shot(page, f"{step}-03-consortium-invited")

    # ... whose contact accepts in a browser of their own.
    partner_page = new_page()
    sign_in(partner_page, f"contact@{partner.lower()}.demo.example")
    partner_page.goto("/consortium-invitations")
    partner_page.locator("a", has_text=title).first.click()
    partner_page.wait_for_load_state()
    shot(partner_page, f"{step}-04-partner-invitation")
    click_submit(partner_page, words["accept"])
    page.reload()
    assert page.locator("tr", has_text=partner).locator(".badge-accepted").count() == 1 or (
        "accepted" in page.locator("tr", has_text=partner).first.inner_html()
    )

    # Fills the concept note's sections.
    page.goto(f"{proposal}/sections/identification")
    assert page.locator("input[name=title]").input_value() == title
    page.fill("input[name=duration_months]", "24")
    page.locator("select[name=jvap_domain_id]").select_option(index=1)
    page.locator("input[name=dialogue_ids]").first.check()
    save_section(page)
    shot(page, f"{step}-05-identification")

    page.goto(f"{proposal}/sections/summary")
    page.fill(
        "textarea[name=summary]",
        "Young people of Casamance and their diaspora build climate-resilient livelihoods, so that moving becomes "
        "a choice; the lessons feed the Rabat Process.",
    )
    save_section(page)

    page.goto(f"{proposal}/sections/relevance")
    page.fill("textarea[name=objectives]", "The action answers the call's theme of climate-related mobility.")
    page.fill("textarea[name=dialogues]", "Results are presented at the Rabat Process thematic meeting.")
    page.fill("textarea[name=domains]", "Development benefits of migration, through diaspora investment.")
    save_section(page)

    page.goto(f"{proposal}/sections/countries")
    page.locator("#country-SN").check()
    page.locator(f"#country-{partner_country}").check()
    page.fill("input[name=share-SN]", "60")
    page.fill(f"input[name=share-{partner_country}]", "40")
    save_section(page)

    page.goto(f"{proposal}/sections/target_groups")
    page.fill("textarea[name=target_groups]", "Young farmers and fishers of Casamance, and diaspora associations.")
    page.fill("input[name=target_groups_number]", "600")
    page.fill("textarea[name=final_beneficiaries]", "The households of the villages taking part.")
    page.fill("input[name=final_beneficiaries_number]", "4000")
    save_section(page)

    page.goto(f"{proposal}/sections/declarations")
    for name in ("accurate", "no_exclusion", "mandates", "data_protection"):
        page.locator(f"input[name={name}]").check()
    page.fill("input[name=signatory_name]", f"Awa Ndiaye {suffix}")
    page.fill("input[name=signatory_position]", "Director")
    save_section(page)

    # The budget: lines for both partners, 7% indirect costs, co-financing above 10%.
    page.goto(f"{proposal}/budget")
    rows = page.locator("tbody[data-budget-lines] tr")
    lines = [
        (0, "human_resources", "Project coordinator and field staff", "month", "24", "4000"),
        (0, "travel", "Trips to the villages and the dialogue meetings", "trip", "20", "1000"),
        (1, "human_resources", "Partner's trainers", "month", "24", "2500"),
        (0, "indirect", "Indirect costs (7% of the direct costs)", "lump sum", "1", "11340"),
    ]
    while rows.count() < len(lines):
        page.locator("button[data-budget-add=line]").click()
    for i, (partner_index, category, description, unit, quantity, cost) in enumerate(lines):
        row = rows.nth(i)
        row.locator("[data-budget-cell=partner]").select_option(index=partner_index)
        row.locator("[data-budget-cell=category]").select_option(category)
        row.locator("[data-budget-cell=description]").fill(description)
        row.locator("[data-budget-cell=unit]").fill(unit)
        row.locator("[data-budget-cell=quantity]").fill(quantity)
        row.locator("[data-budget-cell=unit_cost]").fill(cost)
    source = page.locator("tbody[data-budget-sources] tr").nth(0)
    source.locator("[data-budget-cell=source]").fill("Own funds of the lead applicant")
    source.locator("[data-budget-cell=amount]").fill("25000")
    source.locator("input[type=checkbox]").check()
    page.locator("form[data-budget-form] .actions button[name=action][value=save]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary:not([hidden])").count() == 0
    # Direct 96,000 + 20,000 + 60,000 = 176,000; indirect 11,340 (6.44%); total 187,340; requested 162,340.
    total = page.locator("[data-budget-out='total']").first.inner_text()
    requested = page.locator("[data-budget-out='requested']").first.inner_text()
    assert re.sub(r"\D", "", total) == "18734000", total
    assert re.sub(r"\D", "", requested) == "16234000", requested
    assert page.locator("#budget-problems").count() == 0 or not page.locator("#budget-problems li").count()
    shot(page, f"{step}-06-budget")

    # The call's required documents: statutes and proof of registration, as real PDFs.
    page.goto(f"{proposal}/attachments")
    inputs = page.locator("input[type=file][name^='file-']:not([name=file-other])")
    assert inputs.count() >= 2
    inputs.nth(0).set_input_files(pdf_file(tmp_path, f"statutes-{lang}.pdf", "Statutes"))
    inputs.nth(1).set_input_files(pdf_file(tmp_path, f"registration-{lang}.pdf", "Certificate of registration"))
    click_submit(page, words["upload"])
    # With JavaScript each file is sent on its own, with its progress; the page reloads once all have gone.
    page.locator("a", has_text=f"statutes-{lang}.pdf").wait_for(timeout=60000)
    page.locator("a", has_text=f"registration-{lang}.pdf").wait_for(timeout=60000)
    assert page.locator("a", has_text=f"statutes-{lang}.pdf").count() == 1
    assert page.locator("a", has_text=f"registration-{lang}.pdf").count() == 1
    shot(page, f"{step}-07-attachments")

    # Submits, and downloads the receipt once it is rendered.
    page.goto(proposal)
    shot(page, f"{step}-08-ready-to-submit")
    click_submit(page, words["submit"])
    receipt = page.locator("#submission a", has_text=words["receipt"])
    reload_until(page, receipt)
    shot(page, f"{step}-09-submitted")
    with page.expect_download() as download:
        receipt.click()
    text = pdf_text(download.value)
    reference = re.search(rf"{OPEN_CALL}-\d+", page.locator("main").inner_text()).group(0)
    for expected in (words["receipt_title"], reference, title, org_name, partner_name, f"statutes-{lang}.pdf"):
        assert expected in " ".join(text.split()), (expected, text[:1500])


def test_newcomer_applies_with_a_consortium(new_page, shot, mailbox, tmp_path):
    apply_with_a_consortium(
        new_page,
        shot,
        mailbox,
        tmp_path,
        "en",
        partner="GRADE",
        partner_name="Gambia Returnees and Diaspora Enterprise Network",
        partner_country="GM",
    )


def test_newcomer_applies_with_a_consortium_in_french(new_page, shot, mailbox, tmp_path):
    apply_with_a_consortium(
        new_page,
        shot,
        mailbox,
        tmp_path,
        "fr",
        partner="FTME",
        partner_name="Forum Tunisien pour la Mobilité Équitable",
        partner_country="TN",
    )


# -- 2: an evaluator scores a proposal, in two sittings -------------------------------------------------------------


def test_evaluator_declares_scores_saves_a_draft_and_submits(new_page, shot):
    page = new_page()
    sign_in(page, "evaluator@demo.example")
    page.goto("/evaluation")
    # The demo's evaluator has one proposal waiting for a declaration (no other journey scores it).
    page.locator("a[href$='/declaration']").first.click()
    page.wait_for_load_state()
    shot(page, "journey-evaluator-01-declaration")
    page.locator("input[name=conflict][value=no]").check()
    page.locator("input[name=confidentiality]").check()
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/evaluation/assignments/\d+$", page.url), page.url
    assignment = page.url

    scores = page.locator("select[name^=score_]")
    comments = page.locator("textarea[name^=comment_]")
    assert scores.count() >= 2
    for i in range(scores.count()):
        scores.nth(i).select_option(str(4 if i % 2 else 3))
        comments.nth(i).fill(f"Criterion {i + 1}: the note is clear, its partners are credible and its costs fair.")
    # Saved as a draft halfway, with the last score not yet final.
    scores.last.select_option("2")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    shot(page, "journey-evaluator-02-draft-saved")

    # Comes back later: the draft is there as left.
    page.goto("/evaluation")
    page.goto(assignment)
    assert scores.last.input_value() == "2"
    assert comments.first.input_value().startswith("Criterion 1:")
    scores.last.select_option("5")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_load_state()
    shot(page, "journey-evaluator-03-submitted")
    page.goto(assignment)
    # A submitted review is read, no longer edited.
    assert page.locator("select[name^=score_]").count() == 0
    assert "Criterion 1:" in page.locator("main").inner_text()


# -- 3: a manager ranks, awards and sends the letter; the applicant sees the outcome ---------------------------------


def test_manager_ranks_awards_and_the_applicant_sees_the_outcome(new_page, shot):
    page = new_page()
    sign_in(page, "manager@demo.example")
    page.goto("/manage/calls")
    page.locator("tr", has=page.locator(".badge-evaluation")).locator("a[href^='/manage/calls/']").first.click()
    page.wait_for_load_state()
    page.locator("a[href$='/ranking']").first.click()
    page.wait_for_load_state()
    shot(page, "journey-manager-01-ranking")
    # The corridor partnership (OMM, both reviews in) is decided here; the evaluator journey scores another one.
    row = page.locator("tr", has_text="Labour mobility corridors")
    row.locator("a[href$='/decision']").click()
    page.wait_for_load_state()
    page.locator("input[name=outcome][value=award]").check()
    page.fill("textarea[name=reason]", "Ranked first by the committee and within the envelope.")
    shot(page, "journey-manager-02-decision")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/grants/\d+$", page.url), page.url
    grant = page.url

    # The award letter renders in the background: the page says so until it is ready.
    letter = page.get_by_role("link", name="Download the award letter (PDF)")
    reload_until(page, letter)
    shot(page, "journey-manager-03-grant")
    agreement = re.search(r"MMD-[A-Z0-9-]+", page.locator("h1").inner_text())
    with page.expect_download() as download:
        letter.click()
    text = " ".join(pdf_text(download.value).split())
    assert "Labour mobility corridors" in text, text[:1500]
    if agreement:
        assert agreement.group(0) in text

    # The lead applicant (whose contact reads the portal in French) sees the outcome, the grant and its letter.
    applicant = new_page()
    sign_in(applicant, "contact@omm.demo.example")
    applicant.goto("/proposals")
    row = applicant.locator("tr", has_text="Labour mobility corridors")
    assert row.locator(".badge-awarded").count() == 1
    shot(applicant, "journey-manager-04-applicant-outcome")
    applicant.goto(grant)
    assert "Labour mobility corridors" in applicant.locator("main").inner_text()
    assert applicant.locator("a[href*='/documents/'][href$='/download']").count() >= 1
    shot(applicant, "journey-manager-05-applicant-grant")
