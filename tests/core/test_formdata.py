"""A form route's body (portal/core/formdata.py): a web form, or a JSON object of strings that Flask-WTF reads as
form data; any other JSON is a 400 with the error page, never a server error (found by tests/fuzz)."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import text_of


@pytest.mark.parametrize(
    "body",
    ["1e999", "3.5", "null", "[1, 2]", '"text"', '{"name": 5}', '{"name": {"nested": "x"}}', '{"name": [1]}', "{"],
)
def test_a_form_route_refuses_json_that_is_not_form_data(app, make_user, login, body):
    client = login(app.test_client(), make_user("manager"))
    response = client.post("/account/api-tokens", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "The request could not be understood. Please go back and try again." in text_of(response)


def test_a_json_object_of_strings_is_read_as_the_form(app, make_user, login):
    client = login(app.test_client(), make_user("manager"))
    response = client.post("/account/api-tokens", json={"name": "", "expires_in_days": "30"})
    assert response.status_code == 400  # the form re-rendered with its message, not the error page
    assert "Give the token a name, e.g. the program that will use it." in text_of(response)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/search?q=a%00b", None),
        ("POST", "/account/api-tokens", {"name": "a\x00b", "expires_in_days": "30"}),
        ("POST", "/account/api-tokens", {"na\x00me": "x"}),
    ],
)
def test_a_nul_character_is_refused_before_it_reaches_the_database(app, make_user, login, method, url, data):
    """PostgreSQL refuses text holding a NUL ("text fields cannot contain NUL"): a 400 page, not a 500."""
    client = login(app.test_client(), make_user("manager"))
    response = client.open(url, method=method, data=data)
    assert response.status_code == 400
    assert "The request could not be understood. Please go back and try again." in text_of(response)
