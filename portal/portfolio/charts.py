"""Charts of the portfolio as server-rendered SVG: light, shown without JavaScript, nothing fetched from elsewhere.

Bar charts come from pygal (a maintained SVG charting library; its tooltip script, which it would load from a
CDN, is switched off). The choropleth map of Africa is drawn from the country outlines that pygal_maps_world
ships (keyed by ISO 3166 alpha-2 code), keeping only the African Union member states: pygal's own World chart
draws the whole world and cannot be cropped to a continent, so the few lines that shade and frame Africa are
written here. Every chart carries an SVG <title> and <desc>; the pages put a table with the same figures under it.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from importlib import resources

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

from portal.core import countries

# The portal's palette (portal.css): text, lines, and a blue ramp for the series.
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#5b6470",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    value_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    colors=("#1f5fa8", "#9bbbe0", "#e0a526", "#2e7d4f", "#a33b3b"),
)
# ColorBrewer "Blues" (5 classes) for the map; countries without a grant in light grey.
MAP_LEVELS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
MAP_NONE = "#e3e5e8"
MAP_STROKE = "#ffffff"


def _accessible(svg: str, title: str, desc: str, role: str = "img") -> Markup:
    """`svg` with role="img", a <title> and a <desc> that screen readers announce. A drawing holding links (the map)
    is a role="group" instead: an image is one thing to assistive technology, and hides what it contains."""
    ident = f"chart-{uuid.uuid4().hex[:10]}"
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # pygal always writes its configuration for its (unused here) tooltip script as an inline script: drop it, and
    # its comments, so that the page carries no script at all.
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    end = svg.index(">")
    head, body = svg[:end], svg[end + 1 :]
    old = re.search(r'\sid="([^"]+)"', head)
    if old:
        # pygal's stylesheet names the chart by its random id: keep the two in step.
        head = head.replace(old.group(0), f' id="{ident}"')
        body = body.replace(f"#{old.group(1)}", f"#{ident}")
    else:
        head += f' id="{ident}"'
    # The SVG is pygal's (which escapes what it writes) or africa_map's (escaped names); title and desc are escaped.
    return Markup(  # noqa: S704
        f'{head} role="{role}" aria-labelledby="{ident}-title {ident}-desc" focusable="false">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>{body}'
    )


def _exact(value) -> Decimal:
    return Decimal(str(value))


def _config(**kw) -> dict:
    return {
        "style": STYLE,
        "js": [],  # pygal's tooltips script lives on a CDN: none here
        "disable_xml_declaration": True,
        "show_legend": False,
        "print_values": True,
        "truncate_label": -1,
        "truncate_legend": -1,
        "margin": 8,
        **kw,
    }


def _axis(chart, values: list, formatter, axis_formatter, integral: bool) -> None:
    """Printed values written exactly by `formatter`; the value axis by `axis_formatter` (short: "€150K"), with
    whole-number ticks for counts."""
    chart.formatter = lambda v: formatter(_exact(v))
    chart.value_formatter = lambda v: axis_formatter(_exact(v))
    top = int(max(values, default=0))
    if integral and top <= 12:
        chart.y_labels = list(range(0, top + 1))


def bar_chart(
    title: str,
    desc: str,
    labels: list[str],
    values: list[Decimal | int],
    formatter,
    axis_formatter=None,
    integral: bool = False,
) -> Markup:
    """One series of horizontal bars; `formatter` writes each value (money, a count) as the table under the chart
    does."""
    chart = pygal.HorizontalBar(**_config(width=720, height=max(170, 60 + 38 * len(labels))))
    # pygal draws the first bar at the bottom: reversed, the chart reads in the table's order, top down.
    chart.x_labels = list(reversed(labels))
    _axis(chart, values, formatter, axis_formatter or formatter, integral)
    # pygal draws floats; what is printed on each bar is written from the exact figure.
    chart.add(title, [float(v) for v in reversed(values)])
    return _accessible(chart.render(is_unicode=True), title, desc)


def series_chart(
    title: str, desc: str, labels: list[str], series: list[tuple[str, list[Decimal]]], formatter, axis_formatter=None
) -> Markup:
    """Several series of bars side by side (e.g. paid and still to pay per quarter), with a legend."""
    chart = pygal.Bar(
        **_config(
            width=720,
            height=340,
            show_legend=True,
            legend_at_bottom=True,
            print_values=False,
            x_label_rotation=30 if len(labels) > 6 else 0,
        )
    )
    chart.x_labels = labels
    _axis(chart, [v for _name, values in series for v in values], formatter, axis_formatter or formatter, False)
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    return _accessible(chart.render(is_unicode=True), title, desc)


# -- the map of Africa ------------------------------------------------------------------------------------------------

# The part of pygal_maps_world's drawing (viewBox 0 0 2475 1388) that holds the African Union's member states, from
# Cabo Verde in the west to Mauritius in the east, Tunisia in the north to South Africa in the south, with a margin.
AFRICA_VIEWBOX = (1030, 350, 620, 650)


@lru_cache(maxsize=1)
def _outlines() -> dict[str, tuple[str, ...]]:
    """ISO code -> the path data of its outline, for the African countries the drawing has (it predates South
    Sudan, whose territory is drawn within Sudan's, and leaves out the Comoros: both are in the tables)."""
    svg = resources.files("pygal_maps_world").joinpath("worldmap.svg").read_text(encoding="utf-8")
    outlines: dict[str, tuple[str, ...]] = {}
    for match in re.finditer(r'<g class="([a-z]{2}) country[^"]*">(.*?)</g>', svg, flags=re.S):
        code = match.group(1).upper()
        if code in countries.AFRICAN_UNION:
            outlines[code] = tuple(re.findall(r'\sd="([^"]+)"', match.group(2)))
    return outlines


def drawn_countries() -> frozenset[str]:
    return frozenset(_outlines())


@dataclass
class Bucket:
    level: int  # 1..5
    colour: str
    low: Decimal
    high: Decimal


def buckets(maximum: Decimal | int, integral: bool) -> list[Bucket]:
    """Five equal classes from just above zero to the maximum (counts: whole numbers, fewer classes when the maximum
    is below five)."""
    maximum = Decimal(maximum)
    if maximum <= 0:
        return []
    if integral:
        n = min(5, int(maximum))
        step = Decimal(math.ceil(maximum / n))
        edges = [(Decimal(1) + step * i, min(step * (i + 1), maximum)) for i in range(n)]
        edges = [(low, high) for low, high in edges if low <= high]
    else:
        # Round numbers for the legend: the step rounded up to two significant digits (45,000.10 -> 46,000).
        step = maximum / 5
        magnitude = Decimal(10) ** (step.adjusted() - 1)
        step = (step / magnitude).to_integral_value(rounding=ROUND_CEILING) * magnitude
        edges = [(step * i, step * (i + 1)) for i in range(5)]
    colours = MAP_LEVELS[-len(edges) :] if len(edges) < 5 else MAP_LEVELS
    return [Bucket(level=i + 1, colour=colours[i], low=low, high=high) for i, (low, high) in enumerate(edges)]


def _bucket_for(value: Decimal, classes: list[Bucket]) -> Bucket | None:
    if value <= 0 or not classes:
        return None
    for bucket in classes:
        if value <= bucket.high:
            return bucket
    return classes[-1]


def africa_map(
    title: str,
    desc: str,
    values: dict[str, Decimal | int],
    classes: list[Bucket],
    label,
    link,
) -> Markup:
    """A choropleth of Africa: each country shaded by its class in `classes`, named with `label(code, value)` in its
    own <title> (shown on hover), and a link (`link(code)`) to its page when it has a value."""
    x, y, w, h = AFRICA_VIEWBOX
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="africa-map" viewBox="{x} {y} {w} {h}" '
        f'preserveAspectRatio="xMidYMid meet">'
    ]
    linked = False
    for code, paths in sorted(_outlines().items()):
        value = values.get(code, 0)
        bucket = _bucket_for(Decimal(value), classes)
        fill = bucket.colour if bucket else MAP_NONE
        shapes = "".join(f'<path d="{d}"/>' for d in paths)
        name = escape(label(code, value))
        group = (
            f'<g class="map-country" data-country="{code}" fill="{fill}" stroke="{MAP_STROKE}" stroke-width="0.8">'
            f"<title>{name}</title>{shapes}</g>"
        )
        if bucket:
            linked = True
            group = f'<a href="{escape(link(code))}" aria-label="{name}">{group}</a>'
        parts.append(group)
    parts.append("</svg>")
    return _accessible("".join(parts), title, desc, role="group" if linked else "img")
