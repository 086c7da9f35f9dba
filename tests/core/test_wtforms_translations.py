"""WTForms' own messages in the reader's language, from a catalogue read once per process (portal/core/i18n.py:
`PortalRequest`, `wtforms_translations`)."""

from __future__ import annotations

from babel import support
from flask import session
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired

from portal.core import i18n


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])
    count = IntegerField("Count")


def _errors(data: dict) -> dict:
    form = _Form(formdata=MultiDict(data))
    form.validate()
    return form.errors


def test_wtforms_messages_follow_the_readers_language(app):
    with app.test_request_context():
        session["locale"] = "fr"
        assert _errors({"count": "x"}) == {"name": ["Ce champ est requis."], "count": ["N'est pas un entier valide."]}
        with force_locale("en"):  # a document or e-mail in another language, within the same request
            assert _errors({})["name"] == ["This field is required."]
    with app.app_context(), app.test_request_context():  # a request of its own, as every request has
        session["locale"] = "en"
        assert _errors({})["name"] == ["This field is required."]


def test_the_catalogue_is_read_once_per_process_and_language(app, monkeypatch):
    i18n.wtforms_translations.cache_clear()
    loads = []
    real = support.Translations.load
    monkeypatch.setattr(support.Translations, "load", lambda *a, **k: loads.append(k.get("domain")) or real(*a, **k))
    for _request in range(3):
        with app.app_context(), app.test_request_context():
            session["locale"] = "fr"
            assert _errors({})["name"] == ["Ce champ est requis."]
    assert loads.count("wtforms") == 1
    i18n.wtforms_translations.cache_clear()
