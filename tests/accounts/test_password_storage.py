"""Passwords are stored with argon2id, never in clear, and rehashed when the hashing parameters grow."""

from __future__ import annotations

from argon2 import PasswordHasher

from portal.accounts import models
from tests.factories import PASSWORD


def test_passwords_are_stored_with_argon2id(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(make_user, monkeypatch):
    user = make_user()
    old = user.password_hash
    monkeypatch.setattr(models, "_hasher", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert user.check_password(PASSWORD)
    assert user.password_hash != old and "t=2" in user.password_hash
