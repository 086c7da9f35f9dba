"""The grant facility portal: create_app() builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from config import Config, config_from_env

BASE_DIR = Path(__file__).resolve().parent.parent


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in URLs: only values a database integer key can hold, so that a guessed or hostile id such as
    /proposals/99999999999999999999 is a plain 404, never an overflow inside the database driver."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder="static",
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config or config_from_env())
    from portal.core.i18n import PortalRequest

    app.request_class = PortalRequest  # WTForms' messages read once per process (core/i18n.py)
    app.url_map.converters["int"] = DatabaseIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("weasyprint", "fontTools", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.core import assets, formdata, i18n, jobs, lazy_text, readonly, security  # noqa: F401 - jobs registers its session hooks
    from portal.core.celery import celery_init_app
    from portal.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    readonly.init_app(app)  # after db: a request that only read ends with COMMIT, keeping prepared statements
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_template_gettext(app)  # replaces Flask-Babel's own: one step per message instead of four
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    celery_init_app(app)
    assets.init_app(app)
    security.init_app(app)
    formdata.init_app(app)  # a form route's JSON body: an object of strings, or 400
    lazy_text.init_app(app)  # `_l(...)` messages escaped in templates like any text
    from portal.core import querycount  # X-SQL-Queries with COUNT_QUERIES=1 (the benchmark)

    querycount.init_app(app)
    _import_models()

    @login_manager.user_loader
    def load_user(session_id: str):
        from portal.accounts.sessions import load_signed_in

        user_id, _, state = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = load_signed_in(int(user_id))
        if user is None or user.session_state() != state:
            return None
        return user


def _import_models() -> None:
    """Import every area's models so that metadata (and Alembic) sees the whole schema."""
    from sqlalchemy.orm import configure_mappers

    from portal.accounts import models as _accounts  # noqa: F401
    from portal.api import models as _api  # noqa: F401
    from portal.calls import models as _calls  # noqa: F401
    from portal.core import audit as _audit  # noqa: F401
    from portal.documents import models as _documents  # noqa: F401
    from portal.evaluation import models as _evaluation  # noqa: F401
    from portal.grants import models as _grants  # noqa: F401
    from portal.notifications import models as _notifications  # noqa: F401
    from portal.organisations import models as _organisations  # noqa: F401
    from portal.proposals import models as _proposals  # noqa: F401

    # Relationships are otherwise set up by the first query of each process: in every web worker, that first
    # request paid about 50 ms for it (and a mistake in a relationship would surface there, not at start-up).
    configure_mappers()


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.routes import bp as accounts_bp
    from portal.admin.routes import bp as admin_bp
    from portal.api.routes import bp as api_bp
    from portal.api.token_routes import bp as api_tokens_bp
    from portal.calls.routes import bp as calls_bp
    from portal.consortia.routes import bp as consortia_bp
    from portal.documents.routes import bp as documents_bp
    from portal.evaluation.routes import bp as evaluation_bp
    from portal.grants.routes import bp as grants_bp
    from portal.main.routes import bp as main_bp
    from portal.notifications.routes import bp as notifications_bp
    from portal.opendata.routes import bp as opendata_bp
    from portal.organisations.routes import bp as organisations_bp
    from portal.portfolio.routes import bp as portfolio_bp
    from portal.proposals.routes import bp as proposals_bp
    from portal.search.routes import bp as search_bp

    for bp in (
        main_bp,
        accounts_bp,
        admin_bp,
        organisations_bp,
        calls_bp,
        proposals_bp,
        consortia_bp,
        evaluation_bp,
        grants_bp,
        documents_bp,
        opendata_bp,
        api_bp,
        api_tokens_bp,
        portfolio_bp,
        search_bp,
        notifications_bp,
    ):
        app.register_blueprint(bp)
    # The JSON API authenticates with bearer tokens, never with the session cookie: no CSRF token to check.
    from portal.extensions import csrf

    csrf.exempt(api_bp)


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.orm.exc import StaleDataError

    from portal.core import outages
    from portal.extensions import db

    outages.init_app(app)  # the database unreachable: 503 with Retry-After

    def page(code: int, title, message, error: Exception | None = None):
        if request.path.startswith("/api/"):  # the JSON API answers in JSON, even for unknown routes
            from portal.api.errors import http_error_response

            return http_error_response(code, error)
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        return page(400, _l("Bad request"), _l("The request could not be understood. Please go back and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(
            400,
            _l("Your session has expired"),
            _l("The form was open for too long or your session ended. Go back, reload the page and send it again."),
        )

    @app.errorhandler(403)
    def forbidden(e):
        return page(403, _l("Not allowed"), _l("You do not have permission to do this."))

    @app.errorhandler(404)
    def not_found(e):
        return page(404, _l("Page not found"), _l("There is nothing here, or you do not have access to it."))

    @app.errorhandler(405)
    def method_not_allowed(e):
        return page(405, _l("Not allowed"), _l("This action cannot be done this way."), e)

    @app.errorhandler(413)
    def too_large(e):
        from portal.core.uploads import format_size

        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            message = gettext(
                "The portal accepts up to %(request)s in one sending, and each file may be up to %(file)s. "
                "Nothing was saved: go back and send smaller files, or fewer at a time.",
                request=format_size(limit),
                file=format_size(app.config["UPLOAD_MAX_BYTES"]),
            )
        else:  # Werkzeug's other limits: one text field over MAX_FORM_MEMORY_SIZE, or too many parts
            message = gettext(
                "Part of what you sent is larger than the portal accepts. Nothing was saved: go back, shorten the "
                "longest text or send fewer files at a time."
            )
        return page(413, _l("What you sent is too large"), message)

    @app.errorhandler(StaleDataError)
    def stale(e):
        db.session.rollback()
        return page(
            409,
            _l("Someone else changed this first"),
            _l(
                "This record was changed by someone else while you were working. Reload it and apply your change again."
            ),
        )

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return page(500, _l("Something went wrong"), _l("The error was logged. Please try again in a moment."))


def _register_template_helpers(app: Flask) -> None:
    from portal.core import countries, facility, fragments, i18n

    app.jinja_env.globals.update(
        render_macro=fragments.render_macro,
        country_name=lambda code: countries.name(code, i18n.locale_code()),
        locale_code=i18n.locale_code,
        colon=i18n.colon,
        localized=i18n.localized,
        written=i18n.written,
        language_name=i18n.language_name,
        portal_languages=i18n.portal_languages,
        text_direction=i18n.text_direction,
        facility_name=lambda: facility.name(),
    )
    app.jinja_env.filters.update(money=i18n.money, number=i18n.number, date=i18n.date, instant=i18n.instant)


def _register_cli(app: Flask) -> None:
    from portal.main.cli import register

    register(app)
