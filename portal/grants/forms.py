"""Forms of the grant pages. They read what was typed (dates, amounts people write their way); the rules and
their messages live in operations.py, payments.py, reporting.py and amendments.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from portal.calls.forms import MoneyField
from portal.core.fields import DateField
from portal.grants.models import GrantRole, TrancheKind
from portal.grants.payments import KIND_LABELS as TRANCHE_KIND_LABELS
from portal.grants.reporting import LABELS as REPORT_LABELS

_DATE_MESSAGE = _l("Enter a date, for example 2027-03-31.")


class StatusForm(FlaskForm):
    action = HiddenField()
    version = HiddenField()  # the grant's version_id the page showed: a change made since is never overwritten
    on = DateField(_l("Date"), validators=[Optional()], description=_l("Today if left empty."))
    reason = TextAreaField(_l("Reason"), description=_l("Required to suspend or terminate the grant."))


class TrancheForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, TRANCHE_KIND_LABELS[k]) for k in TrancheKind],
        validate_choice=False,
    )
    planned_date = DateField(_l("Planned date"), validators=[Optional()])
    planned_amount = MoneyField(_l("Planned amount (EUR)"), validators=[Optional()])
    requires_report = SelectField(_l("Paid once this report is approved"), coerce=int, validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional()])
    version = HiddenField()  # the tranche's version_id the page showed (empty for a new tranche)


class PaymentForm(FlaskForm):
    paid_date = DateField(_l("Paid on"), validators=[Optional()])
    paid_amount = MoneyField(_l("Amount paid (EUR)"), validators=[Optional()])


class MilestoneForm(FlaskForm):
    """A new reporting milestone; `kind` is "<period>:<type>" (one list of whole labels, see reporting.LABELS)."""

    kind = SelectField(
        _l("Report"),
        choices=[SelectChoice(f"{period}:{type_}", label) for (period, type_), label in REPORT_LABELS.items()],
        validate_choice=False,
    )
    title = StringField(_l("Title"), validators=[Optional()], description=_l("Optional, for example “Mid-term”."))
    due_date = DateField(_l("Due on"), validators=[Optional()])


class MilestoneChangeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional()], description=_l("Optional, for example “Mid-term”."))
    due_date = DateField(_l("Due on"), validators=[Optional()])


class ReportUploadForm(FlaskForm):
    file = FileField(_l("Report file"))
    comment = TextAreaField(_l("Note to the facility"), validators=[Optional()])


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve the report")), SelectChoice("changes", _l("Ask for changes"))],
        validate_choice=False,
    )
    comment = TextAreaField(_l("Comment"), description=_l("Required when you ask for changes; the lead is told."))


class ExtensionForm(FlaskForm):
    end_date = DateField(_l("New end date"), validators=[Optional()])
    justification = TextAreaField(_l("Justification"))
    submit = SubmitField(_l("Request the extension"))


class CategoryReallocationForm(FlaskForm):
    description = TextAreaField(
        _l("What moves between which cost categories"),
        description=_l("For example: 8,000 EUR from travel to local office, for the new desk in Agadez."),
    )
    amount = MoneyField(_l("Amount moved (EUR)"), validators=[Optional()])
    justification = TextAreaField(_l("Justification"))
    submit = SubmitField(_l("Request the reallocation"))


class PartnerChangeForm(FlaskForm):
    action = RadioField(
        _l("Change"),
        choices=[
            SelectChoice("add", _l("An organisation joins the grant")),
            SelectChoice("remove", _l("An organisation leaves the grant")),
        ],
        validate_choice=False,
    )
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)
    role = SelectField(
        _l("Role of a joining organisation"),
        choices=[
            SelectChoice(GrantRole.CO_BENEFICIARY.value, _l("Co-beneficiary")),
            SelectChoice(GrantRole.ASSOCIATED.value, _l("Associated entity")),
        ],
        validate_choice=False,
    )
    budget_share = MoneyField(
        _l("Share of a joining co-beneficiary (EUR)"),
        validators=[Optional()],
        description=_l("Taken from the lead's share. A leaving organisation's share returns to the lead."),
    )
    justification = TextAreaField(_l("Justification"))
    submit = SubmitField(_l("Request the change of partner"))


class AmendmentDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve the amendment")),
            SelectChoice("reject", _l("Reject the amendment")),
        ],
        validate_choice=False,
    )
    comment = TextAreaField(_l("Comment"), description=_l("Required to reject; the lead is told."))
