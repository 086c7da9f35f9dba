"""Extensions, created once and bound to the app in create_app()."""

from __future__ import annotations

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
babel = Babel()
# Rate limits are declared on the routes that need them (sign-in, password reset, registration, two-factor codes);
# there is no default limit on every page. Storage and switches come from config (RATELIMIT_*).
limiter = Limiter(key_func=get_remote_address)
