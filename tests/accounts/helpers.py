"""Small helpers shared by the accounts, admin and organisations tests."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.accounts import models
from portal.core.audit import AuditEntry
from portal.extensions import db

_LINK = re.compile(r"https?://\S+")


def link_in(message) -> str:
    """The path of the (only) link in an e-mail, ready for the test client."""
    links = _LINK.findall(message.text)
    assert len(links) == 1, links
    return urlsplit(links[0]).path


def audit_actions(object_type: str | None = None, object_id=None) -> list[str]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    return [e.action for e in db.session.scalars(query)]


def last_audit(action: str) -> AuditEntry:
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None, f"no audit entry {action}"
    return entry


def text_of(response) -> str:
    """The page as text with HTML entities decoded, so that assertions read like what the user sees."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Argon2 with its cheapest parameters: still real hashing and verification, a hundred times faster."""
    monkeypatch.setattr(models, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
