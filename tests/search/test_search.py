"""The staff's search: each kind found by reference, title, organisation name or acronym, country or person;
grouped by kind; limited per kind; a constant number of queries; staff only. Runs on SQLite (LIKE) and, under
CI, on PostgreSQL (full-text search)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.search import queries
from tests.portfolio.conftest import SPEC
from tests.portfolio.test_dashboard import statements


def found(results, kind: str) -> set:
    return set(getattr(results, kind))


def test_finds_calls_proposals_and_grants_by_reference(world):
    results = queries.search(world.calls["A"].reference)
    assert found(results, "calls") == {world.calls["A"]}
    a_grants = {world.grants[s.key] for s in SPEC if s.call == "A"}
    assert found(results, "grants") == a_grants
    assert found(results, "proposals") == {g.proposal for g in a_grants}
    # Part of an agreement number.
    g4 = world.grants["g4"]
    assert found(queries.search(g4.agreement_number[-7:]), "grants") >= {g4}
    assert found(queries.search(g4.agreement_number), "grants") == {g4}


def test_finds_by_words_of_a_title_in_any_case_and_as_prefixes(world):
    results = queries.search("DIASPORA invest")
    assert found(results, "grants") == {world.grants["g1"]}
    assert found(results, "proposals") == {world.grants["g1"].proposal}
    assert found(queries.search("reintegr dakar"), "grants") == {world.grants["g4"]}
    # Every word must match.
    assert not queries.search("diaspora dakar").grants


def test_finds_organisations_by_name_or_acronym_and_what_they_take_part_in(world):
    by_name = queries.search("Institut Malien")
    assert found(by_name, "organisations") == {world.orgs["ml"]}
    # ML is co-beneficiary of g1 and lead of g6.
    assert found(by_name, "grants") == {world.grants["g1"], world.grants["g6"]}
    assert world.grants["g6"].proposal in found(by_name, "proposals")
    by_acronym = queries.search("IMR")
    assert world.orgs["ml"] in found(by_acronym, "organisations")
    assert found(by_acronym, "grants") == {world.grants["g1"], world.grants["g6"]}


@pytest.mark.parametrize("query", ["Kenya", "kenya", "KE"])
def test_finds_by_country_name_or_code(world, query):
    results = queries.search(query)
    assert world.orgs["ke"] in found(results, "organisations")
    assert world.grants["g3"] in found(results, "grants")


def test_country_names_in_french_with_or_without_accents(world):
    for query in ("Sénégal", "senegal", "SN"):
        results = queries.search(query)
        assert {world.orgs["sn1"], world.orgs["sn2"]} <= found(results, "organisations"), query
        assert {world.grants[s.key] for s in SPEC if "SN" in s.countries} <= found(results, "grants"), query
        # The test calls are open to Senegal (among others).
        assert {world.calls["A"], world.calls["B"]} <= found(results, "calls"), query


def test_finds_by_person_name_or_email(world):
    for query in ("Contact of NMRC", "ke.contact@nmrc.example"):
        results = queries.search(query)
        assert found(results, "organisations") == {world.orgs["ke"]}, query
        assert found(results, "grants") == {world.grants["g3"]}, query


def test_nothing_found_and_per_kind_limit(world):
    assert queries.search("zzqqxx").total == 0
    results = queries.search("CFP-PF", limit=2)
    assert len(results.grants) == 2 and "grants" in results.more
    assert len(results.calls) == 2 and "calls" not in results.more


def test_like_wildcards_are_taken_literally(world, session):
    from portal.calls.models import Call

    def count(query):
        return session.scalar(db.select(db.func.count(Call.id)).where(queries.substring_match([Call.reference], query)))

    assert count("PF-A") == 1
    assert count("PF_A") == 0 and count("PF%A") == 0
    # A query without letters or digits searches nothing.
    assert queries.search("%_%").total == 0


def test_the_page_groups_results_by_kind_with_links(world, staff_client):
    response = staff_client.get("/search", query_string={"q": "Institut Malien"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for kind in ("organisations", "grants", "proposals"):
        assert f'id="results-{kind}"' in html
    assert 'id="results-calls"' not in html
    assert f'href="/grants/{world.grants["g6"].id}"' in html
    assert f'href="/organisations/{world.orgs["ml"].id}"' in html
    assert f'href="/proposals/{world.grants["g6"].proposal_id}"' in html
    calls = staff_client.get("/search", query_string={"q": world.calls["B"].reference}).get_data(as_text=True)
    assert f'href="/manage/calls/{world.calls["B"].id}"' in calls
    empty = staff_client.get("/search", query_string={"q": "zzqqxx"}).get_data(as_text=True)
    assert "Nothing found for “zzqqxx”." in empty


def test_bad_queries_get_a_message(world, staff_client):
    response = staff_client.get("/search", query_string={"q": "x" * 201})
    assert response.status_code == 400
    assert "Search for at most 200 characters." in response.get_data(as_text=True)
    response = staff_client.get("/search", query_string={"q": "--"})
    assert response.status_code == 400
    assert "Type at least 2 letters or digits." in response.get_data(as_text=True)
    assert staff_client.get("/search").status_code == 200


@pytest.mark.parametrize("role", ["applicant", "evaluator"])
def test_search_is_for_staff_only(world, app, login, make_user, role):
    client = login(app.test_client(), make_user(role))
    assert client.get("/search", query_string={"q": "Senegal"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/search", query_string={"q": "Senegal"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_query_count_does_not_grow_with_the_results(build_world, make_grant, app, login):
    world = build_world(spec=SPEC[:1])
    client = login(app.test_client(), world.manager)
    queries_to_try = ["Senegal", "CFP-PF", "Contact", "diaspora"]

    def run():
        for q in queries_to_try:
            assert client.get("/search", query_string={"q": q}).status_code == 200

    run()  # warm-up
    small = statements(run)
    for _round in range(4):
        for spec in SPEC:
            make_grant(spec, world.calls[spec.call], world.orgs)
    db.session.expire_all()
    run()
    large = statements(run)
    assert small == large


def test_accents_and_case_do_not_matter(world):
    # "Réseau Sénégalais des Diasporas" and "Collectif Nigérien pour la Mobilité".
    for query in ("reseau senegalais", "RÉSEAU SÉNÉGALAIS", "réseau sénégal"):
        assert found(queries.search(query), "organisations") == {world.orgs["sn2"]}, query
    assert found(queries.search("nigerien mobilite"), "organisations") == {world.orgs["ne"]}
    assert found(queries.search("Nigérien"), "organisations") == {world.orgs["ne"]}
