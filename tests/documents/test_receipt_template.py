"""The submission receipt's template is editable like the letters': the editor starts from the built-in source, the
preview renders a made-up proposal, a saved version renders the next real receipts, and the template gets plain data
built from the snapshot's JSON (never ORM objects)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from markupsafe import Markup
from sqlalchemy import select

from portal.core import storage
from portal.documents import receipts, templates
from portal.documents.models import Document
from tests.documents.test_letter import pdf_text
from tests.documents.test_receipt import _one_session, applicant, draft, rq  # noqa: F401 - fixtures

URL = "/manage/document-templates/submission_receipt"
CUSTOM = """<html><body>
<h1>Our own receipt</h1>
<p>{{ receipt.reference }} · {{ receipt.title }} · {{ receipt.requested_amount|money }}</p>
{% for section in receipt.sections %}<p>{{ section.title }}{% if not section.filled %} (—){% endif %}</p>{% endfor %}
{% for p in receipt.partners %}<p>{{ p.name }}</p>{% endfor %}
<p>{{ receipt.verification_code }} {{ receipt.sha256 }}</p>
</body></html>"""


@pytest.fixture
def manager(make_user):
    return make_user("manager")


def _post(client, html, action="preview", language="en"):
    return client.post(URL, data={"html": html, "css": "", "note": "ours", "language": language, "action": action})


def test_the_receipt_is_listed_and_its_editor_starts_from_the_built_in_template(client, login, manager):
    login(client, manager)
    assert "Submission receipt" in client.get("/manage/document-templates").text
    page = client.get(URL)
    assert page.status_code == 200
    assert "proposals/_read.html" in page.text  # the built-in source, in the textarea
    assert "as “receipt”" in page.text and "made-up proposal" in page.text


@pytest.mark.parametrize(("language", "expected"), [("en", "Submission receipt"), ("fr", "Accusé de réception")])
def test_the_built_in_receipt_previews_on_a_made_up_proposal(client, login, manager, language, expected):
    login(client, manager)
    response = _post(client, templates.builtin_source("submission_receipt"), language=language)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert expected in text
    assert "SAMPLE-CALL-01-007" in text and "Sample Association for Mobility" in text
    assert "Example University of Bamako" in text and "statutes.pdf" in text
    assert "SAMP-LE23-CODE" in text


def test_a_saved_receipt_template_renders_the_next_real_receipt(client, login, session, manager, applicant, draft):  # noqa: F811
    login(client, manager)
    response = _post(client, CUSTOM, action="save")
    assert response.status_code == 302

    login(client, applicant)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    session.expire_all()
    receipt = session.scalar(select(Document).where(Document.kind == "submission_receipt"))
    assert receipt.status == "ready", receipt.error
    text = pdf_text(storage.get(receipt.storage_key))
    assert "Our own receipt" in text
    assert draft.reference in text and "€120,000.00" in text and "Youth mobility corridors in the Sahel" in text
    assert "Relevance" in text and receipt.verification_code in text and draft.snapshots[-1].sha256 in text


def test_a_receipt_template_cannot_reach_past_its_plain_data(client, login, manager):
    login(client, manager)
    response = _post(client, "<p>x</p>\n{{ receipt.sections.__class__.__mro__ }}")
    assert response.status_code == 422 and "Line 2: Refused by the sandbox" in response.text


def _plain(value, path="receipt"):
    """Fail with the path of the first value that is not plain data."""
    if isinstance(value, dict):
        for key, item in value.items():
            _plain(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _plain(item, f"{path}[{index}]")
    else:
        assert value is None or isinstance(value, (str, int, float, Decimal, dt.date, Markup)), (path, type(value))


def test_the_receipt_template_gets_plain_data_only(rq, session, applicant, draft):  # noqa: F811
    from portal.proposals.submission import submit_proposal

    submit_proposal(draft, by=applicant)
    session.commit()
    receipt = session.scalar(select(Document).where(Document.kind == "submission_receipt"))
    context = receipts.receipt_context(receipt)
    _plain(context)
    assert context["reference"] == draft.reference and context["sections"]
    _plain(receipts.sample_receipt())
