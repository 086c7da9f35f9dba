"""The OpenAPI description: a valid OpenAPI 3.1 document, describing every /api/v1 route, and whose schemas the
live responses (successes and errors) satisfy."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from portal.api.operations import create_token


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")  # public: no token
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def token(portfolio, session):
    _row, secret = create_token(portfolio.manager, "OpenAPI", 30, by=portfolio.manager)
    session.commit()
    return secret


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_every_api_route_is_described(app, spec):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], f"{path} is not described"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path].get(method.lower())
            assert operation, f"{method} {path} is not described"
            assert "405" in operation["responses"]
    assert len(spec["paths"]) == len([r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")])


def _check(spec, body, schema_name):
    """Validate `body` against components/schemas/<schema_name>, refs resolved inside the OpenAPI document."""
    schema = {**spec, "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(
        body
    )


def test_live_responses_match_their_schemas(client, spec, portfolio, token):
    headers = {"Authorization": f"Bearer {token}"}
    cases = [
        ("/api/v1/grants", 200, "GrantList"),
        ("/api/v1/grants?per_page=1&page=2&country=SN&country=GH", 200, "GrantList"),
        ("/api/v1/grants/CFP-OD-01-G01", 200, "GrantDetail"),
        ("/api/v1/grants/CFP-OD-01-G02", 200, "GrantDetail"),
        ("/api/v1/portfolio/summary", 200, "Summary"),
        ("/api/v1/portfolio/summary?dialogue=rabat&year=2026", 200, "Summary"),
        ("/api/v1/grants?country=XX", 400, "Error"),
        ("/api/v1/grants/NOPE", 404, "Error"),
    ]
    for url, status, schema_name in cases:
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        _check(spec, response.get_json(), schema_name)
        path = "/api/v1/grants/{agreement_number}" if url.startswith("/api/v1/grants/") else url.split("?")[0]
        assert str(status) in spec["paths"][path]["get"]["responses"]
    for response in (client.get("/api/v1/grants"), client.post("/api/v1/grants", headers=headers)):
        _check(spec, response.get_json(), "Error")


def test_the_schemas_catch_drift(spec, client, portfolio, token):
    """The response schemas forbid undocumented properties: a serialiser that adds one fails the test above."""
    body = client.get("/api/v1/portfolio/summary", headers={"Authorization": f"Bearer {token}"}).get_json()
    body["undocumented"] = 1
    with pytest.raises(jsonschema.ValidationError):
        _check(spec, body, "Summary")
