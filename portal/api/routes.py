"""The read-only JSON API, v1: grants (filtered as on the portfolio dashboard, paginated), one grant, and the
portfolio's headline figures; its OpenAPI description is public. Every error is JSON (portal/api/errors.py)."""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _

from portal.api import openapi, queries, serialisers
from portal.api.auth import token_required
from portal.api.errors import ApiError, error_response
from portal.core import datacache
from portal.core.access import public
from portal.core.db import utcnow
from portal.core.ids import whole_number
from portal.portfolio.filters import ARGS as FILTER_ARGS
from portal.portfolio.filters import parse_filters

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 25, 100, 100_000


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error)


@bp.after_request
def no_store(response):
    # Answers depend on who asks: shared caches must not keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _printable(name: str) -> str:
    return name.replace("\x00", "")[:40]


@bp.before_request
def no_nul_in_arguments():
    """PostgreSQL cannot compare text holding a NUL: name the argument instead of failing (found by schemathesis)."""
    errors = [
        (
            name,
            _("“%(name)s” holds a NUL character, which no argument may contain.", name=name.replace("\x00", "")[:40]),
        )
        for name, value in request.args.items(multi=True)
        if "\x00" in name or "\x00" in value
    ]
    if errors:
        raise _bad_arguments(list(dict.fromkeys(errors)))


def _bad_arguments(errors: list[tuple[str, str]]) -> ApiError:
    return ApiError(
        400,
        "invalid_arguments",
        _("Some query arguments cannot be used: see details."),
        details=[{"argument": argument, "message": message} for argument, message in errors],
    )


def _filters(*others: str):
    """The portfolio filters in the query, and an error for each value that cannot be used and for each argument
    this address does not know (a misspelt `contry=SN` would otherwise silently return every grant)."""
    filters, errors = parse_filters(request.args)
    return filters, errors + _empty_values(FILTER_ARGS) + _unknown_arguments(*FILTER_ARGS, *others)


def _empty_values(names) -> list[tuple[str, str]]:
    """The dashboard's form sends an empty filter for "all" and the shared parser ignores it; the API's spec gives
    each value a shape, and a client that sends `dialogue=` (or `a,,b`) most likely built its query wrongly: it is
    told, rather than given every grant."""
    return [
        (name, _("“%(name)s” is given without a value.", name=name))
        for name in names
        if any(not part.strip() for raw in request.args.getlist(name) for part in raw.split(","))
    ]


def _unknown_arguments(*known: str) -> list[tuple[str, str]]:
    return [
        (name, _("“%(name)s” is not an argument of this address.", name=name[:40]))
        for name in dict.fromkeys(request.args)
        if name not in known
    ]


def _int_argument(name: str, default: int, maximum: int, errors: list) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    value = whole_number(raw, maximum)
    if value:
        return value
    errors.append((name, _("“%(value)s” is not a number from 1 to %(max)s.", value=raw[:40], max=maximum)))
    return default


@bp.route("/v1/grants", methods=["GET"])
@token_required
def grants():
    filters, errors = _filters("page", "per_page")
    page = _int_argument("page", 1, MAX_PAGE, errors)
    per_page = _int_argument("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, errors)
    if errors:
        raise _bad_arguments(errors)

    def listing() -> dict:
        total, items, paid = queries.grants_page(filters, page, per_page)
        pages = max(1, math.ceil(total / per_page))

        def link(number: int) -> str:
            return url_for("api.grants", page=number, per_page=per_page, _external=True, **filters.as_args())

        return {
            "grants": [serialisers.grant(g, paid.get(g.id, 0 * g.amount)) for g in items],
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages,
            "links": {
                "self": link(page),
                "first": link(1),
                "last": link(pages),
                "next": link(page + 1) if page < pages else None,
                "prev": link(min(page - 1, pages)) if page > 1 else None,
            },
        }

    # The same for every token holder (managers see the whole portfolio): a page of the list is built once per
    # filters, page and address it links to, and shared between requests while the database is unchanged
    # (core/datacache.py). Reporting tools poll the API; building a page of 50 grants as objects took 10 ms.
    key = (repr(sorted(filters.as_args().items())), page, per_page, request.host_url)
    return jsonify(datacache.shared("api.grants", key, listing))


@bp.route("/v1/grants/<path:agreement_number>", methods=["GET"])
@token_required
def grant(agreement_number: str):
    errors = _unknown_arguments()
    if errors:
        raise _bad_arguments(errors)
    item, paid = queries.grant_by_number(agreement_number)
    if item is None:
        raise ApiError(
            404,
            "not_found",
            _("There is no grant with the agreement number “%(number)s”.", number=agreement_number[:60]),
        )
    return jsonify(serialisers.grant_detail(item, paid, utcnow().date()))


@bp.route("/v1/portfolio/summary", methods=["GET"])
@token_required
def summary():
    filters, errors = _filters()
    if errors:
        raise _bad_arguments(errors)
    figures = serialisers.summary(queries.summary(filters))
    return jsonify({**figures, "filters": filters.as_args()})


@bp.route("/v1/openapi.json", methods=["GET"])
@public
def openapi_json():
    response = jsonify(openapi.document(url_for("main.home", _external=True).rstrip("/")))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
