"""TOTP secrets are encrypted at rest (ASVS 6.2.1, 6.4.1): the database holds a Fernet token, never the secret; keys
come from DATA_ENCRYPTION_KEYS and can be rotated; production refuses to start without them. Recovery codes are kept
as keyed hashes (HMAC). The migration 0019 encrypts the secrets stored in clear before it, and decrypts them on the
way down."""

from __future__ import annotations

import uuid

import pyotp
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet, InvalidToken
from flask_migrate import downgrade, upgrade

from portal.accounts import two_factor
from portal.accounts.models import User
from portal.core import crypto
from portal.extensions import db
from tests.accounts.helpers import audit_actions
from tests.factories import PASSWORD


def _stored(user_id: int) -> str | None:
    """What the database itself holds in users.totp_secret, bypassing the model's decryption."""
    return db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}).scalar_one()


def _enrol(user) -> str:
    secret = two_factor.start_enrolment(user)
    two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
    db.session.commit()
    return secret


def test_the_database_holds_no_plaintext_secret(make_user, session):
    user = make_user()
    secret = _enrol(user)
    stored = _stored(user.id)
    assert secret not in stored and secret.lower() not in stored.lower()
    assert crypto.decrypt(stored) == secret
    session.expire_all()
    assert session.get(User, user.id).totp_secret == secret  # the model reads the clear secret
    # recovery codes are kept as keyed hashes (HMAC-SHA256 under a key outside the database), never as typed
    assert all(h.startswith("hmac:") and len(h.split(":")[2]) == 64 for h in user.recovery_code_hashes)


def test_keys_rotate_and_old_tokens_stay_readable(app, make_user, session, monkeypatch):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", old_key)
    user = make_user()
    secret = _enrol(user)
    token_with_old = _stored(user.id)
    assert Fernet(old_key.encode()).decrypt(token_with_old.encode()).decode() == secret

    # the new key first, the old one still listed: existing secrets are read, and rotation re-encrypts them
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", f"{new_key}, {old_key}")
    session.expire_all()
    assert session.get(User, user.id).totp_secret == secret
    result = CliRunner().invoke(app.cli, ["accounts", "rotate-encryption"], catch_exceptions=False)
    assert "1 two-factor secret(s) encrypted again with the first key." in result.output
    assert "user.two_factor_secret_reencrypt" in audit_actions("users", user.id)
    token_with_new = _stored(user.id)
    assert token_with_new != token_with_old
    assert Fernet(new_key.encode()).decrypt(token_with_new.encode()).decode() == secret

    # the old key can now go: the secret is still read, and a code from the app still signs in
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", new_key)
    session.expire_all()
    user = session.get(User, user.id)
    assert user.totp_secret == secret
    user.totp_last_step = None  # the code used at enrolment may be used again here
    assert two_factor.verify_second_factor(user, pyotp.TOTP(secret).now()) == "totp"
    session.commit()
    # without the key that made it, a token is refused loudly, never read as garbage
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", old_key)
    session.expire_all()
    with pytest.raises(InvalidToken):
        session.get(User, user.id).totp_secret  # noqa: B018


