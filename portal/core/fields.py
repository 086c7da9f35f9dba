"""The form fields whose value is read from text (numbers, amounts, dates), as the portal's forms use them.

WTForms runs a field's validators even when what was typed could not be read: "abc" in a number field with a range
got two messages, "Not a valid integer value." and "Number must be between 1 and 20." (the range sees no number).
The second one is wrong and confusing, the more so on a long form in a second language. These fields say only the
first: when the text cannot be read, the field's other checks do not run. Every form of the portal takes its
number and date fields from here (tests/core/test_fields.py checks each form, and that one message is given)."""

from __future__ import annotations

from wtforms import fields
from wtforms.validators import StopValidation


class ReadFirst:
    """A field whose validators run only on a value that could be read. Nothing typed (or only spaces) is no value,
    not an unreadable one: the field's own rules say what then (`Optional`, or the message of `InputRequired`)."""

    def process_formdata(self, valuelist) -> None:
        if valuelist and not str(valuelist[0]).strip():
            # As if nothing was sent: InputRequired and DataRequired ask for a value, Optional lets it be.
            self.raw_data = []  # type: ignore[attr-defined]
            self.data = None  # type: ignore[attr-defined]
            return
        super().process_formdata(valuelist)  # type: ignore[misc]

    def pre_validate(self, form) -> None:
        if self.process_errors:  # type: ignore[attr-defined] - a wtforms Field's
            raise StopValidation()  # no message of its own: the one saying what to type is already there
        super().pre_validate(form)  # type: ignore[misc]


class IntegerField(ReadFirst, fields.IntegerField):
    pass


class DecimalField(ReadFirst, fields.DecimalField):
    pass


class FloatField(ReadFirst, fields.FloatField):
    pass


class DateField(ReadFirst, fields.DateField):
    pass


class DateTimeLocalField(ReadFirst, fields.DateTimeLocalField):
    pass


READ_FROM_TEXT = (
    fields.IntegerField,
    fields.DecimalField,
    fields.FloatField,
    fields.DateField,
    fields.DateTimeField,
    fields.DateTimeLocalField,
    fields.TimeField,
    fields.MonthField,
    fields.WeekField,
    fields.DecimalRangeField,
    fields.IntegerRangeField,
)
