"""Configuration classes. Everything that differs between machines comes from an environment variable
with a safe default for development; `.env.example` lists them all."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused in production


def _env(name: str, default: str) -> str:
    """An environment variable; empty counts as unset (so a blank line in .env keeps the default)."""
    return os.environ.get(name) or default


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _languages() -> tuple[str, ...]:
    """English (the source language) and every language with a catalogue in translations/, narrowed by the
    LANGUAGES variable (comma-separated) when it is set."""
    catalogues = sorted(p.name for p in (BASE_DIR / "translations").iterdir() if (p / "LC_MESSAGES").is_dir())
    wanted = [code.strip() for code in os.environ.get("LANGUAGES", "").split(",") if code.strip()]
    return tuple(code for code in ("en", *catalogues) if not wanted or code in wanted)


class Config:
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Redis is optional in development: without REDIS_URL, Celery runs tasks eagerly in-process.
    REDIS_URL = _env("REDIS_URL", "")
    # Stored files: `local` (a folder, STORAGE_DIR) or `s3` (S3-compatible object storage shared by every web server
    # and worker; see portal/core/storage.py).
    STORAGE_BACKEND = _env("STORAGE_BACKEND", "local").lower()
    STORAGE_DIR = _env("STORAGE_DIR", str(BASE_DIR / "instance" / "storage"))
    S3_BUCKET = _env("S3_BUCKET", "")
    S3_PREFIX = _env("S3_PREFIX", "")
    S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL", "")  # empty: AWS itself
    S3_REGION = _env("S3_REGION", "")
    S3_ACCESS_KEY_ID = _env("S3_ACCESS_KEY_ID", "")  # empty: boto3's own chain (AWS_* variables, instance role)
    S3_SECRET_ACCESS_KEY = _env("S3_SECRET_ACCESS_KEY", "")
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    MAIL_BACKEND = _env("MAIL_BACKEND", "console")  # console | smtp | memory
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = _env("MAIL_USERNAME", "")
    MAIL_PASSWORD = _env("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Grant Facility <noreply@facility.example>")

    PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)  # seconds
    INVITATION_MAX_AGE_DAYS = _int("INVITATION_MAX_AGE_DAYS", 14)
    # Lifetime of the link that confirms the address of a new account (seconds; two days by default).
    EMAIL_CONFIRMATION_MAX_AGE = _int("EMAIL_CONFIRMATION_MAX_AGE", 2 * 24 * 3600)
    # Keys that encrypt secrets stored in the database (TOTP secrets): comma-separated Fernet keys, the first
    # encrypts, all decrypt (rotation: portal/core/crypto.py). Empty: a key derived from SECRET_KEY, for development
    # and tests only (whoever has SECRET_KEY has it); production refuses to start without this.
    DATA_ENCRYPTION_KEYS = _env("DATA_ENCRYPTION_KEYS", "")
    # The largest file a person may upload (checked by portal/core/uploads.py, with a message naming the file), and
    # the largest request body: room for three such files and the rest of the form (larger: the 413 page).
    UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 3 * UPLOAD_MAX_BYTES + 1024 * 1024)

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    # The portal speaks English (the source language) and every language that has a catalogue in translations/:
    # adding Portuguese or Arabic is adding translations/pt or translations/ar, not changing code.
    # LANGUAGES (comma-separated) narrows the list, e.g. while a catalogue is incomplete.
    LANGUAGES = tuple(
        code
        for code in (
            "en",
            *sorted(p.name for p in (BASE_DIR / "translations").iterdir() if (p / "LC_MESSAGES").is_dir()),
        )
        if not os.environ.get("LANGUAGES") or code in os.environ["LANGUAGES"].split(",")
    )

    FACILITY_NAME = _env("FACILITY_NAME", "Migration Dialogues Grant Facility")
    FACILITY_ORG_REF = _env("FACILITY_ORG_REF", "XM-DAC-47066")
    FACILITY_SIGNATORY = _env("FACILITY_SIGNATORY", "Head of the Grant Facility")
    # The same two in each other language the portal speaks (portal/core/facility.py): FACILITY_NAME_<LANG> and
    # FACILITY_SIGNATORY_<LANG>. A language without them prints the English ones.
    FACILITY_NAME_FR = _env("FACILITY_NAME_FR", "Facilité de subventions des dialogues sur la migration")
    FACILITY_SIGNATORY_FR = _env("FACILITY_SIGNATORY_FR", "Responsable de la Facilité de subventions")
    # Open data (portal/opendata): who publishes, who is accountable, who funds. IATI organisation identifiers
    # (https://iatistandard.org/en/guidance/preparing-organisation/organisation-account/how-to-create-your-org-id/);
    # the default publisher reference is a placeholder that production must replace with the registered one.
    FACILITY_IATI_REF = _env("FACILITY_IATI_REF", "XI-IATI-GRANTFACILITY")
    FACILITY_IATI_ORG_TYPE = _env("FACILITY_IATI_ORG_TYPE", "40")  # IATI OrganisationType; 40: multilateral
    FACILITY_ORG_NAME = _env("FACILITY_ORG_NAME", "Implementing organisation of the grant facility")
    FACILITY_FUNDER_REF = _env("FACILITY_FUNDER_REF", "XI-IATI-EC_INTPA")
    FACILITY_FUNDER_NAME = _env("FACILITY_FUNDER_NAME", "European Union")
    # 360Giving identifiers start with the publisher's prefix (assigned by 360Giving on registration).
    OPEN_DATA_360G_PREFIX = _env("OPEN_DATA_360G_PREFIX", "360G-grantfacility")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")  # always on in ProductionConfig (HTTPS only)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A signed-in session ends after this long without a request (idle) and this long after sign-in (absolute),
    # whatever happens in between (ASVS 3.3.2); see portal/accounts/sessions.py.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)
    # Strict-Transport-Security max-age in seconds; 0 sends no header (plain HTTP in development). Production: a year.
    HSTS_SECONDS = _int("HSTS_SECONDS", 0)

    # Rate limits (Flask-Limiter, limits' notation "N per period; M per period"). Counters live in Redis when there is
    # one (every web server must see the same counts); without Redis, in this process's memory (development, tests).
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "") or _env("REDIS_URL", "") or "memory://"
    RATELIMIT_HEADERS_ENABLED = False  # the 429 response carries Retry-After; no X-RateLimit-* on every page
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down: let people sign in rather than refuse everyone (logged)
    # How many reverse proxies (nginx, a load balancer) stand in front of the portal and set X-Forwarded-For/-Proto:
    # the per-address limits and the audit log need the client's own address. 0: the portal faces clients directly.
    TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
    LIMIT_SIGN_IN_PER_ADDRESS = _env("LIMIT_SIGN_IN_PER_ADDRESS", "30 per 15 minutes")
    LIMIT_SIGN_IN_PER_ACCOUNT = _env("LIMIT_SIGN_IN_PER_ACCOUNT", "10 per 15 minutes")  # failed attempts only
    LIMIT_RESET_PER_ADDRESS = _env("LIMIT_RESET_PER_ADDRESS", "10 per hour")
    LIMIT_RESET_PER_ACCOUNT = _env("LIMIT_RESET_PER_ACCOUNT", "3 per hour")
    LIMIT_REGISTER_PER_ADDRESS = _env("LIMIT_REGISTER_PER_ADDRESS", "10 per hour")
    LIMIT_REGISTER_PER_ACCOUNT = _env("LIMIT_REGISTER_PER_ACCOUNT", "3 per hour")
    LIMIT_TWO_FACTOR_PER_ADDRESS = _env("LIMIT_TWO_FACTOR_PER_ADDRESS", "30 per 15 minutes")
    LIMIT_TWO_FACTOR_PER_ACCOUNT = _env("LIMIT_TWO_FACTOR_PER_ACCOUNT", "5 per 5 minutes")  # failed codes only
    # Roles that must use two-factor authentication (comma-separated; "none" for no role, e.g. for browser tests of
    # the demo). Production refuses to start unless managers and administrators are among them.
    TWO_FACTOR_REQUIRED_ROLES = tuple(
        role.strip()
        for role in _env("TWO_FACTOR_REQUIRED_ROLES", "manager,admin").split(",")
        if role.strip() and role.strip() != "none"
    )
    # The name shown in authenticator apps next to the account (TOTP issuer).
    TWO_FACTOR_ISSUER = _env("TWO_FACTOR_ISSUER", "Grant Facility")
    WTF_CSRF_TIME_LIMIT = None  # applicants keep long forms open; the session bounds the token instead

    # The longest a document may take to render (template and PDF), in seconds: a template that loops for ever is
    # stopped with a message (portal/core/pdf.py, within_budget). Previews in the template editor get less, since a
    # person waits for them.
    DOCUMENT_RENDER_SECONDS = _int("DOCUMENT_RENDER_SECONDS", 60)
    DOCUMENT_PREVIEW_SECONDS = _int("DOCUMENT_PREVIEW_SECONDS", 10)
    # Jobs that stay queued longer than this are re-sent by the periodic sweep.
    JOB_SWEEP_AFTER_SECONDS = _int("JOB_SWEEP_AFTER_SECONDS", 300)

    CELERY: dict = {}

    def __init__(self) -> None:
        if self.STORAGE_BACKEND not in {"local", "s3"}:
            raise RuntimeError(f"Refusing to start: STORAGE_BACKEND must be local or s3, not {self.STORAGE_BACKEND!r}.")
        if self.STORAGE_BACKEND == "s3" and not self.S3_BUCKET:
            raise RuntimeError("Refusing to start: STORAGE_BACKEND=s3 needs S3_BUCKET.")
        for code in self.LANGUAGES:  # a language added later (translations/pt) gets FACILITY_NAME_PT from the env
            for key in ("FACILITY_NAME", "FACILITY_SIGNATORY"):
                name = f"{key}_{code.upper()}"
                if code != "en" and not getattr(self, name, None) and os.environ.get(name):
                    setattr(self, name, os.environ[name])
        redis = self.REDIS_URL
        self.CELERY = {
            "broker_url": redis or "memory://",
            "result_backend": None,
            "task_always_eager": not redis,
            "task_eager_propagates": False,
            "task_serializer": "json",
            "accept_content": ["json"],
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "broker_transport_options": {"visibility_timeout": 3600},
            "beat_schedule": {},
            # The queue the web app sends to and the worker consumes: several portals (or test runs) sharing one
            # Redis must not take each other's jobs.
            "task_default_queue": _env("CELERY_QUEUE", "celery"),
        }


class DevelopmentConfig(Config):
    DEBUG = False  # the Werkzeug debugger is never on by default: it executes code
    MAIL_BACKEND = _env("MAIL_BACKEND", "console")


class TestingConfig(Config):
    TESTING = True
    MAIL_BACKEND = "memory"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    SERVER_NAME = None
    # Each test process counts for itself (tests/factories.py empties the counters before every test).
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = _int("HSTS_SECONDS", 365 * 24 * 3600)
    MAIL_BACKEND = _env("MAIL_BACKEND", "smtp")

    def __init__(self) -> None:
        super().__init__()
        if self.SECRET_KEY == DEFAULT_SECRET or len(self.SECRET_KEY) < 32:
            raise RuntimeError("Refusing to start: set SECRET_KEY to a random value of at least 32 characters.")
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            raise RuntimeError("Refusing to start: production needs DATABASE_URL pointing at PostgreSQL.")
        if not {"manager", "admin"} <= set(self.TWO_FACTOR_REQUIRED_ROLES):
            raise RuntimeError("Refusing to start: TWO_FACTOR_REQUIRED_ROLES must include manager and admin.")
        self._check_encryption_keys()

    def _check_encryption_keys(self) -> None:
        from cryptography.fernet import Fernet

        keys = [k.strip() for k in self.DATA_ENCRYPTION_KEYS.split(",") if k.strip()]
        if not keys:
            raise RuntimeError(
                "Refusing to start: set DATA_ENCRYPTION_KEYS (Fernet keys; see .env.example) to encrypt stored secrets."
            )
        try:
            for key in keys:
                Fernet(key)
        except ValueError:
            raise RuntimeError(
                "Refusing to start: DATA_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes)."
            ) from None


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> Config:
    return CONFIGS[_env("PORTAL_ENV", "development")]()
