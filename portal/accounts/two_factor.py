"""Two-factor authentication: time-based one-time passwords (TOTP, RFC 6238, through pyotp) and recovery codes.

Required for programme managers and administrators (`User.two_factor_required`), optional for everyone else.
Enrolment: a secret is made and shown (text and QR code); a first code from the person's app confirms it; ten
recovery codes are then shown once. Only a keyed hash of each is kept (HMAC-SHA256 under a key derived from the first
of DATA_ENCRYPTION_KEYS, which is not in the database), and each works once. A TOTP code works once too
(the last accepted time step is stored), which stops a code seen over someone's shoulder from being replayed.

Like every operation: check, change, audit, flush; never read the request, never commit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets

import pyotp
import qrcode
import qrcode.image.svg
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from portal.accounts.models import User
from portal.accounts.operations import AccountError, notify_security_change
from portal.core import crypto
from portal.core.audit import record
from portal.core.db import utcnow
from portal.extensions import db

RECOVERY_CODE_COUNT = 10
# Codes from the step before and after the current one are accepted too: clocks on phones drift.
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


# A stored recovery code is "hmac:<key id>:<HMAC-SHA256 of the code>" (crypto.keyed_digest): someone who has the
# database but not the keys cannot test guesses against it, where a plain SHA-256 of 49 random bits could be
# searched with enough GPUs. The key id says which of DATA_ENCRYPTION_KEYS made it: codes keep working after a new
# key is put first, while their key is still listed (`rotate-encryption` names the people whose codes still need
# an old key). Codes stored before (a bare SHA-256 in hex) are still accepted until they are used or replaced.
KEYED_PREFIX = "hmac:"


def _hash_code(code: str) -> str:
    key = crypto.keys_from_config(current_app.config)[0]
    return f"{KEYED_PREFIX}{crypto.key_id(key)}:{crypto.keyed_digest(normalise_recovery_code(code), key)}"


def _matching_hash(hashes: list[str], code: str) -> str | None:
    """The stored hash of `code` among `hashes`, or None. Every comparison is constant-time."""
    typed = normalise_recovery_code(code)
    if not typed:
        return None
    keys = {crypto.key_id(key): key for key in crypto.keys_from_config(current_app.config)}
    digests: dict[str, str] = {}
    for stored in hashes:
        if stored.startswith(KEYED_PREFIX):
            kid, _sep, digest = stored.removeprefix(KEYED_PREFIX).partition(":")
            if kid not in keys:
                continue  # made with a key no longer listed: it cannot be checked any more
            if kid not in digests:
                digests[kid] = crypto.keyed_digest(typed, keys[kid])
            if hmac.compare_digest(digest, digests[kid]):
                return stored
        elif hmac.compare_digest(stored, hashlib.sha256(typed.encode()).hexdigest()):  # stored before keyed hashes
            return stored
    return None


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# -- enrolment ---------------------------------------------------------------------------------------------------


def start_enrolment(user: User) -> str:
    """A new secret for `user` (not yet in force: `confirm_enrolment` turns it on). Starting again replaces an
    unconfirmed secret; it never touches one in force."""
    if user.two_factor_enabled:
        raise AccountError(_("Two-factor authentication is already turned on for your account."))
    user.totp_secret = pyotp.random_base32()
    db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"]
    )


def qr_code_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG image in a data: URI, for an <img> (the CSP allows data: images only)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _accept_totp(user: User, code: str) -> bool:
    """True (and the time step remembered) when `code` is the account's current code, not used before."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not user.totp_secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # used already (or an older one): a code works once
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor authentication on once the person proves their app has the secret; returns the recovery
    codes, in clear for the only time."""
    if user.two_factor_enabled:
        raise AccountError(_("Two-factor authentication is already turned on for your account."))
    if not user.totp_secret:
        raise AccountError(_("Start again: the set-up of two-factor authentication had not begun."))
    if not _accept_totp(user, code):
        raise AccountError(
            _("This code is not correct. Enter the 6-digit code your app shows now for this account."), field="code"
        )
    user.totp_enabled_at = utcnow()
    codes = _replace_recovery_codes(user)
    record("user.two_factor_enable", user, actor=user, before={"two_factor": False}, after={"two_factor": True})
    notify_security_change(user, "two_factor_on")
    db.session.flush()
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    user.recovery_code_hashes = [_hash_code(c) for c in codes]
    return codes


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    if not user.two_factor_enabled:
        raise AccountError(_("Two-factor authentication is not turned on for your account."))
    if not user.check_password(password):
        raise AccountError(_("Your password is not correct."), field="password")
    codes = _replace_recovery_codes(user)
    record("user.recovery_codes_renew", user, actor=user)
    notify_security_change(user, "recovery_codes")
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return len(user.recovery_code_hashes or [])


# -- sign-in -----------------------------------------------------------------------------------------------------


def verify_second_factor(user: User, code: str) -> str:
    """Check a code typed at sign-in: a TOTP code or one of the recovery codes (used up by this). Returns which
    ("totp" or "recovery"); AccountError when it is neither. Every outcome is audited."""
    if not user.two_factor_enabled:
        raise AccountError(_("Two-factor authentication is not turned on for this account."))
    if _accept_totp(user, code):
        record("user.two_factor_verify", user, actor=user, after={"method": "totp"})
        db.session.flush()
        return "totp"
    hashes = list(user.recovery_code_hashes or [])
    match = _matching_hash(hashes, code)
    if match is not None:
        hashes.remove(match)
        user.recovery_code_hashes = hashes
        record("user.two_factor_verify", user, actor=user, after={"method": "recovery", "codes_left": len(hashes)})
        db.session.flush()
        return "recovery"
    record("user.two_factor_failed", user, actor=user)
    db.session.flush()
    raise AccountError(
        _("This code is not correct. Enter the 6-digit code from your app, or one of your recovery codes."),
        field="code",
    )


# -- turning it off ----------------------------------------------------------------------------------------------


def disable_two_factor(user: User, password: str, code: str) -> None:
    """Turn two-factor authentication off, with the password and a current code (or a recovery code). Managers
    and administrators must keep it."""
    if not user.two_factor_enabled:
        raise AccountError(_("Two-factor authentication is not turned on for your account."))
    if user.two_factor_required:
        raise AccountError(_("Programme managers and administrators must keep two-factor authentication on."))
    if not user.check_password(password):
        raise AccountError(_("Your password is not correct."), field="password")
    if not _accept_totp(user, code) and _matching_hash(list(user.recovery_code_hashes or []), code) is None:
        raise AccountError(
            _("This code is not correct. Enter the 6-digit code from your app, or one of your recovery codes."),
            field="code",
        )
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = None
    record("user.two_factor_disable", user, actor=user, before={"two_factor": True}, after={"two_factor": False})
    notify_security_change(user, "two_factor_off")
    db.session.flush()


def reset_two_factor(user: User, *, by: User | None = None, reason: str = "") -> None:
    """For a person who lost both their phone and their recovery codes, after the facility checked who they are:
    two-factor authentication is removed (managers and administrators are asked to set it up again at their next
    sign-in) and every session of the account ends. Run by an operator (`flask accounts reset-two-factor`)."""
    if not user.two_factor_enabled and not user.totp_secret:
        raise AccountError(_("Two-factor authentication is not turned on for this account."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = None
    record(
        "user.two_factor_reset",
        user,
        actor=by,
        before={"two_factor": True},
        after={"two_factor": False, "reason": reason},
    )
    notify_security_change(user, "two_factor_off")
    db.session.flush()


# -- encryption keys ---------------------------------------------------------------------------------------------


def rotate_encryption() -> int:
    """Re-encrypt every stored TOTP secret with the first key of DATA_ENCRYPTION_KEYS (each was made with one of the
    keys listed); returns how many. Run after putting a new key first, before removing the old ones."""
    users = db.session.scalars(db.select(User).where(User.totp_secret.is_not(None))).all()
    for user in users:
        flag_modified(user, "totp_secret")  # written again: encrypted with the first key
        record("user.two_factor_secret_reencrypt", user, actor=None)
    db.session.flush()
    return len(users)


def recovery_codes_under_old_keys() -> list[User]:
    """People whose recovery codes include one made with a key other than the first of DATA_ENCRYPTION_KEYS: a
    keyed hash cannot be made again without the code, so those codes stop working once their key is removed. They
    should make new codes (account page) before it is."""
    first = crypto.key_id(crypto.keys_from_config(current_app.config)[0])
    users = db.session.scalars(db.select(User).where(User.recovery_code_hashes.is_not(None)).order_by(User.email)).all()
    return [
        user
        for user in users
        if any(
            h.startswith(KEYED_PREFIX) and not h.startswith(f"{KEYED_PREFIX}{first}:")
            for h in user.recovery_code_hashes or []
        )
    ]
