"""Forms of the evaluator pages (profile, declaration), automatic assignment, reminders and reopening a review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from portal.calls.forms import MultiCheckboxField


class ProfileForm(FlaskForm):
    domains = MultiCheckboxField(_l("JVAP domains you are expert in"), coerce=int, render_kw={"class": "checkbox-list"})
    themes = TextAreaField(
        _l("Other themes of expertise"),
        description=_l("For example: diaspora engagement, remittances, climate change and migration."),
        validators=[Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
    languages = MultiCheckboxField(_l("Languages you can evaluate in"), render_kw={"class": "checkbox-list"})
    countries = MultiCheckboxField(_l("Countries you know well"), render_kw={"class": "checkbox-list"})
    organisation_id = SelectField(_l("Your organisation"), coerce=int, validate_choice=False)
    past_employer_names = TextAreaField(
        _l("Past employers"),
        description=_l(
            "One organisation per line, as it is usually written. The portal never assigns you a proposal from "
            "these organisations, however the applicants write their names."
        ),
    )
    submit = SubmitField(_l("Save my profile"))


class SignDeclarationForm(FlaskForm):
    confidentiality = BooleanField(_l("I will keep confidential everything I read and write as an evaluator."))
    impartiality = BooleanField(
        _l("I will evaluate impartially and declare any conflict of interest before reading a proposal.")
    )
    submit = SubmitField(_l("Sign the declaration"))


class AutoAssignForm(FlaskForm):
    fingerprint = HiddenField()
    submit = SubmitField(_l("Confirm these assignments"))


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the review reopened?"),
        description=_l("The evaluator receives this reason by e-mail."),
        validators=[Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
    submit = SubmitField(_l("Reopen the review"))
