"""A French letter is French throughout: the text pdftotext extracts from a French award letter holds no English
phrase of the English letter, beyond the proper names (organisations, people, the action's title, the call's)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from portal.core import storage
from portal.documents import operations
from portal.documents.models import Document

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (make deps)")


def pdftotext(data: bytes) -> str:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    return re.sub(r"[\u00a0\u202f]", " ", text.decode("utf-8"))


def _phrases(text: str, proper: list[str], size: int = 3) -> set[tuple[str, ...]]:
    """Every run of `size` words within one line or table cell (pdftotext -layout separates cells with two spaces or
    more), after the proper names are cut out and anything with a digit in it (references, amounts, dates)."""
    phrases = set()
    for name in sorted(proper, key=len, reverse=True):
        text = text.replace(name, "\n")
    for segment in re.split(r"\n| {2,}", text):
        run: list[str] = []
        for token in [*segment.split(), "0"]:
            if re.search(r"\d", token):
                phrases |= {tuple(run[i : i + size]) for i in range(len(run) - size + 1)}
                run = []
            else:
                run.extend(re.findall(r"[a-zà-ÿ’']+", token.lower()))
    return phrases


def _letter(session, grant, manager, language: str) -> str:
    document = operations.request_award_letter(grant, by=manager, language=language)
    session.commit()
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "ready", document.error
    return pdftotext(storage.get(document.storage_key))


def test_the_french_award_letter_has_no_english_left(app, session, awarded, consortium):
    awarded.special_conditions = ""
    english = _letter(session, awarded, consortium.manager, "en")
    french = _letter(session, awarded, consortium.manager, "fr")

    # What stays as written whatever the language: names of organisations and people, titles typed by applicants
    # and managers, references.
    proper = [
        consortium.lead.name,
        consortium.co_org.name,
        consortium.assoc_org.name,
        consortium.lead_user.display_name,
        awarded.title,
        awarded.call.title,
        awarded.call.reference,
        awarded.agreement_number,
        app.config["PUBLIC_BASE_URL"],
    ]
    # (a name broken over two lines of a table cell leaves a piece of itself: those pieces are names too)
    pieces = _phrases("\n".join(proper), [])
    left = _phrases(english, proper) & _phrases(french, proper) - pieces
    assert not left, sorted(" ".join(p) for p in left)

    # The facility names and signs itself in French (config FACILITY_NAME_FR, FACILITY_SIGNATORY_FR) ...
    assert app.config["FACILITY_NAME_FR"] in french and app.config["FACILITY_SIGNATORY_FR"] in french
    assert app.config["FACILITY_NAME"] not in french and app.config["FACILITY_SIGNATORY"] not in french
    # ... and in English in the English letter.
    assert app.config["FACILITY_NAME"] in english and app.config["FACILITY_SIGNATORY"] in english
    assert "Subvention" in french


def test_the_letter_language_follows_the_addressee(app, session, awarded, consortium):
    consortium.lead_user.locale = "fr"
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.language == "fr"
    text = pdftotext(storage.get(document.storage_key))
    assert app.config["FACILITY_SIGNATORY_FR"] in text
    assert "Objet" in text


def test_a_language_without_its_own_facility_name_falls_back_to_english(app):
    from flask_babel import force_locale

    from portal.core import facility

    with app.test_request_context(), force_locale("fr"):
        assert facility.name() == app.config["FACILITY_NAME_FR"]
    assert facility.name("en") == app.config["FACILITY_NAME"]
    with app.test_request_context():
        assert facility.signatory("pt") == app.config["FACILITY_SIGNATORY"]


def test_the_french_rejection_letter_has_no_english_left(app, session, consortium):
    from portal.documents import letters
    from portal.evaluation.models import Decision

    decision = Decision(
        proposal=consortium.proposal,
        outcome="reject",
        reason="The work plan does not show how the activities reach the planned participants.",
        decided_by_id=consortium.manager.id,
    )
    session.add(decision)
    session.flush()
    texts = {}
    for language in ("en", "fr"):
        consortium.lead_user.locale = language  # the letter speaks the addressee's language
        document = letters.request_decision_letter(decision, by=consortium.manager)
        session.commit()
        session.expire_all()
        document = session.get(Document, document.id)
        assert document.language == language and document.status == "ready", document.error
        texts[language] = pdftotext(storage.get(document.storage_key))
    proper = [
        consortium.lead.name,
        consortium.lead_user.display_name,
        consortium.proposal.title,
        consortium.proposal.call.title,
        decision.reason,  # the committee's own words, as written
        app.config["PUBLIC_BASE_URL"],
    ]
    pieces = _phrases("\n".join(proper), [])
    left = _phrases(texts["en"], proper) & _phrases(texts["fr"], proper) - pieces
    assert not left, sorted(" ".join(p) for p in left)
    assert app.config["FACILITY_SIGNATORY_FR"] in texts["fr"]
