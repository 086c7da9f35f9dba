"""Property-based fuzzing of every state-changing route (issue 8, ASVS V5): Hypothesis posts random and hostile
values to each POST/PUT/PATCH/DELETE route of the URL map, signed in as a role that may use it, and the portal
never answers with a server error (500, or an exception escaping the app) nor echoes a script payload unescaped.

Routes come from the URL map and their access rows from tests/test_access_matrix.py (the world of objects and the
role that reaches each route), so a new route is fuzzed without a line here; a route that cannot be exercised is
listed in NOT_FUZZED with its reason, and `test_every_state_changing_route_is_fuzzed` fails for any other.
The fields of each route are read from the forms the portal itself renders (every GET page of the matrix,
crawled once), so the values land in real fields: the options of a select, the names of text, number, date and
file inputs, and the submit buttons that choose an action; unknown extra fields, missing fields, repeated fields,
JSON bodies, malformed JSON and odd content types come on top. Ids in URLs are swapped for ids of other objects,
of nothing, and beyond the database's integers. Each example runs in a savepoint rolled back afterwards."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import lxml.html
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from portal.accounts.models import User
from portal.extensions import db
from tests.test_access_matrix import OK, RULES
from tests.test_access_matrix import world as world  # the shared fixture

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# The role each route is fuzzed as: the first of these that the access matrix lets through.
ROLE_PREFERENCE = ("manager", "admin", "applicant", "evaluator", "partner", "other_applicant", "anonymous")
# Routes the fuzzer cannot exercise, and why. Anything else that changes state and is not here must be fuzzed.
NOT_FUZZED = {
    ("accounts.two_factor_verify", "POST"): "reached only after a password was checked in the same session; "
    "tests/accounts/test_two_factor.py posts wrong, reused and malformed codes to it",
}
EXAMPLES = 20  # per route and form: about 90 routes; the folder stays within two minutes

# FUZZ_ONLY=calls.create,calls.edit fuzzes only those endpoints (to study a failure).
ONLY = {e for e in os.environ.get("FUZZ_ONLY", "").split(",") if e}

MARK = "fz9q"  # a marker in every script payload, to find it in the answer
SCRIPTS = [
    f"<script>{MARK}()</script>",
    f'"><img src=x onerror={MARK}()>',
    f"<svg/onload={MARK}()>",
    f"javascript:{MARK}()",
    f"{{{{ {MARK} }}}}{{% if 1 %}}{MARK}{{% endif %}}",
]
UNESCAPED = [f"<script>{MARK}", f"<img src=x onerror={MARK}", f"<svg/onload={MARK}"]
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",  # right-to-left override
    "مرحبا بالعالم",  # right-to-left script
    "e\u0301\u0302\u0303\u0304" * 20,  # stacked combining marks
    "\ufeff\u200b\u2028\u2029",
    "\U0010fffd\U0001f600\uffff",
    "%00%0d%0a",
    "\r\nSet-Cookie: x=1",
    "../../../../etc/passwd",
    "' OR '1'='1' --",
    "1; DROP TABLE users",
    "null",
    "[]",
    "{}",
    "true",
    "x" * 5000,
    "x" * 70_000,
    *SCRIPTS,
]
NUMBERS = [
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "0x10",
    "1,5",
    "1.5",
    "-0.01",
    "0.001",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "1_000",
    "١٢٣",  # Arabic-Indic digits
    "١٢٣.٤٥",
]
DATES = [
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "31/12/2026",
    "2026-1-1",
    "20261231",
    "2026-12-31T25:61",
    "2026-12-31T23:59:60",
    "1900-01-01T00:00",
    "10000-01-01",
    "-2026-01-01",
    "2026-W01",
]
BIG_IDS = [0, -1, 2**31, 2**63, 10**30]
# A refused request gets a page of the portal with a heading (the error page, the form again with its messages, a
# "read-only" page...), never an empty body or a bare status line. Whether each such page names the problem is
# not decided here: the area tests check their messages.
A_PAGE = ('<main id="main"', "<h1")


def _text():
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(NUMBERS + DATES),
    )


def _value_for(field: dict, ids: list[int]):
    """Values for one field: mostly its own kind (options, numbers, dates), often something hostile."""
    own = []
    if field["options"]:
        own.append(st.sampled_from(field["options"]))
    if field["type"] in ("number", "range"):
        own.append(st.sampled_from(NUMBERS))
        own.append(st.decimals(allow_nan=True, allow_infinity=True, places=2).map(str))
    if field["type"] in ("date", "datetime-local", "time", "month"):
        own.append(st.sampled_from(DATES))
        own.append(st.dates().map(str))
    if field["type"] in ("checkbox", "radio", "hidden", "submit") and field["value"] is not None:
        own.append(st.just(field["value"]))
    own.append(st.sampled_from(ids).map(str))
    return st.one_of(*own, _text())


@st.composite
def _body(draw, fields: list[dict], ids: list[int]):
    """(form data or raw body, content type): a form's fields with some missing, some repeated, extra ones."""
    data: dict[str, object] = {}
    for field in fields:
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing field
        if field["type"] == "file":
            data[field["name"]] = draw(_file())
            continue
        value = draw(_value_for(field, ids))
        if draw(st.integers(0, 7)) == 0:
            value = [value, draw(_text())]  # a list where one value is expected
        data[field["name"]] = value
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "user_id",
                    "role",
                    "status",
                    "is_admin",
                    "organisation_id",
                    "proposal_id",
                    "amount",
                    "version",
                    "__proto__",
                    "a[]",
                    "",
                ]
            ),
            _text(),
            max_size=3,
        )
    )
    data.update(extra)
    kind = draw(st.sampled_from(["form", "form", "form", "multipart", "json", "bad-json", "text"]))
    if kind == "form":
        return {"data": {k: v for k, v in data.items() if not isinstance(v, tuple)}}
    if kind == "multipart":
        return {"data": data, "content_type": "multipart/form-data"}
    plain = {k: v for k, v in data.items() if not isinstance(v, tuple)}
    if kind == "json":
        return {"data": json.dumps(plain, allow_nan=True), "content_type": "application/json"}
    if kind == "bad-json":
        raw = draw(st.sampled_from(['{"a": 1, "a": 2}', "{", "[1, 2", "\x00", '{"csrf_token": NaN}', "null", "1e999"]))
        return {"data": raw, "content_type": "application/json"}
    return {"data": draw(st.sampled_from(["", "a=1&a=2", "\x00\xff", "x" * 1000])), "content_type": "text/plain"}


