"""The dashboard: each headline figure equals the count computed here from the plain data, for several filter
combinations; the charts render with their text alternatives; bad filters give a message; a constant number of
queries."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from sqlalchemy import event

from portal.extensions import db
from portal.portfolio import queries
from portal.portfolio.filters import PortfolioFilters
from tests.portfolio.conftest import AFRICA_TEST, EUROPE_TEST, ORGS, SPEC, Spec

IMPLEMENTING = ("lead", "co")


def _implementing(spec: Spec) -> list[str]:
    return [spec.lead, *spec.co]


def _admitted(spec: Spec, world, f: dict) -> bool:
    """The filters' meaning, written again in plain Python over the plain data."""
    call_refs = {k: c.reference for k, c in world.calls.items()}
    if f.get("call") and call_refs[spec.call] not in f["call"]:
        return False
    if f.get("dialogue") and not set(spec.dialogues) & set(f["dialogue"]):
        return False
    if f.get("domain") and not set(spec.domains) & set(f["domain"]):
        return False
    if f.get("country") and not set(spec.countries) & set(f["country"]):
        return False
    if f.get("organisation"):
        ids = {world.orgs[k].id for k in [spec.lead, *spec.co, *spec.associated]}
        if not ids & set(f["organisation"]):
            return False
    if f.get("status") and spec.status not in f["status"]:
        return False
    return not (f.get("year") and spec.year not in f["year"])


def expected(world, f: dict) -> dict:
    chosen = [s for s in SPEC if _admitted(s, world, f)]
    south_north = south_south = 0
    for s in chosen:
        homes = [ORGS[k][0] for k in _implementing(s)]
        african = {c for c in homes if c in AFRICA_TEST}
        european = {c for c in homes if c in EUROPE_TEST}
        south_north += bool(african and european)
        south_south += len(african) >= 2
    return {
        "grants": len(chosen),
        "amount_awarded": sum((Decimal(s.amount) for s in chosen), Decimal("0.00")),
        "amount_paid": sum((Decimal(a) for s in chosen for _d, a in s.paid), Decimal("0.00")),
        "countries": len({c for s in chosen for c in s.countries}),
        "implementing_organisations": len({k for s in chosen for k in _implementing(s)}),
        "south_north": south_north,
        "south_south": south_south,
    }


def _filters(world, f: dict) -> PortfolioFilters:
    return PortfolioFilters(
        calls=f.get("call", []),
        dialogues=f.get("dialogue", []),
        domains=f.get("domain", []),
        countries=f.get("country", []),
        organisations=f.get("organisation", []),
        statuses=f.get("status", []),
        years=f.get("year", []),
    )


COMBINATIONS = [
    {},
    {"country": ["SN"]},
    {"country": ["SN", "NE"]},
    {"dialogue": ["rabat"]},
    {"domain": [2]},
    {"domain": [4], "dialogue": ["khartoum"]},
    {"status": ["active"], "year": [2025]},
    {"year": [2026]},
    {"call": ["B"]},
    {"organisation": ["fr"]},  # the lead of g2 and the associated entity of g1
    {"organisation": ["gb", "sn1"]},
    {"country": ["ZA"]},  # nothing
]


def _resolve(world, f: dict) -> dict:
    f = dict(f)
    if "call" in f:
        f["call"] = [world.calls[k].reference for k in f["call"]]
    if "organisation" in f:
        f["organisation"] = [world.orgs[k].id for k in f["organisation"]]
    return f


def _query_string(f: dict) -> list[tuple[str, str]]:
    return [(name, str(v)) for name, values in f.items() for v in values]


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><dt>[^<]*</dt><dd>([^<]*)</dd>', html)
    assert match, f"figure {name} not on the page"
    return match.group(1)


@pytest.mark.parametrize("combination", COMBINATIONS, ids=lambda c: repr(c))
def test_each_figure_equals_the_independent_count(world, session, staff_client, combination):
    f = _resolve(world, combination)
    want = expected(world, f)
    got = queries.summary(_filters(world, f))
    assert {name: getattr(got, name) for name in want} == want

    response = staff_client.get("/portfolio", query_string=_query_string(f))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("grants", "countries", "implementing_organisations", "south_north", "south_south"):
        assert _figure(html, name) == format_decimal(want[name], locale="en")
    for name in ("amount_awarded", "amount_paid"):
        assert _figure(html, name) == format_currency(want[name], "EUR", locale="en")


