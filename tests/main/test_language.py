"""The language switch on every page: remembered for the session, saved (and audited) for a signed-in user."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.audit import AuditEntry


def test_switching_language_changes_the_page_and_comes_back(client):
    response = client.post("/language/fr", data={"next": "/calls"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/calls")
    page = client.get("/calls").get_data(as_text=True)
    assert 'lang="fr"' in page and "Appels à propositions" in page


def test_the_switch_never_sends_people_off_site(client):
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/", "/\t/evil.example"):
        response = client.post("/language/fr", data={"next": target})
        assert response.headers["Location"] == "/", target


def test_a_signed_in_users_choice_is_saved_and_audited(client, login, make_user, session):
    user = make_user()
    login(client, user)
    client.post("/language/fr", data={"next": "/"})
    session.expire_all()
    assert user.locale == "fr"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.language_changed"))
    assert entry.before == {"locale": "en"} and entry.after == {"locale": "fr"}
    assert entry.actor_id == user.id