@st.composite
def _file(draw):
    import io

    content = draw(
        st.sampled_from(
            [
                b"",
                b"%PDF-1.7\n%%EOF\n",
                b"PK\x03\x04" + b"\x00" * 26,
                b"<html><script>alert(1)</script></html>",
                b"\x89PNG\r\n\x1a\n",
                b"GIF89a<script>",
            ]
        )
    )
    name = draw(st.sampled_from(["report.pdf", "../../x.pdf", "a\x00.pdf", "x" * 300 + ".pdf", "évaluation.docx", ""]))
    return (io.BytesIO(content), name)


def _main(html: str) -> str:
    """The start of a page's main content, to show in a failure."""
    start = html.find("<main")
    return " ".join(html[start if start >= 0 else 0 :].split())[:400]


def _chosen_role(expected: dict) -> str | None:
    return next((role for role in ROLE_PREFERENCE if expected.get(role) == OK), None)


def _state_changing(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods & STATE_CHANGING
    )


def test_every_state_changing_route_is_fuzzed(app):
    """A new POST/PUT/PATCH/DELETE route is fuzzed automatically through its access-matrix row; one that cannot be
    (no role reaches it) must be listed in NOT_FUZZED with a reason."""
    routes = _state_changing(app)
    assert len(routes) > 50
    unreachable = [r for r in routes if r not in NOT_FUZZED and (r not in RULES or not _chosen_role(RULES[r][1]))]
    assert not unreachable, (
        f"state-changing routes the fuzzer cannot reach (add an access row or a reason): {unreachable}"
    )
    stale = [r for r in NOT_FUZZED if r not in routes]
    assert not stale, f"NOT_FUZZED lists routes that no longer exist: {stale}"