def test_the_fixture_covers_every_kind_of_partnership(world):
    want = expected(world, {})
    assert want["grants"] == 6
    assert want["south_north"] == 3  # g2, g3, g6
    assert want["south_south"] == 2  # g1, g3
    assert want["implementing_organisations"] == 9  # every organisation is lead or co-beneficiary somewhere
    # The associated entity alone does not make g1 a South–North partnership.
    assert (
        queries.summary(_filters(world, {"organisation": [world.orgs["fr"].id], "dialogue": ["rabat"]})).south_north
        == 1
    )


def test_breakdowns_by_domain_dialogue_and_country(world):
    f = PortfolioFilters()
    domains = {s.obj.number: (s.grants, s.amount) for s in queries.by_domain(f)}
    for number in range(1, 6):
        chosen = [s for s in SPEC if number in s.domains]
        assert domains[number] == (len(chosen), sum((Decimal(s.amount) for s in chosen), Decimal("0.00")))
    dialogues = {s.key: (s.grants, s.amount) for s in queries.by_dialogue(f)}
    for code in ("rabat", "khartoum", "jvap", "c2cmmd"):
        chosen = [s for s in SPEC if code in s.dialogues]
        assert dialogues[code] == (len(chosen), sum((Decimal(s.amount) for s in chosen), Decimal("0.00")))
    per_country = {s.key: (s.grants, s.amount) for s in queries.by_country(f)}
    # Senegal: g1 at 60% of 150,000, g2 whole (one country, no share), g4 whole.
    assert per_country["SN"] == (3, Decimal("90000.00") + Decimal("80000.50") + Decimal("55000.00"))
    # Niger: half of g3, all of g6. Morocco: a third of g5 (equal split, no shares).
    assert per_country["NE"] == (2, Decimal("100000.00") + Decimal("120000.00"))
    assert per_country["MA"] == (1, Decimal("33333.33"))
    assert set(per_country) == {c for s in SPEC for c in s.countries}


def test_payments_over_time_by_quarter_and_month(world):
    quarters = {p.key: (p.paid, p.payments, p.planned) for p in queries.payments_over_time(PortfolioFilters())}
    assert quarters["2025-Q1"] == (Decimal("60000.00"), 1, Decimal("0.00"))
    assert quarters["2025-Q2"] == (Decimal("64000.40"), 1, Decimal("0.00"))
    assert quarters["2025-Q4"] == (Decimal("30000.00"), 1, Decimal("0.00"))
    assert quarters["2026-Q1"] == (Decimal("140000.00"), 2, Decimal("0.00"))
    assert quarters["2026-Q2"] == (Decimal("0.00"), 0, Decimal("60000.00"))
    assert quarters["2027-Q1"] == (Decimal("0.00"), 0, Decimal("24000.00"))
    months = [p.key for p in queries.payments_over_time(PortfolioFilters(), "month")]
    assert months == ["2025-03", "2025-04", "2025-11", "2026-02", "2026-06", "2027-01"]
    # The filters apply to payments too.
    only_b = queries.payments_over_time(PortfolioFilters(calls=[world.calls["B"].reference]))
    assert sum((p.paid for p in only_b), Decimal(0)) == Decimal("140000.00")


