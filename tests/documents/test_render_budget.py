"""A template that loops for a long time neither hangs a request nor a worker: the render has a time budget
(portal/core/pdf.py, within_budget), the editor says what happened and where, the task fails at once (no retries
that would only time out again), and the process renders the next document normally."""

from __future__ import annotations

import pytest

from portal.core import pdf
from portal.documents import operations
from portal.documents.models import Document
from portal.documents.template_models import DocumentTemplate
from portal.extensions import db
from tests.documents.test_letter import pdf_text

NESTED = """<html><body><p>{{ letter.agreement_number }}</p>
{% for i in range(100000) %}
{% for j in range(100000) %}{% endfor %}
{% endfor %}
</body></html>"""
OVER_A_LIST = """<p>x</p>
{% set items = [0] * 100000 %}
{% for a in items %}{% for b in items %}{{ "" }}{% endfor %}{% endfor %}"""
LOREM = "<p>x</p>\n{{ lipsum(10**9) }}"


@pytest.fixture
def editor(client, login, make_user):
    login(client, make_user("manager"))
    return client


@pytest.fixture
def short_budget(app, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_PREVIEW_SECONDS", 1)
    monkeypatch.setitem(app.config, "DOCUMENT_RENDER_SECONDS", 1)


def _post(client, html, action="preview"):
    data = {"html": html, "css": "", "note": "", "language": "en", "action": action}
    return client.post("/manage/document-templates/award_letter", data=data)


def test_one_huge_range_is_refused_by_the_sandbox_at_once(editor):
    response = _post(editor, "<p>x</p>\n{% for i in range(10**9) %}{% endfor %}")
    assert response.status_code == 422
    assert "Line 2: The template cannot be rendered: OverflowError: Range too big." in response.text
    assert "{% for i in range(10**9) %}" in response.text  # what was typed is kept in the editor


@pytest.mark.parametrize(("source", "line"), [(NESTED, 3), (OVER_A_LIST, 3), (LOREM, 2)])
def test_a_preview_that_loops_too_long_is_stopped_with_a_message_and_its_line(editor, short_budget, source, line):
    response = _post(editor, source)
    assert response.status_code == 422
    assert f"Line {line}: The document took longer than 1 second to render and was stopped." in response.text
    assert "a loop inside another loop" in response.text
    # The same request thread renders the next preview normally: nothing of the stopped render is left behind.
    again = _post(editor, "<p>{{ letter.agreement_number }}</p>")
    assert again.status_code == 200 and again.mimetype == "application/pdf"
    assert "SAMPLE-2026-001" in pdf_text(again.data)


def test_such_a_template_cannot_be_saved(editor, short_budget, session):
    response = _post(editor, NESTED, action="save")
    assert response.status_code == 422 and "took longer than 1 second" in response.text
    assert session.scalar(db.select(db.func.count(DocumentTemplate.id))) == 0


# WeasyPrint's layout frees many objects: a stop may land in a garbage-collection callback, where Python swallows it
# and prints "Exception ignored in ..." (pytest's PytestUnraisableExceptionWarning). That is the case the watcher is
# built for: it sends the stop again until the render has ended, which this test proves.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_layout_step_is_bounded_too(app, in_request):
    html = "<html><body>" + "<p>A paragraph of a very long document.</p>" * 60000 + "</body></html>"
    with pytest.raises(pdf.RenderBudgetError, match="took longer than 1 second"):
        pdf.html_to_pdf(html, budget=0.2)


def test_the_html_handed_to_weasyprint_is_capped(app, in_request):
    with pytest.raises(pdf.TemplateRenderError, match="The document is too long"):
        pdf.render_html(source="{% for i in range(40000) %}{{ 'x' * 99 }}{% endfor %}")


def test_widths_that_build_huge_strings_are_refused(app, in_request):
    for source in ("{{ 'x'.ljust(10**9) }}", "{{ 'x'.zfill(10**8) }}", "{{ 'x'.center(width=10**7) }}"):
        with pytest.raises(pdf.TemplateRenderError, match="Refused by the sandbox: widths above 999"):
            pdf.render_html(source=source)
    assert pdf.render_html(source="{{ 'x'.rjust(5, '.') }}") == "....x"


def test_a_worker_stops_such_a_letter_fails_it_at_once_and_renders_the_next(session, awarded, consortium, app):
    app.config["DOCUMENT_RENDER_SECONDS"], before = 1, app.config["DOCUMENT_RENDER_SECONDS"]
    try:
        session.add(DocumentTemplate(kind="award_letter", version=1, html=NESTED, css="", active=True))
        session.commit()
        document = operations.request_award_letter(awarded, by=consortium.manager)
        session.commit()  # the task runs (eagerly here) and must come back
        session.expire_all()
        document = session.get(Document, document.id)
        assert document.status == "failed"
        assert document.attempts == 1  # no retries: it would only run out of time again
        assert document.error.startswith("Line 3: The document took longer than 1 second to render")

        session.execute(db.update(DocumentTemplate).values(active=False))  # back to the built-in letter
        # ... with the usual time limit: a real letter can take more than a second on a busy machine.
        app.config["DOCUMENT_RENDER_SECONDS"] = before
        retried = operations.retry_document(document, by=consortium.manager)
        session.commit()
        session.expire_all()
        assert session.get(Document, retried.id).status == "ready"
    finally:
        app.config["DOCUMENT_RENDER_SECONDS"] = before
