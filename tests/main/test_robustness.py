"""Hostile or guessed values in URLs never produce a server error, for any role."""

from __future__ import annotations

import pytest

HOSTILE = ["99999999999999999999", "2147483648", "0", "-1", "1.5", "%00", "'; DROP TABLE users; --", "<script>"]


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.arguments and rule.endpoint != "static":
            yield rule


@pytest.mark.parametrize("role", ["anonymous", "applicant", "evaluator", "manager"])
def test_hostile_ids_in_every_url_give_no_server_error(app, make_user, login, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, make_user(role))
    checked = 0
    for rule in _get_rules(app):
        for value in HOSTILE:
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", value).replace(f"<path:{argument}>", value)
                path = path.replace(f"<{argument}>", value)
            response = client.get(path)
            assert response.status_code < 500, f"{role} GET {path} -> {response.status_code}"
            checked += 1
    assert checked > 50
