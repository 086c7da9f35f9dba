"""The API tokens page: managers create named tokens (shown once), list and revoke their own; nobody else's."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.api.models import ApiToken
from portal.api.operations import MAX_ACTIVE_TOKENS, create_token


def test_create_shows_the_token_once_and_stores_only_its_hash(client, login, make_user, session):
    manager = make_user("manager")
    login(client, manager)
    page = client.get("/account/api-tokens")
    assert page.status_code == 200 and "You have no API token yet." in page.text
    response = client.post("/account/api-tokens", data={"name": "Monitoring sheet", "expires_in_days": "90"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(gfp_[^"]+)"', response.text).group(1)
    assert "shown only this once" in response.text
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == manager.id))
    assert row.name == "Monitoring sheet" and row.expires_at is not None
    assert row.token_hash == ApiToken.hash_token(secret) and secret.startswith(row.prefix)
    assert secret not in row.prefix
    # the token works, and the list never shows it again
    assert client.get("/api/v1/grants", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/account/api-tokens").text
    assert secret not in listing and row.prefix in listing and "Monitoring sheet" in listing


def test_bad_names_are_explained(client, login, make_user, session):
    manager = make_user("manager")
    login(client, manager)
    response = client.post("/account/api-tokens", data={"name": "  ", "expires_in_days": "never"})
    assert response.status_code == 400
    assert "Give the token a name" in response.text
    client.post("/account/api-tokens", data={"name": "Sheet", "expires_in_days": "never"})
    response = client.post("/account/api-tokens", data={"name": "sheet", "expires_in_days": "30"})
    assert response.status_code == 400
    assert "You already have a token named “sheet”" in response.text
    assert 'value="sheet"' in response.text  # what was typed is kept
    assert session.scalar(select(ApiToken).where(ApiToken.name == "Sheet")).expires_at is None


def test_active_tokens_are_limited(make_user, session):
    manager = make_user("manager")
    for n in range(MAX_ACTIVE_TOKENS):
        create_token(manager, f"T{n}", 30, by=manager)
    import pytest

    from portal.api.operations import ApiTokenError

    with pytest.raises(ApiTokenError, match="revoke one"):
        create_token(manager, "One too many", 30, by=manager)


def test_revoke_own_tokens_only(client, login, make_user, session):
    manager, other = make_user("manager"), make_user("manager")
    mine, secret = create_token(manager, "Mine", 30, by=manager)
    theirs, _ = create_token(other, "Theirs", 30, by=other)
    session.commit()
    login(client, manager)
    assert client.post(f"/account/api-tokens/{theirs.id}/revoke").status_code == 404
    response = client.post(f"/account/api-tokens/{mine.id}/revoke", follow_redirects=True)
    assert "The token “Mine” is revoked" in response.text
    assert "revoked" in response.text
    session.refresh(mine)
    session.refresh(theirs)
    assert mine.revoked_at is not None and theirs.revoked_at is None
    again = client.post(f"/account/api-tokens/{mine.id}/revoke", follow_redirects=True)
    assert "This token was already revoked." in again.text
    assert client.get("/api/v1/grants", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_only_staff_reach_the_page(client, login, make_user):
    assert client.get("/account/api-tokens").status_code == 302
    for role, status in (("applicant", 403), ("evaluator", 403), ("manager", 200), ("admin", 200)):
        login(client, make_user(role))
        assert client.get("/account/api-tokens").status_code == status, role
