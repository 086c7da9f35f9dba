"""Users, their roles, and invitations (admin invites staff; organisations invite colleagues)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.core.crypto import EncryptedText
from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.organisations.models import Membership, Organisation

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    EVALUATOR = "evaluator"
    MANAGER = "manager"
    ADMIN = "admin"


ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.APPLICANT.value)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # When the owner proved the address is theirs (ASVS 2.2.3, no enumeration through registration). Self-registration
    # leaves it empty until the link e-mailed to the address is opened (portal/accounts/confirmation.py); accounts
    # made any other way (an invitation link, which the address received; an operator; the demo) are confirmed when
    # they are made (see __init__). An unconfirmed account cannot sign in.
    email_confirmed_at: Mapped[dt.datetime | None]
    # Two-factor authentication (TOTP, RFC 6238; portal/accounts/two_factor.py): the shared secret (base32), set at
    # enrolment and confirmed by a first code, stored encrypted (Fernet, keys in DATA_ENCRYPTION_KEYS,
    # portal/core/crypto.py); the last time step accepted (a code is good once); the SHA-256 of each unused
    # recovery code (random codes, kept hashed, never encrypted: nothing needs them back).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText(255))
    totp_enabled_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None]
    recovery_code_hashes: Mapped[list[str] | None] = mapped_column(JSON)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    # The number of unread notifications, read by the statement that loads the signed-in user at the start of a
    # request (portal/__init__.py, load_user), so the page header does not ask again; None when the user was loaded
    # otherwise, after a commit or rollback, or once notifications.operations changed it (then it is counted).
    unread_at_load: Mapped[int | None] = query_expression()

    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),)

    def __init__(self, **kwargs) -> None:
        # Confirmed unless the caller says otherwise (self-registration passes email_confirmed_at=None). Not a
        # column default: the ORM would apply a default to an explicit None as well.
        kwargs.setdefault("email_confirmed_at", utcnow())
        super().__init__(**kwargs)

    # -- passwords (argon2id through argon2-cffi) --
    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return ok

    def password_state(self) -> str:
        """A fingerprint of the current password: reset links signed with it die once it changes."""
        return hashlib.sha256((self.password_hash or "unset").encode()).hexdigest()[:16]

    def session_state(self) -> str:
        """A fingerprint of what a session was opened with: the password, the role and two-factor authentication.
        A change to any of them (a new password, a role given or taken by an administrator, 2FA turned on or off)
        ends every session opened before it (ASVS 3.3.1, 3.2.1); the session that made the change is renewed."""
        enabled = self.totp_enabled_at.isoformat() if self.totp_enabled_at else "off"
        material = f"{self.password_hash or 'unset'}|{self.role}|{enabled}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    # -- two-factor authentication --
    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def two_factor_required(self) -> bool:
        """Programme managers and administrators must use two-factor authentication (config
        TWO_FACTOR_REQUIRED_ROLES); others may."""
        from flask import current_app

        return self.role in current_app.config.get("TWO_FACTOR_REQUIRED_ROLES", (Role.MANAGER, Role.ADMIN))

    # -- Flask-Login --
    def get_id(self) -> str:
        """The session carries the account's fingerprint too (`session_state`): changing or resetting the
        password, the role or two-factor authentication ends every other session of the account (see the user
        loader in portal/__init__.py)."""
        return f"{self.id}:{self.session_state()}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    # -- roles --
    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_staff(self) -> bool:
        """Programme managers and administrators run calls and see the whole portfolio."""
        return self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_evaluator(self) -> bool:
        return self.role == Role.EVALUATOR

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.memberships]

    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Invitation(db.Model):
    """A one-time link that lets a person set a password and join: as staff (manager, evaluator) invited by an
    admin, or as a colleague joining an organisation."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation | None] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.accepted_at is None and (now or utcnow()) < self.expires_at
