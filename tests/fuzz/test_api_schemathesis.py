"""schemathesis against the JSON API's own OpenAPI document, as served at /api/v1/openapi.json, through the WSGI app
with a manager's bearer token: for every described operation, generated arguments that the spec allows and
arguments that it forbids never give a 500, and every answer keeps the spec's promises (a documented status
code, content type, headers and response schema; arguments outside the spec refused with a 4xx)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.api.openapi import document
from portal.api.operations import create_token
from tests.opendata.world import portfolio  # noqa: F401 - the shared fixture

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Every operation the document describes, read from the same function that serves it (no app needed to collect).
# The document itself (public, no arguments) is checked by tests/api/test_openapi.py. Arguments that break the spec
# are generated for the operations that take query arguments: a path's one string (any agreement number) has no
# value outside the spec.
PATHS = document("http://localhost")["paths"]
OPERATIONS = sorted(
    (method.upper(), path, mode)
    for path, item in PATHS.items()
    if path != "/api/v1/openapi.json"
    for method, operation in item.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or any(p["in"] == "query" for p in operation.get("parameters", []))
)
# The WSGI test client does not undo Flask-Compress's encoding as an HTTP client would: ask for none.
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def bearer(portfolio, session):  # noqa: F811 - the fixture imported above
    _row, secret = create_token(portfolio.manager, "schemathesis", 30, by=portfolio.manager)
    session.commit()
    return {"Authorization": f"Bearer {secret}", **IDENTITY}


def test_there_are_operations_to_fuzz():
    described = {(method, path) for method, path, _mode in OPERATIONS}
    assert described == {
        ("GET", "/api/v1/grants"),
        ("GET", "/api/v1/grants/{agreement_number}"),
        ("GET", "/api/v1/portfolio/summary"),
    }
    assert ("GET", "/api/v1/grants", GenerationMode.NEGATIVE) in OPERATIONS


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS, ids=lambda v: getattr(v, "value", v))
def test_the_api_keeps_its_spec(app, bearer, method, path, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_path(method, path)
    assert operation is not None, f"{method} {path} is not in the served document"

    @given(case=operation.as_strategy(generation_mode=mode, headers=bearer))
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers=bearer, checks=CHECKS)

    run()