def _url(app, endpoint: str, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def _forms_on(page_url: str, html: str) -> list[tuple[str, str, list[dict]]]:
    """Each form on a page: its method, its action path and its fields (name, type, options, value)."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    found = []
    for form in tree.iter("form"):
        method = (form.get("method") or "get").upper()
        action = urlsplit(form.get("action") or page_url).path or urlsplit(page_url).path
        fields: dict[str, dict] = {}
        for element in form.iter("input", "select", "textarea", "button"):
            name = element.get("name")
            if not name or name == "csrf_token":
                continue
            field = fields.setdefault(name, {"name": name, "type": "text", "options": [], "value": None})
            if element.tag == "select":
                field["type"] = "select"
                field["options"] += [o.get("value", o.text_content()) for o in element.iter("option")]
            elif element.tag == "textarea":
                field["type"] = "textarea"
            else:
                field["type"] = (element.get("type") or ("submit" if element.tag == "button" else "text")).lower()
                if element.get("value") is not None:
                    field["value"] = element.get("value")
                    if field["type"] in ("radio", "checkbox"):
                        field["options"].append(element.get("value"))
        found.append((method, action, list(fields.values())))
    return found


def _crawl_forms(app, world, login) -> tuple[dict, dict]:
    """(method, action path) -> the field lists of the forms sent there, from every page the matrix can open; and
    for each GET form's action, the role that saw it."""
    forms: dict[tuple[str, str], list[list[dict]]] = {}
    readers: dict[str, str] = {}
    for (endpoint, method), (arguments, expected) in sorted(RULES.items()):
        if method != "GET" or endpoint.startswith(("api.", "static", "opendata.")):
            continue
        role = _chosen_role(expected)
        if role is None:
            continue
        url = _url(app, endpoint, _values(arguments, world))
        client = app.test_client()
        if role != "anonymous":
            login(client, db.session.get(User, world["users"][role]))
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            for form_method, action, fields in _forms_on(url, response.get_data(as_text=True)):
                forms.setdefault((form_method, action), []).append(fields)
                if form_method == "GET":
                    readers.setdefault(action, role)
        response.close()
    return forms, readers


def _values(arguments: dict, world: dict) -> dict:
    return {k: (world[v[1:]] if isinstance(v, str) and v.startswith("@") else v) for k, v in arguments.items()}


def _integer_arguments(app, endpoint: str) -> list[str]:
    for rule in app.url_map.iter_rules(endpoint):
        return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
    return []


def _fuzzer(app, login, connection, endpoint, method, values, role, user_id, field_lists, swappable, ids):
    """The Hypothesis test of one route: a request built from the strategies, in a savepoint rolled back."""

    @given(
        fields=st.sampled_from(field_lists),
        swap=st.one_of(st.none(), st.sampled_from(swappable or [None])),
        new_id=st.sampled_from(ids + BIG_IDS),
        data=st.data(),
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: a failure is reported as found (the request is in the message); shrinking a form of twenty
        # fields takes minutes.
        phases=(Phase.explicit, Phase.generate),
    )
    def post(fields, swap, new_id, data):
        target = _url(app, endpoint, {**values, swap: new_id}) if swap else _url(app, endpoint, values)
        body = data.draw(_body(fields, ids))
        db.session.remove()
        savepoint = connection.begin_nested()
        try:
            client = app.test_client()
            if role != "anonymous":
                login(client, db.session.get(User, user_id))
            response = client.open(target, method=method, headers={"Accept-Encoding": "identity"}, **body)
            status = response.status_code
            text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            response.close()
        finally:
            db.session.remove()
            savepoint.rollback()
        assert status < 500, f"{method} {target} answered {status}"
        echoed = [payload for payload in UNESCAPED if payload in text]
        assert not echoed, f"{method} {target} sent back {echoed} unescaped"
        if 400 <= status < 500 and text:
            assert all(part in text for part in A_PAGE), f"{method} {target} answered {status}: {_main(text)}"

    return post


def test_hostile_input_never_breaks_a_state_changing_route(app, world, login):
    forms, _readers = _crawl_forms(app, world, login)
    assert len([key for key in forms if key[0] == "POST"]) > 40, "the crawl found too few forms: it would post blind"
    ids = sorted({v for v in world.values() if isinstance(v, int)} | set(world["users"].values()))
    connection = db.session.get_bind()
    failures: dict[str, str] = {}
    fuzzed = 0
    for endpoint, method in _state_changing(app):
        if (endpoint, method) in NOT_FUZZED or (ONLY and endpoint not in ONLY):
            continue
        arguments, expected = RULES[(endpoint, method)]
        role = _chosen_role(expected)
        values = _values(arguments, world)
        url = _url(app, endpoint, values)
        field_lists = forms.get(("POST", url)) or [[]]
        swappable = _integer_arguments(app, endpoint)
        user_id = world["users"].get(role)

        post = _fuzzer(app, login, connection, endpoint, method, values, role, user_id, field_lists, swappable, ids)
        fuzzed += 1
        try:
            post()
        except Exception as error:  # every route is tried; all failures are reported together
            failures[f"{method} {endpoint}"] = f"{type(error).__name__}: {str(error)[:1500]}"
    assert fuzzed > 50 or ONLY
    assert not failures, "\n\n".join(f"{route}\n{reason}" for route, reason in failures.items())


def _searcher(app, login, action, role, user_id, field_lists, ids):
    """The Hypothesis test of one GET form: its fields filled with hostile values, sent as the query."""

    @given(fields=st.sampled_from(field_lists), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),
    )
    def search(fields, data):
        query = {}
        for field in fields:
            if field["type"] != "file" and data.draw(st.integers(0, 9)):
                query[field["name"]] = data.draw(_value_for(field, ids))
        client = app.test_client()
        if role != "anonymous":
            login(client, db.session.get(User, user_id))
        response = client.get(action, query_string=query, headers={"Accept-Encoding": "identity"})
        status = response.status_code
        text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        assert status < 500, f"GET {action}?{query} answered {status}"
        echoed = [payload for payload in UNESCAPED if payload in text]
        assert not echoed, f"GET {action} sent back {echoed} unescaped"
        if 400 <= status < 500 and text:
            assert all(part in text for part in A_PAGE), f"GET {action}?{query} answered {status}: {_main(text)}"

    return search


def test_hostile_queries_never_break_a_search_or_filter_form(app, world, login):
    """The GET forms (search, portfolio and audit filters, lists): hostile values in their query arguments, as the
    role that saw the form, give a page or a 4xx, never a server error, and no script payload comes back raw."""
    forms, readers = _crawl_forms(app, world, login)
    assert len(readers) >= 3, "the crawl found too few search or filter forms"
    ids = sorted({v for v in world.values() if isinstance(v, int)} | set(world["users"].values()))
    failures: dict[str, str] = {}
    for action, role in sorted(readers.items()):
        field_lists = forms[("GET", action)]
        user_id = world["users"].get(role)

        search = _searcher(app, login, action, role, user_id, field_lists, ids)
        try:
            search()
        except Exception as error:  # every form is tried; all failures are reported together
            failures[f"GET {action}"] = f"{type(error).__name__}: {str(error)[:1500]}"
    assert not failures, "\n\n".join(f"{route}\n{reason}" for route, reason in failures.items())
