"""Numbers, amounts, dates and instants written the reader's way, with Babel's locales and patterns parsed once per
process: the cached helpers write exactly what Babel writes, in each language, and follow force_locale()."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale

from portal.core import i18n


def test_numbers_as_babel_writes_them_in_each_language(app):
    """`format_number` keeps each text per process (an LRU cache): asked once or again, in each language and
    pattern, it writes what Babel writes, equal numbers alike, and -0 as Babel writes it, not as 0."""
    values = (Decimal("1234.5"), Decimal("1234.50"), Decimal("35"), Decimal("39.333"), 0, Decimal("-0.00"))
    values += (Decimal("-2.75"), Decimal("1E+3"), Decimal("Infinity"), Decimal("NaN"))
    with app.test_request_context():
        for _again in range(2):
            for locale in ("en", "fr"):
                with force_locale(locale):
                    for value in values:
                        for pattern in ("#,##0.##", "#,##0.00", "#,##0"):
                            expected = format_decimal(value, pattern, locale=locale)
                            assert i18n.format_number(value, pattern) == expected, (value, pattern, locale)
        with force_locale("fr"):
            assert i18n.number(Decimal("44.5")) == "44,50"
            assert i18n.money(Decimal("300000")) == "300\u202f000,00\u00a0€"
            assert i18n.date(dt.date(2026, 3, 1)) == "1 mars 2026"
        with force_locale("en"):
            assert i18n.number(Decimal("44.5")) == "44.50"
            assert i18n.money(Decimal("300000")) == "€300,000.00"
            assert i18n.date(dt.date(2026, 3, 1)) == "March 1, 2026"


def test_amounts_as_babel_writes_them_in_each_language_and_currency(app):
    """`money` keeps each text per process (an LRU cache): what it writes is Babel's, for each language and currency,
    asked once or again, and amounts equal as numbers share one text."""
    values = (Decimal("300000"), Decimal("300000.00"), Decimal("1E+5"), Decimal("1234.565"), 7, Decimal("-2.75"))
    with app.test_request_context():
        for _again in range(2):
            for locale in ("en", "fr"):
                with force_locale(locale):
                    for currency in ("EUR", "XOF", "JPY"):
                        for value in values:
                            expected = format_currency(Decimal(value), currency, locale=locale)
                            assert i18n.money(value, currency) == expected
        with force_locale("en"):
            assert i18n.money(Decimal("-0.00")) == i18n.money(0) == "€0.00"  # never "-€0.00"
            assert i18n.money(None) == "—"


def test_instants_in_the_readers_zone_and_language(app):
    moment = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    with app.test_request_context(), force_locale("fr"):
        written = i18n.instant(moment, "Africa/Dakar")
        assert written == f"{format_datetime(moment, 'medium', tzinfo=dt.UTC, locale='fr')} (Africa/Dakar)"
        assert written.startswith("1 mars 2026")
    with app.test_request_context(), force_locale("en"):
        assert i18n.instant(moment, "Europe/Paris").startswith("Mar 1, 2026, 10:30:00")


def test_instants_are_written_exactly_as_babel_writes_them(app):
    """`instant` composes the "medium" patterns parsed once; Babel's format_datetime parses them on every call."""
    import zoneinfo

    moments = [
        dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2027, 7, 4, 0, 0, 1, tzinfo=dt.UTC),
    ]
    with app.test_request_context():
        for locale in ("en", "fr", "pt", "ar"):
            for zone_name in ("UTC", "Africa/Dakar", "Europe/Paris", "Africa/Addis_Ababa", "America/Sao_Paulo"):
                zone = zoneinfo.ZoneInfo(zone_name)
                with force_locale(locale):
                    for moment in moments:
                        expected = format_datetime(moment.astimezone(zone), "medium", tzinfo=zone, locale=locale)
                        assert i18n.instant(moment, zone_name) == f"{expected} ({zone_name})"


def test_the_readers_time_zone_is_chosen_once_per_request(app, client, make_user, login):
    user = make_user(role="applicant", timezone="Africa/Dakar")
    login(client, user)
    with client:
        client.get("/")
        from flask import request

        assert i18n.select_timezone() == "Africa/Dakar"
        assert request._portal_timezone == "Africa/Dakar"
    with app.test_request_context():
        from flask import request

        assert not hasattr(request, "_portal_timezone")  # a new request chooses again


def test_messages_are_translated_in_the_language_of_the_moment(app):
    """Translations are looked up once per request and language (i18n.RequestDomain), in templates and in Python,
    and still follow force_locale() inside a request (a letter in the recipient's language) and back out of it."""
    from flask import render_template_string, session
    from flask_babel import gettext, lazy_gettext, refresh

    from portal.core.i18n import RequestDomain
    from portal.extensions import babel

    page = "{{ _('Yes') }}|{{ ngettext('%(num)d file', '%(num)d files', 2) }}"
    lazy = lazy_gettext("Yes")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert isinstance(babel.domain_instance, RequestDomain)
        assert render_template_string(page) == "Oui|2 fichiers"
        assert (gettext("Yes"), str(lazy), i18n.locale_code()) == ("Oui", "Oui", "fr")
        with force_locale("en"):
            assert render_template_string(page) == "Yes|2 files"
            assert (gettext("Yes"), str(lazy), i18n.locale_code()) == ("Yes", "Yes", "en")
        assert render_template_string(page) == "Oui|2 fichiers"
        assert (gettext("Yes"), i18n.locale_code()) == ("Oui", "fr")
        session["locale"] = "en"
        refresh()  # the language chosen again (as after switching it): the translations follow
        assert render_template_string(page) == "Yes|2 files"
        assert (gettext("Yes"), i18n.locale_code()) == ("Yes", "en")
    with app.app_context():  # outside a request: the default language
        assert render_template_string("{{ _('Yes') }}") == "Yes"
    # As Jinja's own newstyle gettext: escaped variables, and the text is a format string even without them.
    with app.test_request_context():
        assert render_template_string("{{ _('%(name)s is %(n)d%%', name='<b>', n=5) }}") == "&lt;b&gt; is 5%"
        assert render_template_string("{{ _('100%%') }}|{{ _('Yes') }}") == "100%|Yes"


def test_a_label_and_its_value_are_joined_as_each_language_writes_it(app, client):
    from flask import render_template_string

    with app.test_request_context():
        with force_locale("fr"):
            assert render_template_string("{{ 'Total' }}{{ colon() }}35") == "Total\u202f: 35"
        with force_locale("en"):
            assert render_template_string("{{ 'Total' }}{{ colon() }}35") == "Total: 35"
    # A form's list of problems, in French: « Adresse e-mail : … », not « Adresse e-mail: … ».
    page = client.post("/register", data={}, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'class="error-summary' in page
    assert "\u202f: " in page.split('class="error-summary', 1)[1].split("</ul>", 1)[0]
