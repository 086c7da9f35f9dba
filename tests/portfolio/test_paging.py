"""The country and organisation pages show their lists a page at a time (the exports list everything); the
dashboard's charts are drawn once per set of figures and language; its organisation filter lists plain rows."""

from __future__ import annotations

import re

from portal.portfolio import charts, queries
from tests.portfolio.conftest import SPEC


def _grant_numbers(world, html: str) -> list[str]:
    return [g.agreement_number for g in world.grants.values() if g.agreement_number in html]


def test_country_page_pages_its_grants_and_organisations(world, staff_client, monkeypatch):
    monkeypatch.setattr(queries, "GRANTS_PER_PAGE", 1)
    monkeypatch.setattr(queries, "ORGANISATIONS_PER_PAGE", 2)
    in_senegal = sorted(world.grants[s.key].agreement_number for s in SPEC if "SN" in s.countries)
    assert len(in_senegal) > 1
    seen = []
    for number in range(1, len(in_senegal) + 1):
        html = staff_client.get("/portfolio/countries/SN", query_string={"page": number}).get_data(as_text=True)
        shown = _grant_numbers(world, html)
        assert len(shown) == 1
        seen += shown
        assert f"Grants {number} to {number} of {len(in_senegal)}, in agreement order." in html
        assert f"Page {number} of {len(in_senegal)}" in html
    assert seen == in_senegal  # each grant once, in agreement order

    first = staff_client.get("/portfolio/countries/SN").get_data(as_text=True)
    total = int(re.search(r"Organisations 1 to 2 of (\d+), most grants first\.", first).group(1))
    assert total == 4  # sn1, sn2, ml, fr (see test_pages)
    assert 'href="/portfolio/countries/SN?page=1&amp;organisations_page=2"' in first
    second = staff_client.get("/portfolio/countries/SN", query_string={"organisations_page": 2}).get_data(as_text=True)
    assert "Organisations 3 to 4 of 4, most grants first." in second
    names = {key: world.orgs[key].legal_name for key in ("sn1", "sn2", "ml", "fr")}
    on_first = {k for k, name in names.items() if name in first.split("<h2>Implementing organisations</h2>", 1)[1]}
    on_second = {k for k, name in names.items() if name in second.split("<h2>Implementing organisations</h2>", 1)[1]}
    assert len(on_first) == len(on_second) == 2 and on_first | on_second == set(names)


def test_organisation_page_pages_its_grants(world, staff_client, monkeypatch):
    monkeypatch.setattr(queries, "GRANTS_PER_PAGE", 1)
    fr = world.orgs["fr"]
    html = staff_client.get(f"/portfolio/organisations/{fr.id}").get_data(as_text=True)
    assert "Grants 1 to 1 of 2, in agreement order." in html and len(_grant_numbers(world, html)) == 1
    last = staff_client.get(f"/portfolio/organisations/{fr.id}", query_string={"page": 9}).get_data(as_text=True)
    assert "Grants 2 to 2 of 2" in last and _grant_numbers(world, last) != _grant_numbers(world, html)


def _bar_charts(html: str) -> list[str]:
    return re.findall(r'<svg[^>]*class="pygal-chart".*?</svg>', html, flags=re.S)


def test_a_chart_is_drawn_once_per_figures_and_language(world, staff_client, monkeypatch):
    charts._drawn.clear()
    drawn = []
    real = charts.pygal.HorizontalBar

    def counting(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(charts.pygal, "HorizontalBar", counting)
    first = staff_client.get("/portfolio").get_data(as_text=True)
    bars = len(drawn)
    assert bars == 3  # domains, dialogues, countries
    again = staff_client.get("/portfolio").get_data(as_text=True)
    assert len(drawn) == bars  # the same figures: nothing drawn again, the same drawings shown
    assert _bar_charts(again) == _bar_charts(first) and len(_bar_charts(first)) == 4  # and payments
    staff_client.get("/portfolio", query_string={"year": "2026"})
    assert len(drawn) > bars  # other figures, other drawings


def test_the_organisation_filter_names_organisations_as_elsewhere(world, staff_client):
    html = staff_client.get("/portfolio").get_data(as_text=True)
    sn1 = world.orgs["sn1"]
    assert f'<option value="{sn1.id}">{sn1.name}</option>' in html
    assert sn1.name == "Association Jeunesse et Migration (AJM)"
