"""A lazy translation that carries what someone typed is escaped when a template prints it (portal/core/lazy_text.py);
found by tests/fuzz: a script sent as a moderation score came back in the error message unescaped."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


def test_a_lazy_message_with_a_typed_value_is_escaped_in_a_template(app):
    with app.test_request_context():
        message = _l("Criterion %(code)s: “%(value)s” is not a score.", code="1.1", value="<script>x()</script>")
        html = render_template_string("<p>{{ message }}</p>", message=message)
        assert html == "<p>Criterion 1.1: “&lt;script&gt;x()&lt;/script&gt;” is not a score.</p>"
        assert escape(message) == Markup("Criterion 1.1: “&lt;script&gt;x()&lt;/script&gt;” is not a score.")
        assert str(message) == "Criterion 1.1: “<script>x()</script>” is not a score."  # plain text stays plain
