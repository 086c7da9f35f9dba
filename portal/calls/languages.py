"""The texts of a call (title, description, guidelines) and of its published clarifications in the portal's other
languages. They are editorial, not rules: they can be added or corrected at any time, also after submissions, and
every change is audited. Readers see their language, or the original with a notice (portal.core.i18n.written)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import gettext as _

from portal.calls.models import Call, CallQuestion
from portal.calls.operations import CallError
from portal.core import audit
from portal.extensions import db

CALL_FIELDS = ("title", "description", "guidelines")
QUESTION_FIELDS = ("published_question", "answer")
LIMITS = {"title": 300, "description": 20000, "guidelines": 50000, "published_question": 5000, "answer": 20000}


def other_languages(original: str) -> list[str]:
    return [code for code in current_app.config["LANGUAGES"] if code != original]


def read_translations(form: Mapping, fields: tuple[str, ...], languages: list[str]) -> dict[str, dict[str, str]]:
    """The `translation-<language>-<field>` values of a posted form, as {language: {field: text}}."""
    return {
        language: {name: str(form.get(f"translation-{language}-{name}") or "").strip() for name in fields}
        for language in languages
    }


def _checked(texts: dict[str, dict[str, str]], fields: tuple[str, ...], languages: list[str]) -> dict:
    errors = []
    clean: dict[str, dict[str, str]] = {}
    for language in languages:
        values = texts.get(language) or {}
        for name in fields:
            value = (values.get(name) or "").strip()
            if len(value) > LIMITS[name]:
                errors.append(
                    (f"translation-{language}-{name}", _("Use at most %(max)d characters.", max=LIMITS[name]))
                )
            if value:
                clean.setdefault(language, {})[name] = value
    if errors:
        raise CallError(errors)
    return clean


def save_call_texts(call: Call, *, language: str, texts: dict[str, dict[str, str]], by) -> Call:
    """Set the language the call is written in and its texts in the other languages (blank: not translated)."""
    if language not in current_app.config["LANGUAGES"]:
        raise CallError(_("Choose one of the portal's languages."), field="language")
    clean = _checked(texts, CALL_FIELDS, other_languages(language))
    before = {"language": call.language, "translations": call.translations or {}}
    call.language = language
    call.translations = clean
    db.session.flush()
    after = {"language": call.language, "translations": call.translations}
    if after != before:
        audit.record("call.texts_translated", call, actor=by, before=before, after=after)
        db.session.flush()
    return call


def translated_question_texts(question: CallQuestion, texts: dict[str, dict[str, str]]) -> dict:
    """The published question and answer in the call's other languages, checked (for publish_answer)."""
    return _checked(texts, QUESTION_FIELDS, other_languages(question.call.language))
