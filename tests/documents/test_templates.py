"""Document templates: the sandbox every document renders in, and the managers' editor (preview on sample data,
versions, restore)."""

from __future__ import annotations

import pytest
from weasyprint.urls import FatalURLFetchingError

from portal.core import pdf, storage
from portal.core.audit import AuditEntry
from portal.documents import operations, templates
from portal.documents.models import Document
from portal.documents.template_models import DocumentTemplate
from portal.extensions import db
from tests.documents.test_letter import pdf_text

GOOD = "<html><body><p>Custom letter for {{ letter.agreement_number }} — {{ letter.amount|money }}</p></body></html>"


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def editor(client, login, manager):
    login(client, manager)
    return client


def _post(client, html, *, action="preview", css="", kind="award_letter", **extra):
    data = {"html": html, "css": css, "note": extra.pop("note", ""), "language": "en", "action": action}
    return client.post(f"/manage/document-templates/{kind}", data=data, **extra)


# -- the sandbox ---------------------------------------------------------------------------------------------------


def test_the_sandbox_refuses_python_internals(app, in_request):
    with pytest.raises(pdf.TemplateRenderError, match="Refused by the sandbox") as exc:
        pdf.render_html(source="<p>ok</p>\n{{ ''.__class__.__mro__ }}")
    assert exc.value.line == 2


def test_the_sandbox_knows_no_config_request_or_url_for(app, in_request):
    app.config["SECRET_KEY"] = "matrix-secret-that-must-not-leak"
    html = pdf.render_html(source="[{{ config }}][{{ request }}][{{ g }}][{{ session }}]", letter={})
    assert html == "[][][][]"
    for source in ("{{ config.SECRET_KEY }}", "{{ config.items() }}", "{{ url_for('main.home') }}"):
        with pytest.raises(pdf.TemplateRenderError, match="undefined"):
            pdf.render_html(source=source)


def test_the_sandbox_refuses_memory_bombs(app, in_request):
    with pytest.raises(pdf.TemplateRenderError, match="not allowed"):
        pdf.render_html(source="{{ 'x' * 10**9 }}")
    with pytest.raises(pdf.TemplateRenderError, match="not allowed"):
        pdf.render_html(source="{{ 2 ** 100000 }}")
    assert pdf.render_html(source="{{ 'ab' * 2 }}{{ 2 ** 10 }}") == "abab1024"


def test_html_in_data_is_escaped(app, in_request):
    html = pdf.render_html(source="<p>{{ letter.title }}</p>", letter={"title": "<script>alert(1)</script>"})
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_only_templates_under_pdf_can_be_included(app, in_request):
    assert "letterhead" in pdf.render_html(source='{% include "pdf/_letterhead.html" %}', facility_name="Facility")
    for name in ("base.html", "emails/base.html", "pdf/../base.html"):
        with pytest.raises(pdf.TemplateRenderError, match="templates/pdf"):
            pdf.render_html(source=f'{{% include "{name}" %}}')


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.com/x.css", "portal-static:/../config.py"],
)
def test_the_fetcher_never_reads_outside_the_static_files(app, url, monkeypatch):
    from pathlib import Path

    def no_read(self, *args, **kwargs):
        raise AssertionError(f"read {self}")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(FatalURLFetchingError):
        pdf.StaticOnlyFetcher(Path(app.static_folder)).fetch(url)


# -- the editor ----------------------------------------------------------------------------------------------------


def test_the_editor_shows_the_built_in_template_first(editor):
    page = editor.get("/manage/document-templates/award_letter").get_data(as_text=True)
    assert "In use: the built-in template." in page
    assert "pdf/_letterhead.html" in page  # the built-in source, escaped in the textarea
    assert editor.get("/manage/document-templates/committee_ranking").status_code == 404  # not editable
    assert editor.get("/manage/document-templates/nonsense").status_code == 404


def test_preview_renders_sample_data_inline(editor, awarded):
    response = _post(editor, GOOD)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    text = pdf_text(response.data)
    assert "Custom letter for SAMPLE-2026-001 — €150,000.00" in text
    assert awarded.agreement_number not in text  # a made-up grant, never a real one
    assert db.session.scalar(db.select(db.func.count(DocumentTemplate.id))) == 0  # a preview saves nothing


