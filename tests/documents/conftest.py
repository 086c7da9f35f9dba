from tests.grants.conftest import _fresh_login_per_request, awarded, consortium, in_request  # noqa: F401
