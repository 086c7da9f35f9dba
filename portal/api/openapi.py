"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Written by hand, next to the serialisers it describes (portal/api/serialisers.py): the API is small and a
generator library would add a framework for four routes. Tests keep the two honest: the document is validated
(openapi-spec-validator), every /api/v1 route must be described, and live responses are validated against these
schemas, whose objects forbid undocumented properties."""

from __future__ import annotations

from portal.grants.models import GRANT_STATUS_VALUES, REPORT_STATUS_VALUES, TRANCHE_KIND_VALUES
from portal.organisations.models import ORGANISATION_TYPE_VALUES
from portal.portfolio.filters import DIALOGUE_CODE, MAX_CALL_REFERENCE, MAX_YEAR, MIN_YEAR

DECIMAL = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["150000.00"]}
DATE = {"type": "string", "format": "date"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, description: str = "") -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _array_parameter(name: str, description: str, items: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description + " Repeat the argument, or separate values with commas, to give several.",
        "schema": {"type": "array", "items": items},
        "style": "form",
        "explode": True,
    }


FILTER_PARAMETERS = [
    _array_parameter(
        "call",
        "Reference of the call under which the grant was awarded.",
        {"type": "string", "maxLength": MAX_CALL_REFERENCE},
    ),
    _array_parameter(
        "dialogue",
        "Code of a dialogue the grant feeds (e.g. rabat).",
        {"type": "string", "pattern": "^" + DIALOGUE_CODE.pattern + "$"},
    ),
    _array_parameter("domain", "Number of a JVAP domain.", {"type": "integer", "minimum": 1, "maximum": 5}),
    _array_parameter(
        "country",
        "Country of implementation (ISO 3166-1 alpha-2).",
        {"type": "string", "pattern": "^[A-Za-z]{2}$"},
    ),
    _array_parameter("organisation", "Id of an implementing organisation or associated entity.", {"type": "integer"}),
    _array_parameter("status", "Status of the grant.", {"type": "string", "enum": list(GRANT_STATUS_VALUES)}),
    _array_parameter("year", "Year of the award.", {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}),
]


def _error_response(description: str, with_challenge: bool = False) -> dict:
    response: dict = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if with_challenge:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'The authentication challenge (RFC 6750), e.g. Bearer realm="portal-api", '
                'error="invalid_token".',
                "schema": {"type": "string"},
            }
        }
    return response


ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorised"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


ORGANISATION = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string", "description": "Legal name."},
        "acronym": _nullable({"type": "string"}),
        "type": {"type": "string", "enum": list(ORGANISATION_TYPE_VALUES)},
        "country": {"type": "string", "description": "ISO 3166-1 alpha-2 code of the country of registration."},
    }
)

GRANT_PROPERTIES = {
    "agreement_number": {"type": "string"},
    "title": {"type": "string"},
    "status": {"type": "string", "enum": list(GRANT_STATUS_VALUES)},
    "call": _object({"reference": {"type": "string"}, "title": {"type": "string"}}),
    "amount_awarded_eur": DECIMAL,
    "cofinancing_eur": DECIMAL,
    "amount_paid_eur": {**DECIMAL, "description": "Sum of the tranches paid so far."},
    "awarded_on": _nullable(DATE),
    "start_date": DATE,
    "end_date": DATE,
    "actual_start_date": _nullable(DATE),
    "actual_end_date": _nullable(DATE),
    "terms_version": {"type": "integer", "minimum": 1, "description": "Goes up with every approved amendment."},
    "lead_organisation": {"$ref": "#/components/schemas/Organisation"},
    "organisations": {
        "type": "array",
        "description": "The lead and co-beneficiaries (implementing organisations) and associated entities.",
        "items": {"$ref": "#/components/schemas/Participant"},
    },
    "countries": {
        "type": "array",
        "items": _object(
            {"code": {"type": "string"}, "share_pct": _nullable({"type": "string", "pattern": r"^\d+(\.\d+)?$"})}
        ),
    },
    "dialogues": {"type": "array", "items": {"type": "string"}},
    "jvap_domains": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 5}},
    "url": {"type": "string", "format": "uri"},
}

SCHEMAS = {
    "Error": _object(
        {
            "error": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "For programs: e.g. missing_token, invalid_token, revoked_token, "
                        "expired_token, forbidden, invalid_arguments, not_found, method_not_allowed.",
                    },
                    "message": {"type": "string", "description": "For people."},
                    "details": {
                        "type": "array",
                        "description": "One entry per query argument that cannot be used.",
                        "items": _object({"argument": {"type": "string"}, "message": {"type": "string"}}),
                    },
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            }
        }
    ),
    "Organisation": ORGANISATION,
    "Participant": {
        **ORGANISATION,
        "properties": {
            **ORGANISATION["properties"],
            "role": {"type": "string", "enum": ["lead", "co_beneficiary", "associated"]},
            "budget_share_eur": _nullable(DECIMAL),
        },
        "required": [*ORGANISATION["required"], "role", "budget_share_eur"],
    },
    "Grant": _object(GRANT_PROPERTIES),
    "GrantDetail": _object(
        {
            **GRANT_PROPERTIES,
            "tranches": {
                "type": "array",
                "items": _object(
                    {
                        "number": {"type": "integer"},
                        "kind": {"type": "string", "enum": list(TRANCHE_KIND_VALUES)},
                        "planned_date": DATE,
                        "planned_amount_eur": DECIMAL,
                        "paid_date": _nullable(DATE),
                        "paid_amount_eur": _nullable(DECIMAL),
                    }
                ),
            },
            "reports": {
                "type": "array",
                "items": _object(
                    {
                        "period": {"type": "string", "enum": ["interim", "final"]},
                        "type": {"type": "string", "enum": ["narrative", "financial"]},
                        "title": {"type": "string"},
                        "due_date": DATE,
                        "status": {"type": "string", "enum": list(REPORT_STATUS_VALUES)},
                        "overdue": {"type": "boolean"},
                    }
                ),
            },
        }
    ),
    "GrantList": _object(
        {
            "grants": {"type": "array", "items": {"$ref": "#/components/schemas/Grant"}},
            "total": {"type": "integer", "minimum": 0, "description": "Grants matching the filters, on all pages."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "links": _object(
                {
                    "self": {"type": "string", "format": "uri"},
                    "first": {"type": "string", "format": "uri"},
                    "last": {"type": "string", "format": "uri"},
                    "next": _nullable({"type": "string", "format": "uri"}),
                    "prev": _nullable({"type": "string", "format": "uri"}),
                }
            ),
        }
    ),
    "Summary": _object(
        {
            "grants": {"type": "integer", "minimum": 0},
            "countries": {"type": "integer", "minimum": 0, "description": "Distinct countries of implementation."},
            "implementing_organisations": {
                "type": "integer",
                "minimum": 0,
                "description": "Distinct organisations that lead or co-implement a grant.",
            },
            "associated_entities": {"type": "integer", "minimum": 0},
            "partnerships_south_north": {
                "type": "integer",
                "minimum": 0,
                "description": "Grants whose implementing organisations include one based in Africa (African Union) "
                "and one based in Europe (EU, EFTA or the United Kingdom).",
            },
            "partnerships_south_south": {
                "type": "integer",
                "minimum": 0,
                "description": "Grants whose implementing organisations are based in at least two African countries.",
            },
            "amount_awarded_eur": DECIMAL,
            "cofinancing_eur": DECIMAL,
            "amount_paid_eur": DECIMAL,
            "grants_by_status": {
                "type": "object",
                "propertyNames": {"enum": list(GRANT_STATUS_VALUES)},
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
            "filters": {
                "type": "object",
                "description": "The filters applied, as query arguments.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "The portfolio's headline figures over the grants the filters admit.",
    ),
}


def document(server_url: str) -> dict:
    """The OpenAPI document; `server_url` is the portal's own address."""
    pagination = [
        {
            "name": "page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
        },
        {
            "name": "per_page",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
        },
    ]
    bad_arguments = _error_response("Some query arguments cannot be used; `details` names each one.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Grant facility portal API",
            "version": "1.0.0",
            "description": "Read-only access to the facility's grant portfolio for programme managers. Create a "
            "personal token under “API tokens” in the portal and send it as `Authorization: Bearer <token>`. "
            "Amounts are in euros, as decimal strings. Errors are JSON: "
            '`{"error": {"code": ..., "message": ...}}`. The open-data files (/open-data/iati.xml, '
            "/open-data/360giving.json) need no token.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerToken": []}],
        "paths": {
            "/api/v1/grants": {
                "get": {
                    "operationId": "listGrants",
                    "summary": "Grants, filtered as on the portfolio dashboard, a page at a time",
                    "parameters": [*FILTER_PARAMETERS, *pagination],
                    "responses": {
                        "200": _json("#/components/schemas/GrantList", "A page of grants."),
                        "400": bad_arguments,
                        **ERRORS,
                    },
                }
            },
            "/api/v1/grants/{agreement_number}": {
                "get": {
                    "operationId": "getGrant",
                    "summary": "One grant, with its payment schedule and reporting milestones",
                    "parameters": [
                        {"name": "agreement_number", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/GrantDetail", "The grant."),
                        "400": bad_arguments,
                        "404": _error_response("No grant has this agreement number."),
                        **ERRORS,
                    },
                }
            },
            "/api/v1/portfolio/summary": {
                "get": {
                    "operationId": "portfolioSummary",
                    "summary": "The portfolio's headline figures, with the same filters as the grants",
                    "parameters": FILTER_PARAMETERS,
                    "responses": {
                        "200": _json("#/components/schemas/Summary", "The figures."),
                        "400": bad_arguments,
                        **ERRORS,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "security": [],
                    "responses": {
                        "200": {"description": "The OpenAPI document.", "content": {"application/json": {}}},
                        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token of a programme manager or administrator.",
                }
            },
            "responses": {
                "Unauthorised": _error_response(
                    "No token, or a token that is unknown, revoked or expired, or whose account is deactivated.",
                    with_challenge=True,
                ),
                "Forbidden": _error_response("The token's owner is no longer a programme manager or administrator."),
                "MethodNotAllowed": _error_response("The API only reads: use GET."),
            },
            "schemas": SCHEMAS,
        },
    }
