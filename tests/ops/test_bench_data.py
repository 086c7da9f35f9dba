"""The benchmark's generated facility is one the portal can use (scripts/bench): its people sign in (the manager with
a second factor, enrolled through the portal's own operations) and the automatic assignment finds evaluators for
every eligible proposal of BENCH-ASSIGN. A small scale, on PostgreSQL (COPY), so a change of the models that the
generator does not follow fails here rather than in the middle of `make bench`."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal.extensions import db

pytestmark = pytest.mark.committed  # a database of its own, outside the test transaction


@pytest.fixture
def bench_database(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the generator writes with PostgreSQL's COPY (runs under CI)")
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = f"portal_bench_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _signed_in(response) -> bool:
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def test_the_generated_facility_signs_in_and_assigns(other_app, bench_database, tmp_path, monkeypatch):
    import scripts.bench.__main__ as bench
    from scripts.bench import assign
    from scripts.bench.generate import ASSIGN_CALL, BENCH_PASSWORD, DOMAIN, Sizes, generate

    monkeypatch.setattr(bench, "WORKDIR", tmp_path)
    portal = other_app(SQLALCHEMY_DATABASE_URI=bench_database, TWO_FACTOR_REQUIRED_ROLES=("manager", "admin"))
    with portal.app_context():
        upgrade()
    try:
        generate(portal, Sizes.at(0.02))

        client = portal.test_client()
        for email in (f"bench-applicant-0001@{DOMAIN}", f"bench-evaluator-001@{DOMAIN}"):
            assert _signed_in(portal.test_client().post("/login", data={"email": email, "password": BENCH_PASSWORD}))

        manager = f"bench-manager-1@{DOMAIN}"
        secret = bench.manager_second_factor(portal, manager)
        first = client.post("/login", data={"email": manager, "password": BENCH_PASSWORD})
        assert first.status_code == 302 and "/login/two-factor" in first.headers["Location"]
        code = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment spent this step's code
        assert _signed_in(client.post("/login/two-factor", data={"code": code}))
        assert client.get("/manage/calls/1/ranking").status_code == 200

        result = assign.bench_assignment(portal, ASSIGN_CALL)
        assert result.error == ""
        assert result.proposals > 0 and result.pairs == result.proposals * assign.PER_PROPOSAL
        assert result.unassignable == 0 and result.spread <= 1
    finally:
        with portal.app_context():
            db.session.remove()
            db.engine.dispose()