def test_recovery_codes_are_kept_as_keyed_hashes_that_survive_a_key_rotation(app, make_user, session, monkeypatch):
    """Someone with the database alone cannot test guesses against a recovery code; the codes keep working after a
    new key is put first while their own key is listed, and rotate-encryption names who still depends on it."""
    import hashlib

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", old_key)
    user = make_user()
    secret = two_factor.start_enrolment(user)
    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
    session.commit()
    stored = list(user.recovery_code_hashes)
    plain = {hashlib.sha256(two_factor.normalise_recovery_code(c).encode()).hexdigest() for c in codes}
    assert not plain & {h.split(":")[-1] for h in stored}  # not the bare SHA-256 of any code
    assert {h.split(":")[1] for h in stored} == {crypto.key_id(old_key.encode())}

    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", f"{new_key},{old_key}")
    assert two_factor.verify_second_factor(user, codes[0].upper()) == "recovery"  # typed in capitals: the same
    session.commit()
    result = CliRunner().invoke(app.cli, ["accounts", "rotate-encryption"], catch_exceptions=False)
    assert "1 person(s) have recovery codes made with an older key" in result.output and user.email in result.output

    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", new_key)  # the old key removed: its codes are gone
    session.expire_all()
    user = session.get(User, user.id)
    with pytest.raises(two_factor.AccountError):
        two_factor.verify_second_factor(user, codes[1])
    session.commit()
    fresh = two_factor.regenerate_recovery_codes(user, PASSWORD)
    session.commit()
    assert two_factor.verify_second_factor(user, fresh[0]) == "recovery"
    assert two_factor.recovery_codes_under_old_keys() == []


def test_recovery_codes_stored_before_keyed_hashes_still_work_once(make_user, session):
    import hashlib

    user = make_user()
    secret = _enrol(user)
    assert secret
    legacy = "abcde-fghjk"
    user.recovery_code_hashes = [hashlib.sha256(b"abcdefghjk").hexdigest()]
    session.commit()
    assert two_factor.verify_second_factor(user, legacy) == "recovery"
    assert user.recovery_code_hashes == []
    with pytest.raises(two_factor.AccountError):
        two_factor.verify_second_factor(user, legacy)


def test_production_refuses_to_start_without_encryption_keys(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "postgresql://db/portal")
    monkeypatch.setattr(ProductionConfig, "DATA_ENCRYPTION_KEYS", "")
    with pytest.raises(RuntimeError, match="set DATA_ENCRYPTION_KEYS"):
        ProductionConfig()
    monkeypatch.setattr(ProductionConfig, "DATA_ENCRYPTION_KEYS", "not-a-key")
    with pytest.raises(RuntimeError, match="DATA_ENCRYPTION_KEYS must hold Fernet keys"):
        ProductionConfig()
    monkeypatch.setattr(ProductionConfig, "DATA_ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},")
    ProductionConfig()


def test_the_development_key_is_derived_from_the_secret_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEYS", "")
    token = crypto.encrypt("JBSWY3DPEHPK3PXP")
    assert Fernet(crypto.derived_key(app.config["SECRET_KEY"])).decrypt(token.encode()) == b"JBSWY3DPEHPK3PXP"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, database_url, tmp_path):
    """An empty database of its own: SQLite always, PostgreSQL when the tests run on it (CI)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (runs under CI)")
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"portal_migrate_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.mark.committed  # a database of its own, outside the test transaction
def test_migration_0019_encrypts_existing_secrets_and_the_downgrade_decrypts_them(other_app, empty_database):
    portal = other_app(SQLALCHEMY_DATABASE_URI=empty_database)
    with portal.app_context():
        upgrade(revision="0016_document_templates")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (email, full_name, role, active, locale, timezone, created_at, totp_secret) "
                    "VALUES ('old@ngo.example', 'Old', 'applicant', true, 'en', 'UTC', '2026-01-02 03:04:05',"
                    " 'JBSWY3DPEHPK3PXP')"
                )
            )
        upgrade(revision="0019_account_security")
        with db.engine.connect() as conn:
            stored, confirmed = conn.execute(sa.text("SELECT totp_secret, email_confirmed_at FROM users")).one()
        assert stored != "JBSWY3DPEHPK3PXP" and crypto.decrypt(stored) == "JBSWY3DPEHPK3PXP"
        assert confirmed is not None  # accounts that existed before are confirmed
        assert db.session.scalar(sa.select(User)).totp_secret == "JBSWY3DPEHPK3PXP"
        db.session.remove()
        downgrade(revision="0016_document_templates")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT totp_secret FROM users")).scalar_one() == "JBSWY3DPEHPK3PXP"
        db.engine.dispose()
