"""Forms of the internal discussion and of clarification requests. They read what was typed; the rules (lengths,
deadline in the future, who may answer) live in portal.evaluation.threads, whose messages are shown by the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField, TextAreaField

from portal.calls.forms import DATETIME_LOCAL_FORMATS
from portal.core.fields import DateTimeLocalField
from portal.evaluation.threads import ANSWER_MAX_LENGTH, MESSAGE_MAX_LENGTH, QUESTION_MAX_LENGTH


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        description=_l(
            "Plain text, at most %(max)d characters. Applicants never see this discussion.", max=MESSAGE_MAX_LENGTH
        ),
        render_kw={"rows": 6},
    )
    submit = SubmitField(_l("Post the message"))


class ClarificationForm(FlaskForm):
    question = TextAreaField(
        _l("Question to the applicant"),
        description=_l(
            "What is missing or needs clarifying. Plain text, at most %(max)d characters; the applicant reads it as "
            "written.",
            max=QUESTION_MAX_LENGTH,
        ),
        render_kw={"rows": 8},
    )
    due_at = DateTimeLocalField(
        _l("Answer due by (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        invalid_value_message=_l("Enter a date and time, for example 2025-09-15 12:00."),
    )
    submit = SubmitField(_l("Send the request"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"),
        description=_l("Plain text, at most %(max)d characters.", max=ANSWER_MAX_LENGTH),
        render_kw={"rows": 10},
    )
    attachment = FileField(_l("A file with your answer (optional)"))
    submit = SubmitField(_l("Send the answer"))
