"""The portfolio's small world (calls, proposals, grants, organisations and their contacts) serves the search too."""

from tests.portfolio.conftest import (  # noqa: F401 - fixtures
    _fresh_login_per_request,
    build_world,
    make_grant,
    staff_client,
    world,
)
