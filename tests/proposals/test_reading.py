"""Reading a whole proposal: the proposal page shows the consortium, every section under the form's own labels, the
budget and the attachments to everyone who may see the proposal; the submission receipt reads the frozen snapshot
with the same labels, in the submitter's language."""

from __future__ import annotations

import hashlib
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.core import storage
from portal.documents.models import Document
from portal.evaluation.models import AssignmentStatus
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalAttachment, ProposalPartner, ProposalSection
from portal.proposals.operations import save_section
from portal.proposals.reading import read_sections, snapshot_sections
from portal.proposals.sections import SECTION_KEYS
from tests.documents.test_letter import pdf_text
from tests.proposals.filling import budget_posts, fill_sections, section_data

# -- reading pages --------------------------------------------------------------------------------------------------


def _text(fragment: str) -> str:
    """The text of an HTML fragment: table cells separated by " | ", whitespace collapsed."""
    fragment = re.sub(r"<t[dh]\b[^>]*>", " | ", fragment)
    fragment = re.sub(r"<br\s*/?>", " / ", fragment)
    fragment = re.sub(r"<[^>]+>", " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(fragment)).strip()


def _section(page: str, anchor: str) -> str:
    """The raw HTML of the page's <section id="..."> (sections do not nest)."""
    match = re.search(rf'<section class="read-section" id="{anchor}">(.*?)</section>', page, re.S)
    assert match, f"no section {anchor} on the page"
    return match.group(1)


def _status(proposal) -> str:
    db.session.expire_all()
    return proposal.status


def _page(client, proposal) -> str:
    response = client.get(f"/proposals/{proposal.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def proposal(open_call, applicant, make_proposal):
    """A complete draft (every section filled in through the operations, a budget requesting €120,000.00)."""
    return make_proposal(open_call, organisation=applicant.organisations[0], created_by=applicant, complete=True)


@pytest.fixture
def co_applicant(make_user, make_org, proposal, session):
    """A user of an accepted co-applicant, given no section to edit."""
    user = make_user("applicant")
    org = make_org("Institut Malien de Recherche", country="ML", members=[user])
    proposal.partners.append(ProposalPartner(organisation=org, role="co_applicant", status="accepted"))
    session.commit()
    return user


@pytest.fixture
def associated(make_org, proposal, session):
    """An associated entity, invited and yet to answer (the draft cannot be submitted until it does)."""
    org = make_org("Mairie de Kayes", country="ML", type="local_authority")
    proposal.partners.append(ProposalPartner(organisation=org, role="associated", status="invited"))
    session.commit()
    return org


def assert_whole_proposal(page: str) -> None:
    """Every section under its title, with its values under the form's labels."""
    for key, title in (
        ("identification", "Identification"),
        ("summary", "Summary"),
        ("relevance", "Relevance"),
        ("logframe", "Objectives, results and activities"),
        ("workplan", "Work plan"),
        ("countries", "Countries of implementation"),
        ("target_groups", "Target groups and final beneficiaries"),
        ("risks", "Risks and mitigation"),
        ("sustainability", "Sustainability"),
        ("budget", "Budget"),
        ("declarations", "Declarations"),
    ):
        section = _text(_section(page, f"section-{key}"))
        assert section.startswith(title), (key, section[:80])
        assert f'<a href="#section-{key}">{title}</a>' in page  # the table of contents links to it
        assert "Not filled in yet." not in section

    ident = _text(_section(page, "section-identification"))
    assert "Duration (months) 18" in ident
    assert "Main JVAP domain 1. Development benefits of migration" in ident
    assert "Dialogues your proposal feeds" in ident and "Planned start month (optional) 2026-09" in ident

    relevance = _text(_section(page, "section-relevance"))
    assert "Relevance to the dialogues It feeds the Rabat Process." in relevance

    logframe = _text(_section(page, "section-logframe"))
    assert "Overall objective Diaspora investment creates local jobs." in logframe
    assert "Specific objective Diaspora associations invest in local enterprises." in logframe
    assert "1.1 Output (expected result) Ten associations trained." in logframe
    # The indicators: a table with the form's column labels, baseline 0 and target 10.
    assert "Indicator | Baseline | Target | Source of verification" in logframe
    assert "| Associations trained | 0 | 10 | Attendance lists" in logframe
    # The activities, with the label of the output chosen.
    assert "| Activity | Description | Contributes to output" in logframe
    assert "| Training sessions | — | 1.1 Ten associations trained." in logframe

    workplan = _section(page, "section-workplan")
    assert workplan.count("✓") == 3 and workplan.count('<span class="visually-hidden">planned</span>') == 3
    row = re.search(r'<th scope="row">1\. Training sessions</th>(.*?)</tr>', workplan, re.S).group(1)
    cells = [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["✓ planned"] * 3 + [""] * 15  # months 1 to 3 of 18
    assert '<th scope="col" class="month">18</th>' in workplan

    countries = _text(_section(page, "section-countries"))
    assert "| Mali | 40% | Senegal | 60% | Total | 100%" in countries

    target = _text(_section(page, "section-target_groups"))
    assert "Estimated number of final beneficiaries 250" in target

    risks = _text(_section(page, "section-risks"))
    assert "| Risk | Likelihood | Impact | Mitigation | Delays | Low | Medium | Plan early." in risks

    budget = _text(_section(page, "section-budget"))
    assert "Project coordinator" in budget
    assert "| Total budget | €141,176.47" in budget
    assert "| Requested amount | €120,000.00 | 85.01% of the total budget" in budget

    declarations = _text(_section(page, "section-declarations"))
    assert "The information in this proposal is accurate and complete." in declarations
    assert "Name of the signatory Amina Diallo" in declarations and "Position of the signatory Director" in declarations
    assert re.search(r"Declared by Applicant \d+ on ", declarations)


def test_the_lead_reads_the_whole_proposal(client, login, applicant, proposal, co_applicant, associated):
    page = _page(login(client, applicant), proposal)
    assert_whole_proposal(page)
    consortium = _text(_section(page, "consortium"))
    assert "| Organisation | Country | Role | Status" in consortium
    assert re.search(r"\| Association Sahel Mobilité \(ORG\d+\) \| Senegal \| Lead applicant \| —", consortium)
    assert re.search(r"\| Institut Malien de Recherche \(ORG\d+\) \| Mali \| Co-applicant \| Accepted", consortium)
    assert re.search(r"\| Mairie de Kayes \(ORG\d+\) \| Mali \| Associated entity \| Invited", consortium)
    # The existing parts of the page stay: the check before submission and the submission panel.
    assert "Before you submit" in page and 'id="submission"' in page


def test_a_co_applicant_a_manager_and_an_assigned_evaluator_read_it_too(
    client, login, applicant, proposal, co_applicant, make_user, make_assignment
):
    assert login(client, applicant).post(f"/proposals/{proposal.id}/submit").status_code == 302
    assert _status(proposal) == "submitted"
    manager = make_user("manager")
    evaluator = make_user("evaluator")
    assignment = make_assignment(proposal, evaluator=evaluator)
    for reader in (co_applicant, manager):
        page = _page(login(client, reader), proposal)
        assert_whole_proposal(page)
        assert "Before you submit" not in page
    # An evaluator reads it only after declaring no conflict of interest.
    assert login(client, evaluator).get(f"/proposals/{proposal.id}").status_code == 404
    assignment.status = AssignmentStatus.IN_PROGRESS
    db.session.commit()
    page = _page(client, proposal)
    assert_whole_proposal(page)
    # Submitted: the page says that the receipt describes what was submitted.
    assert "shows the proposal's current content" in page and "SHA-256 fingerprint" in page


def test_the_page_reads_in_french(client, login, applicant, proposal, session):
    applicant.locale = "fr"
    session.commit()
    page = _page(login(client, applicant), proposal)
    # Titles and labels that the French catalogue has.
    assert _text(_section(page, "section-relevance")).startswith("Pertinence")
    assert _text(_section(page, "section-workplan")).startswith("Plan de travail")
    assert _text(_section(page, "section-logframe")).startswith("Objectifs, résultats et activités")
    ident = _text(_section(page, "section-identification"))
    assert "Titre " in ident and "Durée (mois) 18" in ident
    assert "Processus de Rabat" in ident  # the dialogue's French name
    assert "| Mali | 40 % | Sénégal | 60 %" in _text(_section(page, "section-countries"))
    assert "120 000,00 €" in _text(_section(page, "section-budget"))


def test_sections_never_saved_say_so(client, login, applicant, draft):
    page = _page(login(client, applicant), draft)
    for key in ("relevance", "logframe", "workplan", "risks", "budget", "declarations"):
        assert _text(_section(page, f"section-{key}")).endswith("Not filled in yet."), key
    # Identification, summary and countries live in the proposal's columns: what is there is shown.
    assert "Not filled in yet." not in _section(page, "section-identification")
    assert "| Mali | — | Senegal | —" in _text(_section(page, "section-countries"))
    assert "(Not filled in yet.)" in page  # in the table of contents too


def test_texts_keep_their_paragraphs_and_are_escaped(client, login, applicant, proposal):
    data = section_data(proposal)["relevance"]
    data["objectives"] = "First line\nsecond line\n\n<script>alert(1)</script> & more"
    save_section(proposal, "relevance", data, by=applicant, expected_version=None)
    db.session.commit()
    section = _section(_page(login(client, applicant), proposal), "section-relevance")
    assert "<p>First line<br>second line</p><p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>" in section
    assert "<script>" not in section


def test_a_changed_section_reads_changed_at_once(client, login, applicant, proposal):
    """The read-out's HTML is kept per process by its content (portal/core/fragments.py): a change is a new content,
    read at the next request, and the content of before, if it comes back, reads as before."""
    login(client, applicant)
    before = _section(_page(client, proposal), "section-relevance")
    data = section_data(proposal)["relevance"]
    original = data["objectives"]
    data["objectives"] = "Objectives changed after the first reading."
    save_section(proposal, "relevance", data, by=applicant, expected_version=None)
    db.session.commit()
    after = _section(_page(client, proposal), "section-relevance")
    assert "Objectives changed after the first reading." in after and after != before
    data["objectives"] = original
    save_section(proposal, "relevance", data, by=applicant, expected_version=None)
    db.session.commit()
    assert _section(_page(client, proposal), "section-relevance") == before


def test_attachments_are_listed_with_an_access_checked_link(client, login, applicant, proposal, make_user, session):
    key = storage.new_key("attachments", ".pdf")
    storage.put(key, b"%PDF-1.7 statutes")
    attachment = ProposalAttachment(
        kind="statutes",
        filename="statuts-ASM.pdf",
        content_type="application/pdf",
        size=17,
        sha256=hashlib.sha256(b"%PDF-1.7 statutes").hexdigest(),
        storage_key=key,
    )
    proposal.attachments.append(attachment)
    session.commit()
    url = f"/proposals/{proposal.id}/attachments/{attachment.id}"
    manager = make_user("manager")
    section = _section(_page(login(client, manager), proposal), "attachments")
    assert f'<a href="{url}">statuts-ASM.pdf</a>' in section
    assert "| Statutes | statuts-ASM.pdf | 17 bytes" in _text(section)
    assert client.get(url).data == b"%PDF-1.7 statutes"
    # Someone who may not see the proposal gets neither the page nor the file.
    outsider = make_user("applicant")
    login(client, outsider)
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert client.get(url).status_code == 404


def _count_queries(app, fn) -> int:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_page_queries_do_not_grow_with_the_sections_or_the_budget(
    app, client, login, applicant, draft, make_user, session
):
    from portal.proposals.budget import read_budget_form, save_budget

    manager = make_user("manager")
    login(client, manager)
    url = f"/proposals/{draft.id}"
    ids = draft.id, applicant.id
    # A first budget line and a section, so that every relation is loaded once either way.
    fill_sections(draft, applicant, keys=["summary", "budget"])
    session.expunge_all()
    few = _count_queries(app, lambda: client.get(url))
    proposal, user = session.get(Proposal, ids[0]), session.get(type(applicant), ids[1])
    fill_sections(proposal, user)
    posts = budget_posts(Decimal("120000.00"))
    for i in range(2, 12):
        posts.update({f"line-{i}-{k}": v for k, v in (("partner", "lead"), ("category", "travel"), ("unit", "trip"))})
        posts.update({f"line-{i}-description": f"Trip {i}", f"line-{i}-quantity": "1", f"line-{i}-unit_cost": "10"})
    save_budget(proposal, read_budget_form(posts, proposal), by=user, expected_version=None)
    session.commit()
    session.expunge_all()
    many = _count_queries(app, lambda: client.get(url))
    assert many == few


# -- the receipt ----------------------------------------------------------------------------------------------------


def _receipt_text(session, proposal) -> str:
    session.expire_all()
    document = session.scalar(
        select(Document).where(Document.snapshot_id == proposal.snapshots[-1].id, Document.kind == "submission_receipt")
    )
    assert document.status == "ready", document.error
    return pdf_text(storage.get(document.storage_key))


def test_the_receipt_reads_the_sections_under_the_forms_labels(client, login, applicant, proposal, session):
    assert login(client, applicant).post(f"/proposals/{proposal.id}/submit").status_code == 302
    text = _receipt_text(session, proposal)
    assert "OBJECTIVES, RESULTS AND ACTIVITIES" in text  # headings are in capitals
    assert "Overall objective\nDiaspora investment creates local jobs." in text
    assert "Indicator Baseline Target Source of verification\nAssociations trained 0 10 Attendance lists" in text
    assert "Risk Likelihood Impact Mitigation\nDelays Low Medium Plan early." in text
    assert "1. Training sessions ✓ ✓ ✓" in text
    assert "Mali 40%\nSenegal 60%" in text
    assert "Requested amount €120,000.00 85.01% of the total budget" in text
    assert "Name of the signatory\nAmina Diallo" in text


def test_a_french_receipt_has_french_labels(client, login, applicant, proposal, session):
    applicant.locale = "fr"
    session.commit()
    assert login(client, applicant).post(f"/proposals/{proposal.id}/submit").status_code == 302
    text = _receipt_text(session, proposal)
    for title in ("PERTINENCE", "PLAN DE TRAVAIL", "OBJECTIFS, RÉSULTATS ET ACTIVITÉS", "DÉCLARATIONS"):
        assert title in text
    assert "Titre\n" in text and "Durée (mois)\n18" in text
    assert "Processus de Rabat" in text
    assert "Mali 40 %\nSénégal 60 %" in text
    assert "Work plan" not in text and "Objectives, results and activities" not in text


def test_the_receipt_reads_the_snapshot_not_the_live_sections(client, login, applicant, proposal, session, monkeypatch):
    from portal.core import jobs
    from portal.documents import tasks

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # rendered later, below
    assert login(client, applicant).post(f"/proposals/{proposal.id}/submit").status_code == 302
    monkeypatch.undo()
    # What happens to the live rows later (in the database only: a test shortcut) is not what was submitted.
    row = session.scalar(
        select(ProposalSection).where(ProposalSection.proposal_id == proposal.id, ProposalSection.key == "risks")
    )
    row.data = {"risks": [{"risk": "Changed afterwards", "likelihood": "high", "impact": "high", "mitigation": ""}]}
    session.commit()
    document = session.scalar(select(Document).where(Document.kind == "submission_receipt"))
    assert tasks.render_submission_receipt.apply(args=[document.id]).get() == "ready"
    text = _receipt_text(session, proposal)
    assert "Delays Low Medium Plan early." in text and "Changed afterwards" not in text


def test_the_snapshot_reads_as_the_live_proposal_did(client, login, app, applicant, proposal, co_applicant, session):
    """Both readers give the same sections, labels and values for what was submitted."""
    assert login(client, applicant).post(f"/proposals/{proposal.id}/submit").status_code == 302
    assert _status(proposal) == "submitted"
    with app.test_request_context():
        live = read_sections(proposal)
        frozen = snapshot_sections(proposal.snapshots[-1].data)
    assert [s["key"] for s in frozen] == list(SECTION_KEYS)
    for a, b in zip(live, frozen, strict=True):
        if a["key"] == "budget":
            assert a["items"][0]["summary"]["requested_amount"] == b["items"][0]["summary"]["requested_amount"]
            assert a["items"][0]["summary"]["lines"][0]["total"] == b["items"][0]["summary"]["lines"][0]["total"]
            continue
        assert a == b


def test_snapshot_keys_the_form_does_not_know_are_still_shown(app):
    data = {
        "stage": "full_application",
        "sections": {
            "relevance": {"data": {"objectives": "Feeds the Rabat Process.", "call_objectives": "From an older form."}},
            "sustainability": {"data": {"after_the_grant": ["Municipal budgets take over."]}},
        },
    }
    with app.test_request_context():
        sections = {s["key"]: s for s in snapshot_sections(data)}
    relevance = sections["relevance"]["items"]
    assert relevance[0] == {
        "kind": "text",
        "label": "Relevance to the call's objectives",
        "paragraphs": [["Feeds the Rabat Process."]],
    }
    assert {"kind": "text", "label": "Call objectives", "paragraphs": [["From an older form."]]} in relevance
    extra = sections["sustainability"]["items"][-1]
    assert extra["label"] == "After the grant" and extra["entries"][0]["items"][0]["paragraphs"] == [
        ["Municipal budgets take over."]
    ]
    assert not sections["logframe"]["filled"] and sections["logframe"]["items"] == []


def test_labels_read_from_the_form_classes_are_the_built_forms_labels(app):
    """The identification and summary readers take their labels from the section form's class, without building the
    form: the same text, in each language, as the built form gives for every field of every section form."""
    from flask_babel import force_locale

    from portal.proposals import reading
    from portal.proposals.forms import SECTION_FORMS

    with app.test_request_context():
        for locale in ("en", "fr"):
            with force_locale(locale):
                for key, form_class in SECTION_FORMS.items():
                    form = form_class(formdata=None, meta={"csrf": False})
                    assert set(reading._unbound_fields(key)) == {f.short_name for f in form}, key
                    for field in form:
                        assert reading._label(key, field.short_name) == str(field.label.text), (key, field.name)


def test_a_section_read_through_its_form_follows_its_data_and_the_language(app):
    """Sections read through their forms are kept per process by their saved JSON and language: the same data reads
    the same (shared, equal), other data or another language reads afresh, and extra keys keep their order."""
    from flask_babel import force_locale

    from portal.proposals import reading

    def read(saved: dict) -> list[dict]:
        return reading._READERS["relevance"](reading.Content(keys=("relevance",), sections={"relevance": saved}))

    first = {"objectives": "Remittances cost too much.", "zeta": "kept", "alpha": "also kept"}
    with app.test_request_context():
        with force_locale("en"):
            english = read(first)
            assert read(dict(first)) == english
            assert [i["label"] for i in english[-2:]] == ["Zeta", "Alpha"]  # in the order saved
            changed = read({**first, "objectives": "Remittances still cost too much."})
            assert changed != english
            assert "Remittances still cost too much." in str(changed)
        with force_locale("fr"):
            french = read(first)
    assert french != english
    assert [i["label"] for i in french if "label" in i][:1] != [i["label"] for i in english if "label" in i][:1]
