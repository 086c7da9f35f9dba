"""Personal API tokens for the read-only JSON API: managers create and revoke them; only a hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the token, shown in lists so that people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the whole token (the token itself is shown once, at creation, and never stored).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at

    # Tokens are personal: only their owner sees and revokes them (others may not know they exist).
    def can_view(self, user: User) -> bool:
        return bool(user.is_authenticated) and user.id == self.user_id

    def can_revoke(self, user: User) -> bool:
        return self.can_view(user)

    @staticmethod
    def hash_token(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
