"""Fields read from text say only that they could not be read (portal/core/fields.py): "abc" in a number field with a
range gets "Not a valid integer value.", not that message and the range's."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask import session
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields.core import UnboundField

import portal
from portal.core.fields import READ_FROM_TEXT, ReadFirst
from portal.evaluation.pipeline_forms import StageSettingsForm


def _form_classes() -> list[type[Form]]:
    found = []
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        module = importlib.import_module(info.name)
        found += [
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, Form) and cls.__module__ == module.__name__
        ]
    return found


def _read_from_text(cls) -> list[tuple[str, type]]:
    fields = []
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, UnboundField) and issubclass(value.field_class, READ_FROM_TEXT):
                fields.append((name, value.field_class))
    return fields


def test_every_form_reads_its_numbers_and_dates_first():
    checked = 0
    for cls in _form_classes():
        for name, field_class in _read_from_text(cls):
            assert issubclass(field_class, ReadFirst), (
                f"{cls.__module__}.{cls.__name__}.{name} is a {field_class.__name__} of WTForms: take it from "
                "portal.core.fields"
            )
            checked += 1
    assert checked >= 40  # the forms have 43 such fields today: the walk found them


@pytest.fixture
def no_csrf(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def _validated(cls, data: dict):
    form = cls(formdata=MultiDict(data))
    form.validate()
    return form


def test_text_that_is_not_a_value_gets_one_message_per_field(app, no_csrf):
    tried = 0
    with app.test_request_context():
        for cls in _form_classes():
            names = [name for name, _class in _read_from_text(cls)]
            if not names:
                continue
            try:
                form = _validated(cls, dict.fromkeys(names, "abc"))
            except TypeError:
                continue  # a form that is given its choices by its page: the test above covers its fields
            for name in names:
                assert len(form[name].errors) == 1, f"{cls.__name__}.{name}: {form[name].errors}"
            tried += 1
    assert tried >= 8


def test_a_readable_value_is_still_checked_and_the_message_is_in_the_readers_language(app, no_csrf):
    with app.test_request_context():
        form = _validated(StageSettingsForm, {"evaluators_required": "abc", "divergence_percent": "250"})
        assert form.evaluators_required.errors == ["Not a valid integer value."]
        assert form.divergence_percent.errors == ["Number must be between 0 and 100."]  # read, then checked
    with app.app_context(), app.test_request_context():
        session["locale"] = "fr"
        form = _validated(StageSettingsForm, {"evaluators_required": "abc"})
        assert form.evaluators_required.errors == ["N'est pas un entier valide."]


def test_nothing_typed_is_no_value_for_the_fields_own_rules(app, no_csrf):
    from portal.evaluation.committee_forms import ShortlistForm

    with app.test_request_context():
        for blank in ("", "   "):
            # Required: the field's own message, not "Not a valid decimal value.".
            form = _validated(StageSettingsForm, {"divergence_percent": blank})
            assert form.divergence_percent.errors == ["Enter a percentage."], blank
            # Optional: no value, no message.
            form = _validated(ShortlistForm, {"number": blank})
            assert form.number.data is None and form.number.errors == [], blank
