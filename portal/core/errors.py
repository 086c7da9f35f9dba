"""The base of the errors that operations raise when a rule is broken: they carry messages a person can read,
each tied to a form field where there is one, so that a route can show them next to what the user typed."""

from __future__ import annotations


class RuleError(ValueError):
    """A broken rule. `errors` is a list of (field name or None, message)."""

    def __init__(self, message_or_errors: str | list[tuple[str | None, str]], field: str | None = None) -> None:
        if isinstance(message_or_errors, list):
            self.errors = [(f, str(m)) for f, m in message_or_errors]
        else:
            self.errors = [(field, str(message_or_errors))]
        super().__init__(" ".join(m for _f, m in self.errors))

    @property
    def messages(self) -> list[str]:
        return [m for _f, m in self.errors]
