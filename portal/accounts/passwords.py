"""Passwords people must not choose (ASVS 2.1.7): the 30,000 most common passwords of the zxcvbn package
(https://github.com/dwolfhub/zxcvbn-python, MIT licence; the list its authors compiled from leaked password
sets), compared without regard to case or surrounding spaces, together with passwords made of the person's own
e-mail address or name."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _squeezed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def password_problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """Why this password may not be used, in words for the person choosing it; None when it is acceptable."""
    candidate = (password or "").strip().lower()
    if candidate in common_passwords():
        return _("This password is one of the most commonly used ones and is easy to guess. Choose another.")
    squeezed = _squeezed(password or "")
    own = {_squeezed(email), _squeezed(email.partition("@")[0]), _squeezed(full_name)}
    if squeezed and any(len(word) >= 4 and (word in squeezed and len(squeezed) - len(word) <= 4) for word in own):
        return _("Your password must not be based on your e-mail address or your name. Choose another.")
    return None
