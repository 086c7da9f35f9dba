"""More languages by adding a catalogue, not by changing code: the list comes from translations/, right-to-left
languages get dir="rtl", and the switcher offers every other language."""

from __future__ import annotations

import config
from portal.core.i18n import text_direction


def test_the_languages_are_english_and_every_catalogue(tmp_path, monkeypatch):
    for code in ("fr", "pt", "ar"):
        (tmp_path / "translations" / code / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(config, "BASE_DIR", tmp_path)
    monkeypatch.delenv("LANGUAGES", raising=False)
    assert config._languages() == ("en", "ar", "fr", "pt")
    monkeypatch.setenv("LANGUAGES", "en, fr")
    assert config._languages() == ("en", "fr")


def test_arabic_is_written_right_to_left(app):
    with app.test_request_context():
        assert text_direction("ar") == "rtl" and text_direction("fr") == "ltr"


def test_pages_say_their_direction_and_offer_the_other_languages(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert 'action="/language/fr"' in page and 'lang="fr"' in page and ">Français</button>" in page
    client.post("/language/fr", data={"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page and ">English</button>" in page