def test_charts_render_with_their_text_alternatives(world, staff_client):
    html = staff_client.get("/portfolio").get_data(as_text=True)
    for section in ("chart-domains", "chart-dialogues", "chart-countries", "chart-payments"):
        part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
        assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+-title [^"]+-desc"', part), section
        assert "<title id=" in part and "<desc id=" in part
        assert "<table>" in part
    # The map holds links to the countries' pages: a group, not one image hiding them (axe: nested-interactive).
    assert re.search(r'<svg[^>]*class="africa-map"[^>]*role="group"', html)
    # The tables carry the figures: domain 2 holds g1 and g2.
    domains = html.split('id="chart-domains"', 1)[1].split("</section>", 1)[0]
    assert format_currency(Decimal("230000.50"), "EUR", locale="en") in domains
    # No script and nothing from elsewhere.
    assert "<script" not in html and "kozea.github.io" not in html
    # The maps: Senegal shaded at the darkest level of grants (3, the most), linked to its page, and named.
    assert html.count('class="africa-map"') == 2
    assert "<title>Senegal: 3 grants</title>" in html
    assert re.search(
        r'<a href="/portfolio/countries/SN"[^>]*><g class="map-country" data-country="SN" fill="#08519c"', html
    )
    # A country without a grant is grey and not a link.
    assert re.search(r'<g class="map-country" data-country="ZA" fill="#e3e5e8"', html)
    # Countries outside Africa are named as not drawn.
    assert "Not drawn on the map, see the table: Spain." in html
    # The outlines are written once, hidden, and both maps draw every country from them.
    assert html.count('class="map-outlines"') == 1 and html.count('<g id="map-outline-SN">') == 1
    defined = set(re.findall(r'<g id="(map-outline-[A-Z]{2})">', html))
    used = re.findall(r'<use href="#(map-outline-[A-Z]{2})"/>', html)
    assert len(used) == 2 * len(defined) and set(used) == defined


def test_charts_follow_the_filters(world, staff_client):
    html = staff_client.get("/portfolio", query_string={"country": "KE"}).get_data(as_text=True)
    assert "<title>Kenya: 1 grant</title>" in html
    assert "<title>Senegal: 0 grants</title>" not in html or 'data-country="SN" fill="#e3e5e8"' in html
    domains = html.split('id="chart-domains"', 1)[1].split("</section>", 1)[0]
    assert format_currency(Decimal("200000.00"), "EUR", locale="en") in domains
    assert format_currency(Decimal("230000.50"), "EUR", locale="en") not in domains


def test_no_grant_gives_messages_not_empty_charts(session, make_user, login, client):
    login(client, make_user("manager"))
    html = client.get("/portfolio").get_data(as_text=True)
    assert "No grant matches: nothing to chart." in html
    assert "africa-map" not in html


def test_bad_filters_are_named_on_the_page(world, staff_client):
    response = staff_client.get(
        "/portfolio",
        query_string=[("country", "XX"), ("domain", "9"), ("year", "soon"), ("period", "decade"), ("status", "active")],
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Some filters could not be used" in html
    assert "“XX” is not a country code" in html
    assert "“9” is not a JVAP domain" in html
    assert "“soon” is not a year" in html
    assert "Payments can be shown by month or by quarter." in html
    # The good filter still applies: the active grants only.
    assert _figure(html, "grants") == str(sum(1 for s in SPEC if s.status == "active"))


def test_the_filter_form_keeps_the_choices(world, staff_client):
    html = staff_client.get(
        "/portfolio", query_string=[("country", "SN"), ("organisation", str(world.orgs["ml"].id))]
    ).get_data(as_text=True)
    assert '<option value="SN" selected>' in html
    assert f'<option value="{world.orgs["ml"].id}" selected>' in html
    # The exports carry the same filters.
    assert re.search(r'href="/portfolio/export\.csv\?[^"]*country=SN', html)


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def statements(fn) -> int:
    counter = _Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def test_pages_issue_the_same_number_of_queries_for_small_and_larger_portfolios(
    build_world, make_grant, staff_client_factory
):
    world = build_world(spec=SPEC[:2])
    client = staff_client_factory(world.manager)
    org = world.orgs["sn1"].id
    urls = [
        "/portfolio",
        "/portfolio?country=SN&period=month",
        "/portfolio/countries/SN",
        f"/portfolio/organisations/{org}",
        "/portfolio/export.csv",
        "/portfolio/export.xlsx",
    ]

    def run(url):
        def go():
            response = client.get(url)
            assert response.status_code == 200
            response.get_data()

        return go

    for url in urls:
        run(url)()  # warm-up: caches that fill once per process
    small = {url: statements(run(url)) for url in urls}
    # Four times as many grants, with more organisations, countries, payments.
    for _round in range(3):
        for spec in SPEC:
            make_grant(spec, world.calls[spec.call], world.orgs)
    db.session.expire_all()
    for url in urls:
        run(url)()  # the same warm state as before (the signed-in user loaded again after the new commits)
    large = {url: statements(run(url)) for url in urls}
    assert small == large


@pytest.fixture
def staff_client_factory(app, login):
    def make(user):
        return login(app.test_client(), user)

    return make
