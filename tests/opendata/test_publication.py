"""The open-data files published ahead of time: served while they describe the database as it is, never once it
has changed (the download then streams from the database), written again only when needed."""

from __future__ import annotations

import datetime as dt
import gzip
import re

import brotli
import pytest
from lxml import etree
from sqlalchemy import select

from portal.core import querycount, storage
from portal.grants.models import Tranche
from portal.opendata import publication
from portal.opendata.tasks import publish_open_data
from portal.proposals.models import ProposalStatus
from tests.opendata.world import make_grant

URLS = ("/open-data/iati.xml", "/open-data/360giving.json")


@pytest.fixture(autouse=True)
def _nothing_published(app):
    """Each test starts and ends without published files (the storage folder is shared by the test session)."""

    def clear():
        with app.app_context():
            state = publication._state()
            for entry in state.get("files", {}).values():
                for key in publication._keys(entry):
                    storage.delete(key)
            storage.delete(publication.STATE_KEY)

    clear()
    yield
    clear()


def _same_document(text: str) -> str:
    """The document without the moment it was written (IATI's generated-datetime)."""
    return re.sub(r'generated-datetime="[^"]+"', "", text)


def test_the_published_files_are_served_while_current(client, portfolio, session):
    live = {}
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200 and "ETag" not in response.headers  # nothing published yet: streamed
        live[url] = response.get_data(as_text=True)

    assert publication.publish() is True
    assert publication.publish() is False  # current: nothing written again

    for url in URLS:
        session.expire_all()
        with querycount.counting() as queries:
            response = client.get(url)
            body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert response.headers["ETag"] and int(response.headers["Content-Length"]) == len(body.encode())
        assert "public" in response.headers["Cache-Control"] and response.headers["Access-Control-Allow-Origin"] == "*"
        assert _same_document(body) == _same_document(live[url])
        # The state of the data (and on PostgreSQL the write position first, core/datacache.py); the file itself is
        # read from the storage.
        assert queries.count == (2 if session.get_bind().dialect.name == "postgresql" else 1)
    assert len(etree.fromstring(client.get(URLS[0]).data)) == len(portfolio.grants)
    assert [g["id"].rsplit("-", 1)[-1] for g in client.get(URLS[1]).get_json()["grants"]] == [
        g.agreement_number.rsplit("-", 1)[-1] for g in portfolio.grants
    ]


def test_a_client_with_the_current_file_is_told_it_has_not_changed(client, portfolio):
    publication.publish()
    etag = client.get(URLS[1]).headers["ETag"]
    again = client.get(URLS[1], headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "br"),  # the stored Brotli copy is preferred whenever it is accepted
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("*", "br"),
        ("br;q=0, *", "gzip"),
        ("", None),
    ],
)
def test_the_published_files_are_sent_compressed_as_the_client_accepts(client, portfolio, accept, encoding):
    publication.publish()
    plain = {url: client.get(url).data for url in URLS}
    for url in URLS:
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) == len(response.data)
        body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](response.data)
        assert _same_document(body.decode()) == _same_document(plain[url].decode())
        if encoding:
            assert len(response.data) < len(plain[url]) / 3
        # Each copy has its own validator: a cache never answers a gzip request with the Brotli copy.
        etag = response.headers["ETag"]
        assert (etag.strip('"').endswith(f"-{encoding}")) == bool(encoding)
        again = client.get(url, headers={"Accept-Encoding": accept, "If-None-Match": etag})
        assert again.status_code == 304 and not again.data


def test_a_new_grant_or_payment_makes_the_published_files_out_of_date(
    client, portfolio, session, make_proposal, make_org, make_user
):
    publication.publish()
    call = portfolio.calls[0]
    org = make_org(country="SN", members=[make_user()])
    proposal = make_proposal(call, organisation=org, status=ProposalStatus.AWARDED)
    grant = make_grant(call, proposal, org, 77, "45000.00", "active", dt.date(2026, 2, 2), countries=[("SN", "100")])
    session.commit()
    for url in URLS:
        response = client.get(url)
        assert "ETag" not in response.headers  # streamed from the database
        assert grant.agreement_number in response.get_data(as_text=True)

    publication.publish()
    assert "ETag" in client.get(URLS[1]).headers
    grant_id, title = portfolio.grants[0].id, portfolio.grants[0].title
    session.expunge_all()  # the export loaded the grants with only the columns it prints
    tranche = session.scalar(select(Tranche).where(Tranche.grant_id == grant_id, Tranche.paid_date.is_(None)))
    tranche.paid_date, tranche.paid_amount = dt.date(2026, 6, 1), tranche.planned_amount
    session.commit()
    response = client.get(URLS[1])
    assert "ETag" not in response.headers
    payments = next(g for g in response.get_json()["grants"] if g["title"] == title)
    assert len(payments["disbursementTransaction"]) == 2


def test_the_state_of_the_data_is_read_once_while_the_database_is_unchanged(client, portfolio, session, monkeypatch):
    """Every download compares the stored file's fingerprint with the data's; that sum over every grant and tranche
    is shared while the database's write position stays (simulated here: the tests' transaction always holds
    writes, tests/core/test_datacache.py proves the position on PostgreSQL)."""
    from portal.core import datacache

    datacache.clear()
    position = {"now": "0/1000"}
    monkeypatch.setattr(datacache, "write_position", lambda: position["now"])
    computed = []
    real = publication._fingerprint
    monkeypatch.setattr(publication, "_fingerprint", lambda: computed.append(1) or real())
    publication.publish()
    for _ in range(3):
        for url in URLS:
            assert "ETag" in client.get(url).headers
    assert len(computed) == 1

    tranche = session.scalar(select(Tranche).where(Tranche.paid_date.is_(None)).order_by(Tranche.id).limit(1))
    tranche.paid_date, tranche.paid_amount = dt.date(2026, 6, 1), tranche.planned_amount
    session.commit()
    position["now"] = "0/2000"  # the write moved it
    for url in URLS:
        assert "ETag" not in client.get(url).headers  # out of date: streamed from the database
    assert len(computed) == 2
    datacache.clear()


def test_an_unreadable_published_file_falls_back_to_the_database(client, portfolio):
    publication.publish()
    storage.delete(publication._state()["files"]["iati"]["key"])
    response = client.get(URLS[0])
    assert response.status_code == 200 and "ETag" not in response.headers
    assert len(etree.fromstring(response.data)) == len(portfolio.grants)


def test_the_task_and_the_command_publish_once(app, portfolio):
    assert publish_open_data.apply().get() is True
    assert publish_open_data.apply().get() is False
    assert publish_open_data.apply(kwargs={"force": True}).get() is True
    runner = app.test_cli_runner()
    assert "already current" in runner.invoke(args=["opendata", "publish"]).output
    assert "Open-data files written." in runner.invoke(args=["opendata", "publish", "--force"]).output
