"""CSRF protection on every state-changing request (ASVS 4.2.2, 13.2.3): walked over the URL map, each POST, PUT,
PATCH or DELETE route is refused without a token, as a plain form, as JSON and as an htmx or fetch request, for a
visitor and for a signed-in administrator. Only the bearer-token JSON API (no session cookie) is exempt. The tests
turn the check on: TestingConfig leaves it off so that other tests can post forms directly."""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.accounts.helpers import text_of

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
MESSAGE = "The form was open for too long or your session ended. Go back, reload the page and send it again."


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _sample(converter):
    """A value the converter accepts: a number, one of an AnyConverter's words, or a token."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "token"


def _state_changing_routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            continue  # bearer tokens, never the session cookie: nothing for a forged request to ride on
        values = {name: _sample(converter) for name, converter in rule._converters.items()}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        found.extend((method, url) for method in sorted(rule.methods & STATE_CHANGING))
    return found


def test_there_are_state_changing_routes_to_check(app):
    routes = _state_changing_routes(app)
    assert len(routes) > 50
    assert ("POST", "/login") in routes and ("POST", "/logout") in routes


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_state_changing_route_refuses_a_request_without_a_token(app, make_user, login, csrf_on, who):
    client = app.test_client()
    if who == "admin":
        login(client, make_user("admin"))
    refused = {}
    for method, url in _state_changing_routes(app):
        response = client.open(url, method=method, data={"anything": "1"})
        refused[(method, url)] = response.status_code
    assert all(code == 400 for code in refused.values()), {k: v for k, v in refused.items() if v != 400}


def test_json_and_htmx_requests_need_the_token_too(app, make_user, login, csrf_on):
    client = login(app.test_client(), make_user())
    response = client.post("/account", json={"profile-full_name": "Changed"})
    assert response.status_code == 400
    response = client.post(
        "/account", data={"profile-full_name": "Changed"}, headers={"HX-Request": "true", "X-CSRFToken": "forged"}
    )
    assert response.status_code == 400


def test_the_refusal_says_what_to_do(client, csrf_on):
    response = client.post("/login", data={"email": "a@ngo.example", "password": "x"})
    assert response.status_code == 400
    assert MESSAGE in text_of(response)


def test_a_request_with_the_token_goes_through(app, client, make_user, csrf_on):
    import re

    from tests.factories import PASSWORD

    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # a fetch/htmx request sends it in the X-CSRFToken header (proposal-autosave.js does)
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_the_bearer_token_api_is_the_only_exemption(app):
    from portal.extensions import csrf

    assert {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints} == {"api"}
    assert not csrf._exempt_views
