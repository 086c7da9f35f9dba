"""Extensions, created once and bound to the app in create_app()."""

from __future__ import annotations

from functools import cached_property

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()


class PortalBabel(Babel):
    """Flask-Babel with the translations looked up once per request and language (core/i18n.RequestDomain)."""

    @cached_property
    def domain_instance(self):
        from portal.core.i18n import RequestDomain

        return RequestDomain(domain=self.domain)


babel = PortalBabel()
# Rate limits are declared on the routes that need them (sign-in, password reset, registration, two-factor codes);
# there is no default limit on every page. Storage and switches come from config (RATELIMIT_*).
limiter = Limiter(key_func=get_remote_address)
