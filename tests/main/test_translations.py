"""Every message a person reads exists in French: extracted afresh from the code and templates, each must be in
the French catalogue, translated, not fuzzy, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def _extract(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return read_po(fh)


def test_french_catalogue_is_complete(tmp_path):
    with CATALOGUE.open("rb") as fh:
        french = read_po(fh, locale="fr")
    extracted = _extract(tmp_path)
    missing, untranslated, fuzzy = [], [], []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id)
        if translated is None:
            missing.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
        elif not (translated.string if isinstance(translated.string, str) else all(translated.string)):
            untranslated.append(message.id)
    assert not missing, (
        f"{len(missing)} messages are not in the French catalogue (make extract-messages): {missing[:10]}"
    )
    assert not fuzzy, f"{len(fuzzy)} French messages are fuzzy: {fuzzy[:10]}"
    assert not untranslated, f"{len(untranslated)} messages have no French translation: {untranslated[:10]}"


def test_french_placeholders_match():
    with CATALOGUE.open("rb") as fh:
        french = read_po(fh, locale="fr")
    problems = [(message.id, errors) for message, errors in french.check() if errors]
    assert not problems, problems[:10]


def test_french_punctuation_has_its_narrow_no_break_space():
    """French puts a narrow no-break space (U+202F) before : ; ! ? and », and after «: never a plain space, which
    would let the sign start a line, nor sometimes a wider no-break space (U+00A0), which looks uneven beside it."""
    with CATALOGUE.open("rb") as fh:
        french = read_po(fh, locale="fr")
    wrong = re.compile("[ \u00a0][:;!?\u00bb]|\u00ab[ \u00a0]")
    problems = []
    for message in french:
        if not message.id:
            continue  # the header
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        problems += [(message.id, text) for text in texts if wrong.search(text)]
    assert not problems, f"{len(problems)} French messages: {problems[:5]}"


def test_pages_render_in_french(app, client):
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Sign in") == "Se connecter"
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 200
    assert 'lang="fr"' in response.get_data(as_text=True)
