"""The grant fixtures of tests/grants, for the concurrent-edit tests of a grant."""

from tests.grants.conftest import _fresh_login_per_request, awarded, consortium  # noqa: F401 - fixtures
