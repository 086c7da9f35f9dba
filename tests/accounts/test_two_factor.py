"""Two-factor authentication (TOTP with recovery codes): enrolment, the second step of sign-in, one-time codes,
turning it off, and managers and administrators held at the set-up until they have it."""

from __future__ import annotations

import re

import pyotp
import pytest

from portal.accounts import two_factor
from portal.core.db import utcnow
from portal.extensions import db
from tests.accounts.helpers import audit_actions, text_of
from tests.factories import PASSWORD


def _sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _secret_on_page(response) -> str:
    match = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', response.get_data(as_text=True))
    assert match, "the set-up page shows the key"
    return match.group(1)


def _codes_on_page(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))


def _enrol(client) -> tuple[str, list[str]]:
    """Set up 2FA through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"  # the key is on it
    secret = _secret_on_page(page)
    assert 'src="data:image/svg+xml;base64,' in page.get_data(as_text=True)  # the QR code, no inline script
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = _codes_on_page(response)
    assert len(codes) == 10
    assert response.headers["Cache-Control"] == "no-store"
    return secret, codes


def _enrolled_user(make_user, role="applicant"):
    """A user with 2FA on, made through the operations; returns (user, secret, recovery codes)."""
    user = make_user(role)
    secret = two_factor.start_enrolment(user)
    codes = two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # let the test use the current code again
    db.session.commit()
    return user, secret, codes


def test_applicant_sets_up_two_factor_and_signs_in_with_a_code(app, make_user, session):
    user = make_user(email="careful@ngo.example")
    client = app.test_client()
    assert _sign_in(client, user.email).status_code == 302
    secret, codes = _enrol(client)
    db.session.refresh(user)
    assert user.two_factor_enabled
    assert all(code not in str(user.recovery_code_hashes) for code in codes)  # stored hashed only
    assert "user.two_factor_enable" in audit_actions("users", user.id)
    assert client.get("/account").status_code == 200  # the session that set it up goes on

    other = app.test_client()
    response = _sign_in(other, user.email)
    assert response.headers["Location"] == "/login/two-factor"
    assert other.get("/account").headers["Location"].startswith("/login")  # not signed in before the code
    user.totp_last_step = None
    db.session.commit()
    response = other.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert other.get("/account").status_code == 200
    assert "user.two_factor_verify" in audit_actions("users", user.id)


def test_a_wrong_code_is_refused_with_a_message(app, make_user):
    user, _secret, _codes = _enrolled_user(make_user)
    client = app.test_client()
    _sign_in(client, user.email)
    response = client.post("/login/two-factor", data={"code": "000000"})
    assert response.status_code == 200
    assert "This code is not correct." in text_of(response)
    assert client.get("/account").status_code == 302
    assert "user.two_factor_failed" in audit_actions("users", user.id)


def test_a_code_works_only_once(app, make_user):
    user, secret, _codes = _enrolled_user(make_user)
    code = pyotp.TOTP(secret).now()
    first = app.test_client()
    _sign_in(first, user.email)
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302
    second = app.test_client()
    _sign_in(second, user.email)
    response = second.post("/login/two-factor", data={"code": code})
    assert response.status_code == 200
    assert "This code is not correct." in text_of(response)


def test_a_recovery_code_signs_in_once(app, make_user):
    user, _secret, codes = _enrolled_user(make_user)
    client = app.test_client()
    _sign_in(client, user.email)
    response = client.post("/login/two-factor", data={"code": codes[0].upper()}, follow_redirects=True)
    assert "You signed in with a recovery code; it cannot be used again. 9 left." in text_of(response)
    again = app.test_client()
    _sign_in(again, user.email)
    assert again.post("/login/two-factor", data={"code": codes[0]}).status_code == 200
    assert len(user.recovery_code_hashes) == 9


def test_the_second_step_needs_the_password_first(client):
    response = client.post("/login/two-factor", data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_staff_without_two_factor_reach_nothing_but_the_set_up(app, make_user, role):
    user = make_user(role)
    client = app.test_client()
    assert _sign_in(client, user.email).status_code == 302
    for path in ("/", "/account", "/admin/audit", "/calls/manage" if role == "manager" else "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    page = client.get("/account/two-factor")
    assert "Programme managers and administrators must use two-factor authentication." in text_of(page)
    _enrol(client)
    assert client.get("/account").status_code == 200
    assert client.get("/admin/audit").status_code == 200


def test_staff_with_two_factor_cannot_turn_it_off(app, make_user, login):
    user, secret, _codes = _enrolled_user(make_user, "manager")
    client = login(app.test_client(), user)
    response = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400
    assert "Programme managers and administrators must keep two-factor authentication on." in text_of(response)
    assert user.two_factor_enabled


def test_applicant_turns_two_factor_off_with_password_and_code(app, make_user, login):
    user, secret, _codes = _enrolled_user(make_user)
    client = login(app.test_client(), user)
    response = client.post("/account/two-factor/disable", data={"password": "wrong-password-here", "code": "1"})
    assert response.status_code == 400
    assert "Your password is not correct." in text_of(response)
    assert user.two_factor_enabled
    response = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.two_factor_enabled and user.totp_secret is None
    assert "user.two_factor_disable" in audit_actions("users", user.id)
    assert client.get("/account").status_code == 200  # renewed, still signed in
    # Sent again (a second tab, the back button): nothing to turn off, said on the account page.
    again = client.post("/account/two-factor/disable", data={}, follow_redirects=True)
    assert again.status_code == 200
    assert "Two-factor authentication is already off for your account." in text_of(again)


def test_new_recovery_codes_replace_the_old_ones(app, make_user, login):
    user, _secret, codes = _enrolled_user(make_user)
    client = login(app.test_client(), user)
    response = client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD})
    assert response.status_code == 200
    new_codes = _codes_on_page(response)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    other = app.test_client()
    _sign_in(other, user.email)
    assert other.post("/login/two-factor", data={"code": codes[1]}).status_code == 200


def test_turning_two_factor_on_ends_the_other_sessions(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    _sign_in(laptop, user.email)
    _sign_in(phone, user.email)
    _enrol(laptop)
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302


def test_enrolment_refuses_a_wrong_code(app, make_user, login):
    client = login(app.test_client(), make_user())
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "12345x"})
    assert response.status_code == 200
    assert "This code is not correct. Enter the 6-digit code your app shows now for this account." in text_of(response)


def test_totp_accepts_the_neighbouring_time_steps_only(make_user, app):
    user, secret, _codes = _enrolled_user(make_user)
    totp = pyotp.TOTP(secret)
    now = utcnow().timestamp()
    assert two_factor._accept_totp(user, totp.at(now - 30))
    assert not two_factor._accept_totp(user, totp.at(now - 300))


def test_the_required_roles_come_from_config(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", ("admin",))
    manager, admin = make_user("manager"), make_user("admin")
    assert not manager.two_factor_required and admin.two_factor_required
    client = app.test_client()
    _sign_in(client, manager.email)
    assert client.get("/account").status_code == 200  # no set-up asked


def test_production_refuses_to_start_without_two_factor_for_staff(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "postgresql://db/portal")
    monkeypatch.setattr(ProductionConfig, "DATA_ENCRYPTION_KEYS", "A" * 43 + "=")
    monkeypatch.setattr(ProductionConfig, "TWO_FACTOR_REQUIRED_ROLES", ("admin",))
    with pytest.raises(RuntimeError, match="TWO_FACTOR_REQUIRED_ROLES must include manager and admin"):
        ProductionConfig()
    monkeypatch.setattr(ProductionConfig, "TWO_FACTOR_REQUIRED_ROLES", ("manager", "admin"))
    ProductionConfig()


def test_staff_at_the_set_up_can_switch_language_and_sign_out(app, make_user):
    user = make_user("manager")
    client = app.test_client()
    _sign_in(client, user.email)
    response = client.post("/language/fr", data={"next": "/account/two-factor"})
    assert response.headers["Location"] == "/account/two-factor"
    page = text_of(client.get("/account/two-factor"))
    assert "Configurer l’authentification à deux facteurs" in page
    assert "Ou saisissez cette clé dans l’application\u202f:" in page
    assert client.post("/logout").status_code == 302
    assert client.get("/account").headers["Location"].startswith("/login")


def test_the_owner_is_told_by_e_mail_of_each_change_to_how_they_sign_in(app, make_user, login, outbox):
    user = make_user(email="told@ngo.example")
    client = login(app.test_client(), user)
    secret, _codes = _enrol(client)
    client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD})
    user.totp_last_step = None
    db.session.commit()
    client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": "a-brand-new-long-password",
            "password-confirm": "a-brand-new-long-password",
            "password-submit": "Change",
        },
    )
    assert [m.to for m in outbox] == [user.email] * 4
    assert all(m.subject.startswith("A change to how you sign in to") for m in outbox)
    texts = [m.text for m in outbox]
    assert "Two-factor authentication was turned on for your account." in texts[0]
    assert "New recovery codes were made for your account; the previous ones no longer work." in texts[1]
    assert "Two-factor authentication was turned off for your account." in texts[2]
    assert "The password of your account was changed." in texts[3]
    assert all("/password/forgot" in t for t in texts)
    assert not any(code in t for t in texts for code in _codes)  # never a secret in an e-mail


def test_an_operator_resets_two_factor_for_a_person_who_lost_everything(app, make_user, login, outbox):
    user, _secret, _codes = _enrolled_user(make_user, "manager")
    earlier = login(app.test_client(), user)
    assert earlier.get("/account").status_code == 200
    runner = app.test_cli_runner()
    reason = "Ticket 42, identity checked by video call"
    result = runner.invoke(args=["accounts", "reset-two-factor", user.email, "--reason", reason])
    assert result.exit_code == 0, result.output
    assert earlier.get("/account").status_code == 302  # every session of the account has ended
    client = app.test_client()
    assert "Two-factor authentication removed for" in result.output
    db.session.refresh(user)
    assert not user.two_factor_enabled and user.recovery_code_hashes is None
    assert "user.two_factor_reset" in audit_actions("users", user.id)
    assert "Two-factor authentication was turned off for your account." in outbox[-1].text
    # the manager signs in with the password and is asked to set it up again
    _sign_in(client, user.email)
    assert client.get("/").headers["Location"] == "/account/two-factor"
    again = runner.invoke(args=["accounts", "reset-two-factor", user.email, "--reason", "again"])
    assert again.exit_code != 0 and "not turned on" in again.output
    unknown = runner.invoke(args=["accounts", "reset-two-factor", "ghost@ngo.example", "--reason", "x"])
    assert unknown.exit_code != 0 and "No account has the address" in unknown.output
