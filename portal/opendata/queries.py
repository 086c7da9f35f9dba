"""The grants that the open-data documents publish, read in batches so that a document can be streamed: each batch
is one query for the grants and one per related table (selectin loading), never one per grant.

Only what the documents print is loaded: organisations are read with `load_only(..., raiseload=True)` on their
name, acronym, type and country, so that code touching an e-mail address, a phone number, an address or a legal
representative fails loudly instead of publishing personal data."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, raiseload, selectinload

from portal.calls.models import Call, JvapDomain
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, GrantRole, Tranche
from portal.organisations.models import Organisation

# Grants per batch: large enough that a portfolio of hundreds needs one or two, small enough to keep memory flat.
BATCH_SIZE = 200

_ORG_COLUMNS = (Organisation.id, Organisation.legal_name, Organisation.acronym, Organisation.type, Organisation.country)
IMPLEMENTING_ROLES = (GrantRole.LEAD.value, GrantRole.CO_BENEFICIARY.value)


def _options():
    return (
        load_only(
            Grant.id,
            Grant.agreement_number,
            Grant.call_id,
            Grant.lead_organisation_id,
            Grant.title,
            Grant.amount,
            Grant.awarded_on,
            Grant.start_date,
            Grant.end_date,
            Grant.actual_start_date,
            Grant.actual_end_date,
            Grant.status,
            Grant.created_at,
            raiseload=True,
        ),
        joinedload(Grant.call).load_only(Call.id, Call.reference, Call.title, raiseload=True),
        joinedload(Grant.lead_organisation).load_only(*_ORG_COLUMNS, raiseload=True),
        selectinload(Grant.organisations)
        .load_only(GrantOrganisation.organisation_id, GrantOrganisation.role, raiseload=True)
        .joinedload(GrantOrganisation.organisation)
        .load_only(*_ORG_COLUMNS, raiseload=True),
        selectinload(Grant.country_rows),
        selectinload(Grant.tranches).load_only(
            Tranche.number, Tranche.kind, Tranche.paid_date, Tranche.paid_amount, raiseload=True
        ),
        selectinload(Grant.domains).load_only(JvapDomain.number, JvapDomain.name_en, raiseload=True),
        raiseload("*"),
    )


def published_grants(batch_size: int | None = None) -> Iterator[Grant]:
    """Every awarded grant (every row of `grants` is an awarded proposal), in agreement order of creation, batch by
    batch (keyset pagination on the id: stable while grants are added)."""
    size = batch_size or BATCH_SIZE
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Grant).where(Grant.id > last_id).order_by(Grant.id).limit(size).options(*_options())
            ).unique()
        )
        yield from batch
        if len(batch) < size:
            return
        # (The session's identity map holds objects weakly: published batches are freed as the stream moves on.)
        last_id = batch[-1].id


def implementing(grant: Grant) -> list[GrantOrganisation]:
    """Lead first, then co-beneficiaries (associated entities receive no funds and do not implement)."""
    rows = [row for row in grant.organisations if row.role in IMPLEMENTING_ROLES]
    return sorted(rows, key=lambda row: (row.role != GrantRole.LEAD.value, row.organisation.legal_name))


def paid_tranches(grant: Grant) -> list[Tranche]:
    return [t for t in grant.tranches if t.paid_date is not None and t.paid_amount is not None]


def amount_paid(grant: Grant) -> Decimal:
    return sum((t.paid_amount for t in paid_tranches(grant)), Decimal("0.00"))


HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")


def country_percentages(rows: list[GrantCountry]) -> list[tuple[str, Decimal]]:
    """Each country of implementation with its share, summing to exactly 100.00 as IATI requires.

    Shares recorded for every country are used as they are (scaled to 100 if they do not add up); without them,
    the grant is split evenly. Rounding leftovers go to the largest share, so the total is always 100.00."""
    if not rows:
        return []
    codes = [row.country_code for row in rows]
    shares = [row.share_pct for row in rows]
    if all(s is not None and s > 0 for s in shares):
        total = sum(shares, Decimal(0))
        values = [(s * HUNDRED / total).quantize(CENT, ROUND_HALF_UP) for s in shares]
    else:
        even = (HUNDRED / len(rows)).quantize(CENT, ROUND_HALF_UP)
        values = [even] * len(rows)
    leftover = HUNDRED - sum(values, Decimal(0))
    if leftover:
        largest = max(range(len(values)), key=lambda i: values[i])
        values[largest] += leftover
    return list(zip(codes, values, strict=True))
