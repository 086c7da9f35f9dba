"""The notification settings form: one choice per category."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice

from portal.notifications.models import Delivery
from portal.notifications.operations import CATEGORIES, DELIVERY_LABELS


def _choices():
    return [SelectChoice(d.value, DELIVERY_LABELS[d]) for d in Delivery]


class PreferencesForm(FlaskForm):
    pass


for _category, _label in CATEGORIES.items():
    setattr(
        PreferencesForm,
        _category,
        RadioField(_label, choices=_choices(), default=Delivery.INSTANT.value, validate_choice=True),
    )
