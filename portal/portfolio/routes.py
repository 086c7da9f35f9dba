"""The portfolio for programme managers: the dashboard with its filters and charts, a page per country and per
implementing organisation, and the exports of the filtered portfolio. Staff only: implementing organisations see
their own grants through the grant pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from portal.core import countries, datacache, i18n
from portal.core.access import load, role_required
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.portfolio import exports, queries, views
from portal.portfolio.filters import parse_filters

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

PERIODS = ("quarter", "month")


def _filters():
    filters, errors = parse_filters(request.args)
    period = request.args.get("period", "quarter")
    if period not in PERIODS:
        errors.append(("period", _("Payments can be shown by month or by quarter.")))
        period = "quarter"
    return filters, errors, period


@bp.route("", methods=["GET"])
@role_required("manager")
def dashboard():
    filters, errors, period = _filters()
    # The figures depend only on the filters, the period, the language and the data: shared between requests while
    # the database is unchanged (portal/core/datacache.py).
    key = (i18n.locale_code(), request.script_root, repr(sorted(filters.as_args().items())), period)
    options, summary, page = datacache.shared("portfolio.dashboard", key, lambda: _dashboard_figures(filters, period))
    return render_template(
        "portfolio/dashboard.html",
        filters=filters,
        errors=errors,
        period=period,
        options=options,
        summary=summary,
        page=page,
    )


def _dashboard_figures(filters, period: str):
    options = views.option_markup(views.filter_options(queries.filter_choices()), filters.as_args())
    summary = queries.summary(filters)
    page = views.dashboard(filters, period)
    # The domains and dialogues the tables name are kept for later requests: out of this request's session, so that
    # nothing it does (a commit expiring them) touches them; their columns are loaded.
    for share in page.domains.rows + page.dialogues.rows:
        if share.obj is not None and share.obj in db.session:
            db.session.expunge(share.obj)
    return options, summary, page


@bp.route("/countries/<code>", methods=["GET"])
@role_required("manager")
def country(code: str):
    if len(code) != 2 or not code.isalpha() or not countries.is_valid(code):
        abort(404)
    if code != code.upper():
        return redirect(url_for(".country", code=code.upper(), **request.args.to_dict(flat=False)))
    filters, errors, _period = _filters()
    here = dataclasses.replace(filters, countries=[code])
    grants_page = request.args.get("page", type=int)
    organisations_page = request.args.get("organisations_page", type=int)

    def body() -> Markup:
        return Markup(  # noqa: S704 - rendered by Jinja with autoescaping
            render_template(
                "portfolio/_country_body.html",
                code=code,
                filters=filters,
                summary=queries.summary(here),
                grants=queries.grant_rows_page(here, grants_page),
                organisations=queries.country_organisations(here, code, organisations_page),
            )
        )

    # Figures and lists of data, the same for every manager: rendered once per country, filters, pages and language,
    # and shared between requests while the database is unchanged (core/datacache.py).
    key = (
        code,
        repr(sorted(filters.as_args().items())),
        grants_page,
        organisations_page,
        i18n.locale_code(),
        i18n.select_timezone(),
        request.script_root,
    )
    return render_template(
        "portfolio/country.html",
        code=code,
        filters=filters,
        errors=errors,
        body=datacache.shared("portfolio.country", key, body),
    )


@bp.route("/organisations/<int:org_id>", methods=["GET"])
@role_required("manager")
def organisation(org_id: int):
    org = load(Organisation, org_id)
    filters, errors, _period = _filters()
    here = dataclasses.replace(filters, organisations=[org.id])
    return render_template(
        "portfolio/organisation.html",
        organisation=org,
        filters=filters,
        errors=errors,
        summary=queries.summary(here),
        grants=queries.grant_rows_page(here, request.args.get("page", type=int)),
        roles=queries.organisation_roles(here, org.id),
        partners=queries.organisation_partners(here, org.id),
    )


def _export_filters():
    """The filters of an export; with a value that cannot be used, back to the dashboard, which names it (an export
    of a different set of grants than the one asked for would mislead)."""
    filters, errors = parse_filters(request.args)
    if errors:
        flash(_("The export was not made: correct the filters first."), "error")
        return None, redirect(url_for(".dashboard", **request.args.to_dict(flat=False)))
    return filters, None


def _filename(extension: str) -> str:
    return f"portfolio-{dt.date.today().isoformat()}.{extension}"


@bp.route("/export.csv", methods=["GET"])
@role_required("manager")
def export_csv():
    filters, refusal = _export_filters()
    if refusal:
        return refusal
    rows = queries.grant_rows(filters)
    return Response(
        stream_with_context(exports.csv_lines(rows)),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


@bp.route("/export.xlsx", methods=["GET"])
@role_required("manager")
def export_xlsx():
    filters, refusal = _export_filters()
    if refusal:
        return refusal
    return Response(
        exports.xlsx_bytes(queries.grant_rows(filters)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename("xlsx")}"'},
    )