def test_preview_of_the_built_in_letter_in_french(editor):
    html = templates.builtin_source("award_letter")
    response = editor.post(
        "/manage/document-templates/award_letter",
        data={"html": html, "css": "", "note": "", "language": "fr", "action": "preview"},
    )
    assert response.status_code == 200
    assert "Montant attribué" in pdf_text(response.data)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<p>\n{{ ''.__class__.__mro__ }}</p>", "Line 2: Refused by the sandbox"),
        ("<p>\n\n{% if %}</p>", "Line 3: Syntax error"),
        ('<p>{% include "base.html" %}</p>', "Only templates under templates/pdf can be included"),
        ("<p>{{ config.SECRET_KEY }}</p>", "Line 1: The template cannot be rendered: 'config' is undefined"),
    ],
)
def test_a_broken_template_is_explained_and_what_was_typed_is_kept(editor, source, message):
    response = _post(editor, source, css="p { color: #123456; }")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in page
    assert "p { color: #123456; }" in page
    assert source.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;") in page


@pytest.mark.parametrize(
    "tag",
    [
        '<img src="file:///etc/passwd">',
        '<img src="http://127.0.0.1:9/x.png">',
        '<link rel="stylesheet" href="https://example.com/a.css">',
    ],
)
def test_a_template_reaching_outside_fails_safely(editor, tag):
    response = _post(editor, f"<html><body>{tag}<p>{{{{ letter.title }}}}</p></body></html>")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not one of the portal&#39;s static files" in page
    assert "root:" not in page


def test_css_is_applied_and_css_cannot_fetch_either(editor):
    assert _post(editor, GOOD, css="p { color: #0b4f8a; }").status_code == 200
    response = _post(editor, GOOD, css="p { background: url(file:///etc/passwd); }")
    assert response.status_code == 422
    assert "not one of the portal&#39;s static files" in response.get_data(as_text=True)


def test_save_makes_a_new_active_version_that_letters_use(editor, session, awarded, consortium, manager):
    response = _post(editor, GOOD, action="save", note="Shorter letter")
    assert response.status_code == 302
    active = templates.active_template("award_letter")
    assert active.version == 1 and active.note == "Shorter letter" and active.created_by_id == manager.id
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "ready", document.error
    assert f"Custom letter for {awarded.agreement_number}" in pdf_text(storage.get(document.storage_key))

    _post(editor, GOOD.replace("Custom letter", "Second letter"), action="save")
    assert [v.version for v in templates.versions("award_letter")] == [2, 1]
    assert templates.active_template("award_letter").version == 2
    actions = session.scalars(db.select(AuditEntry.action).where(AuditEntry.action.like("document_template.%")))
    assert list(actions) == ["document_template.saved", "document_template.saved"]


def test_a_broken_template_is_never_saved(editor):
    response = _post(editor, "<p>{{ ''.__class__ }}</p>", action="save")
    assert response.status_code == 422
    assert templates.active_template("award_letter") is None


def test_restore_an_old_version_then_the_default(editor, session):
    _post(editor, GOOD, action="save")
    _post(editor, GOOD.replace("Custom", "Other"), action="save")
    response = editor.post("/manage/document-templates/award_letter/versions/1/restore")
    assert response.status_code == 302
    active = templates.active_template("award_letter")
    assert active.version == 3 and active.html == GOOD
    page = editor.get("/manage/document-templates/award_letter?version=2").get_data(as_text=True)
    assert "Other letter" in page  # an old version opens in the editor

    editor.post("/manage/document-templates/award_letter/default")
    assert templates.active_template("award_letter") is None
    assert len(templates.versions("award_letter")) == 3  # the history stays
    page = editor.get("/manage/document-templates/award_letter").get_data(as_text=True)
    assert "In use: the built-in template." in page
    actions = set(session.scalars(db.select(AuditEntry.action).where(AuditEntry.action.like("document_template.%"))))
    assert {"document_template.restored", "document_template.default_restored"} <= actions


def test_non_managers_cannot_reach_the_editor(client, login, make_user):
    for role, code in (("applicant", 403), ("evaluator", 403)):
        login(client, make_user(role))
        assert client.get("/manage/document-templates/award_letter").status_code == code
        assert _post(client, GOOD).status_code == code


def test_the_sandbox_refuses_huge_widths(app, in_request):
    for source in (
        "{{ '%1000000000s' % 'x' }}",
        "{{ '%*s' % (1000000000, 'x') }}",
        "{{ '{:1000000000}'.format('x') }}",
        "{{ 'x'|center(1000000000) }}",
    ):
        with pytest.raises(pdf.TemplateRenderError):
            pdf.render_html(source=source)
    assert pdf.render_html(source="{{ '%05.1f' % 3.14159 }}|{{ '{:>6}'.format('ab') }}") == "003.1|    ab"
