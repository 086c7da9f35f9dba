"""The budget of a proposal: its lines (per partner and cost category, description x unit x quantity x unit
cost), its co-financing sources, the totals and rates computed from them, and the call's rules they must obey.

Everything here is computed on the server in exact decimals (never floats). The page's JavaScript shows the same
totals while the user types, for display only: the server recomputes them on every save and every page load.

- `read_budget_form(formdata, proposal)` reads the table as typed: every cell kept, a message per bad cell.
- `save_budget(proposal, budget, by=, expected_version=)` saves the whole budget as one section of the form
  (through `claim_section`, so that two people saving the budget are told rather than overwriting each other),
  and sets the proposal's total budget and requested amount.
- `budget_problems(proposal)` lists what breaks the call's rules, with the exact figures; shown on the budget
  page and checked again at submission. A draft may be saved with problems; malformed input is never saved.
- `budget_summary(proposal)` gives the budget as plain data for the snapshot and the receipt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.calls.labels import percent
from portal.core import audit
from portal.core.amounts import AmountError, parse_decimal
from portal.core.i18n import money
from portal.extensions import db
from portal.proposals.models import (
    BudgetCategory,
    BudgetLine,
    CofinancingSource,
    PartnerRole,
    PartnerStatus,
    Proposal,
    ProposalPartner,
)
from portal.proposals.operations import ProposalError
from portal.proposals.sections import claim_section

SECTION = "budget"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
LEAD = "lead"  # the form's value for the lead applicant's lines (partner_id None)

# Rows of the table. An empty table offers a few blank lines to type into without JavaScript; "Add lines" adds
# more. The caps keep one request's work bounded; no real budget comes near them.
MIN_BLANK_LINES = 3
ADD_LINES = 5
MIN_BLANK_SOURCES = 2
ADD_SOURCES = 3
MAX_LINES = 400
MAX_SOURCES = 50
DESCRIPTION_MAX = 300
UNIT_MAX = 40
SOURCE_MAX = 300
# Money columns are Numeric(14, 2): totals must stay below this.
MONEY_LIMIT = Decimal(10) ** 12

CATEGORIES = tuple(BudgetCategory)
DIRECT_CATEGORIES = tuple(c for c in CATEGORIES if c != BudgetCategory.INDIRECT)
CATEGORY_LABELS = {
    BudgetCategory.HUMAN_RESOURCES: _l("Human resources"),
    BudgetCategory.TRAVEL: _l("Travel"),
    BudgetCategory.EQUIPMENT: _l("Equipment and supplies"),
    BudgetCategory.LOCAL_OFFICE: _l("Local office"),
    BudgetCategory.OTHER_SERVICES: _l("Other costs and services"),
    BudgetCategory.SUB_GRANTING: _l("Sub-granting"),
    BudgetCategory.INDIRECT: _l("Indirect costs"),
}

# Anchors of the budget page that problems link to (the submission check links to the page with them).
ANCHOR_LINES = "budget-lines"
ANCHOR_COFINANCING = "budget-cofinancing"
ANCHOR_TOTALS = "budget-totals"


class BudgetError(ProposalError):
    """The budget as typed cannot be saved; `errors` holds (cell anchor, message) pairs."""


# -- arithmetic -----------------------------------------------------------------------------------------------


def line_total(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    """quantity x unit cost, rounded to the cent, halves up (1.5 x 10.01 = 15.015 -> 15.02)."""
    return (quantity * unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio_pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent, unrounded (None when `whole` is zero). Compare rules on exact products instead
    where a boundary matters; this is for showing."""
    if not whole:
        return None
    return part * HUNDRED / whole


def round_pct(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    return value.quantize(CENT, rounding=rounding)


def format_rate(value: Decimal | None, rounding: str = ROUND_HALF_UP) -> str:
    """A measured rate with two decimals, written the reader's way ("6.25%", "6,25 %"), as the budget page's script
    writes it too (the pattern is the form's `data-percent`)."""
    if value is None:
        return "—"
    return percent(round_pct(value, rounding), places=2)


def format_limit(value: Decimal) -> str:
    """A rule's percentage as the call's page states it: "7%", "7.5%", "10%" ("10 %" in French)."""
    return percent(value)


@dataclass
class Totals:
    """The figures of a budget. Amounts are exact to the cent; rates are unrounded percentages."""

    by_partner: dict[int | None, Decimal]
    by_category: dict[str, Decimal]
    by_partner_category: dict[int | None, dict[str, Decimal]]
    direct: Decimal
    indirect: Decimal
    cofinancing: Decimal
    line_count: int

    @property
    def total(self) -> Decimal:
        return self.direct + self.indirect

    @property
    def requested(self) -> Decimal:
        return self.total - self.cofinancing

    @property
    def funding_rate(self) -> Decimal | None:
        return ratio_pct(self.requested, self.total)

    @property
    def cofinancing_rate(self) -> Decimal | None:
        return ratio_pct(self.cofinancing, self.total)

    @property
    def indirect_rate(self) -> Decimal | None:
        """Indirect costs as a share of direct costs (the base of the indirect-cost rule)."""
        return ratio_pct(self.indirect, self.direct)


def compute_totals(items: Iterable[tuple[int | None, str, Decimal]], cofinancing: Iterable[Decimal]) -> Totals:
    """Totals of (partner id or None for the lead, category, line total) items and co-financing amounts."""
    by_partner: dict[int | None, Decimal] = {}
    by_category = dict.fromkeys((c.value for c in CATEGORIES), Decimal("0.00"))
    by_partner_category: dict[int | None, dict[str, Decimal]] = {}
    count = 0
    for partner_id, category, total in items:
        count += 1
        by_partner[partner_id] = by_partner.get(partner_id, Decimal("0.00")) + total
        by_category[category] = by_category.get(category, Decimal("0.00")) + total
        cell = by_partner_category.setdefault(partner_id, {})
        cell[category] = cell.get(category, Decimal("0.00")) + total
    indirect = by_category[BudgetCategory.INDIRECT.value]
    direct = sum((by_category[c.value] for c in DIRECT_CATEGORIES), Decimal("0.00"))
    return Totals(
        by_partner=by_partner,
        by_category=by_category,
        by_partner_category=by_partner_category,
        direct=direct,
        indirect=indirect,
        cofinancing=sum(cofinancing, Decimal("0.00")),
        line_count=count,
    )


def totals_of(proposal: Proposal) -> Totals:
    """The totals of the saved budget."""
    return compute_totals(
        ((line.partner_id, line.category, line_total(line.quantity, line.unit_cost)) for line in proposal.budget_lines),
        (source.amount for source in proposal.cofinancing),
    )


# -- partners -------------------------------------------------------------------------------------------------


def partner_name(partner: ProposalPartner) -> str:
    if partner.organisation is not None:
        return partner.organisation.name
    return partner.invited_name or partner.invited_email or "—"


def may_have_budget(partner: ProposalPartner) -> bool:
    """Only the lead and accepted co-applicants receive funds; associated entities have no budget."""
    return partner.role == PartnerRole.CO_APPLICANT and partner.status == PartnerStatus.ACCEPTED


def _short_name(organisation, fallback: str) -> str:
    """The acronym first, so that the narrow partner column of the budget table still tells partners apart."""
    if organisation is None:
        return fallback
    return f"{organisation.acronym} — {organisation.legal_name}" if organisation.acronym else organisation.legal_name


def partner_choices(proposal: Proposal) -> list[tuple[str, str]]:
    """Whom a line can belong to: the lead, each accepted co-applicant, and (so that saving the rest of the
    budget never loses them) any other partner that still has lines, marked as such."""
    with_lines = {line.partner_id for line in proposal.budget_lines}
    lead = _short_name(proposal.organisation, proposal.organisation.name)
    choices = [(LEAD, _("%(organisation)s (lead applicant)", organisation=lead))]
    for partner in proposal.partners:
        name = _short_name(partner.organisation, partner_name(partner))
        if may_have_budget(partner):
            choices.append((str(partner.id), name))
        elif partner.id in with_lines:
            choices.append((str(partner.id), _("%(organisation)s (no budget allowed)", organisation=name)))
    return choices


def category_choices() -> list[tuple[str, str]]:
    return [(c.value, str(CATEGORY_LABELS[c])) for c in CATEGORIES]


# -- reading the table as typed -------------------------------------------------------------------------------


@dataclass
class LineRow:
    """One line of the table as typed (strings, kept as they were) and what could be read from it."""

    number: int  # as shown: "Line 3"
    partner: str = LEAD
    category: str = ""
    description: str = ""
    unit: str = ""
    quantity: str = ""
    unit_cost: str = ""
    partner_id: int | None = None
    quantity_value: Decimal | None = None
    unit_cost_value: Decimal | None = None
    errors: dict[str, str] = field(default_factory=dict)  # cell name -> message

    @property
    def index(self) -> int:
        return self.number - 1

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in (self.description, self.unit, self.quantity, self.unit_cost))

    @property
    def total(self) -> Decimal | None:
        if self.errors or self.quantity_value is None or self.unit_cost_value is None:
            return None
        return line_total(self.quantity_value, self.unit_cost_value)

    def anchor(self, cell: str) -> str:
        return f"line-{self.index}-{cell}"


@dataclass
class SourceRow:
    number: int
    source: str = ""
    amount: str = ""
    secured: bool = False
    amount_value: Decimal | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def index(self) -> int:
        return self.number - 1

    @property
    def blank(self) -> bool:
        return not (self.source.strip() or self.amount.strip())

    def anchor(self, cell: str) -> str:
        return f"source-{self.index}-{cell}"


@dataclass
class BudgetInput:
    """The whole budget as typed; `errors` lists (anchor, message) for every cell that cannot be read."""

    lines: list[LineRow]
    sources: list[SourceRow]
    form_errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[str, str]]:
        found = list(self.form_errors)
        for row in self.lines:
            found.extend((row.anchor(cell), message) for cell, message in row.errors.items())
        for row in self.sources:
            found.extend((row.anchor(cell), message) for cell, message in row.errors.items())
        return found

    def filled_lines(self) -> list[LineRow]:
        return [row for row in self.lines if not row.blank]

    def filled_sources(self) -> list[SourceRow]:
        return [row for row in self.sources if not row.blank]

    def totals(self) -> Totals:
        """The totals of the lines that could be read (for showing a form that was not saved)."""
        return compute_totals(
            ((r.partner_id, r.category, r.total) for r in self.filled_lines() if r.total is not None),
            (s.amount_value for s in self.filled_sources() if s.amount_value is not None and not s.errors),
        )

    def hide_cell_errors(self) -> None:
        """Keep the values but not the cell messages (for a form re-shown without trying to save it)."""
        for row in (*self.lines, *self.sources):
            row.errors = {}

    def add_blank_lines(self, count: int) -> None:
        start = len(self.lines)
        room = max(0, MAX_LINES - start)
        self.lines.extend(LineRow(number=start + i + 1) for i in range(min(count, room)))

    def add_blank_sources(self, count: int) -> None:
        start = len(self.sources)
        room = max(0, MAX_SOURCES - start)
        self.sources.extend(SourceRow(number=start + i + 1) for i in range(min(count, room)))

    def pad(self) -> None:
        """Leave a few blank rows to type into (the page works without JavaScript)."""
        blank_lines = sum(1 for r in self.lines if r.blank)
        if blank_lines < MIN_BLANK_LINES:
            self.add_blank_lines(MIN_BLANK_LINES - blank_lines)
        blank_sources = sum(1 for r in self.sources if r.blank)
        if blank_sources < MIN_BLANK_SOURCES:
            self.add_blank_sources(MIN_BLANK_SOURCES - blank_sources)


def _plain_number(value: Decimal) -> str:
    """A saved quantity or amount as it is shown in the form to edit: "2" rather than "2.00"."""
    return f"{value:f}" if value != value.to_integral_value() else f"{value.to_integral_value():f}"


def budget_input_of(proposal: Proposal) -> BudgetInput:
    """The saved budget in the shape of the form, to edit it."""
    lines = [
        LineRow(
            number=i + 1,
            partner=LEAD if line.partner_id is None else str(line.partner_id),
            category=line.category,
            description=line.description,
            unit=line.unit,
            quantity=_plain_number(line.quantity),
            unit_cost=f"{line.unit_cost:f}",
            partner_id=line.partner_id,
            quantity_value=line.quantity,
            unit_cost_value=line.unit_cost,
        )
        for i, line in enumerate(proposal.budget_lines)
    ]
    sources = [
        SourceRow(
            number=i + 1,
            source=source.source,
            amount=f"{source.amount:f}",
            secured=source.secured,
            amount_value=source.amount,
        )
        for i, source in enumerate(proposal.cofinancing)
    ]
    return BudgetInput(lines=lines, sources=sources)


_ROW_KEY = re.compile(r"(line|source)-(\d{1,6})-([a-z_]+)")


def _row_indices(formdata: Mapping, kind: str) -> list[int]:
    found = set()
    for key in formdata:
        match = _ROW_KEY.fullmatch(key)
        if match and match.group(1) == kind:
            found.add(int(match.group(2)))
    return sorted(found)


def _text(formdata: Mapping, key: str) -> str:
    return str(formdata.get(key) or "")


def _read_quantity(row: LineRow) -> None:
    if not row.quantity.strip():
        row.errors["quantity"] = _("Line %(number)d: enter the quantity.", number=row.number)
        return
    try:
        value = parse_decimal(row.quantity, places=2, whole_digits=10)
    except AmountError as exc:
        if exc.reason == "places":
            message = _(
                "Line %(number)d: the quantity “%(value)s” has more than two decimals.",
                number=row.number,
                value=row.quantity,
            )
        elif exc.reason == "large":
            message = _(
                "Line %(number)d: the quantity “%(value)s” is too large.", number=row.number, value=row.quantity
            )
        else:
            message = _(
                "Line %(number)d: the quantity “%(value)s” is not a number.", number=row.number, value=row.quantity
            )
        row.errors["quantity"] = message
        return
    if value <= 0:
        row.errors["quantity"] = _("Line %(number)d: the quantity must be more than 0.", number=row.number)
        return
    row.quantity_value = value


def _read_unit_cost(row: LineRow) -> None:
    if not row.unit_cost.strip():
        row.errors["unit_cost"] = _("Line %(number)d: enter the unit cost.", number=row.number)
        return
    try:
        value = parse_decimal(row.unit_cost, places=2)
    except AmountError as exc:
        if exc.reason == "places":
            message = _(
                "Line %(number)d: the unit cost “%(value)s” has more than two decimals (cents).",
                number=row.number,
                value=row.unit_cost,
            )
        elif exc.reason == "large":
            message = _(
                "Line %(number)d: the unit cost “%(value)s” is too large.", number=row.number, value=row.unit_cost
            )
        else:
            message = _(
                "Line %(number)d: the unit cost “%(value)s” is not an amount.", number=row.number, value=row.unit_cost
            )
        row.errors["unit_cost"] = message
        return
    if value < 0:
        row.errors["unit_cost"] = _("Line %(number)d: the unit cost cannot be negative.", number=row.number)
        return
    row.unit_cost_value = value


def _read_line(formdata: Mapping, index: int, number: int, partners: dict[str, int | None]) -> LineRow:
    prefix = f"line-{index}-"
    row = LineRow(
        number=number,
        partner=_text(formdata, prefix + "partner") or LEAD,
        category=_text(formdata, prefix + "category"),
        description=_text(formdata, prefix + "description"),
        unit=_text(formdata, prefix + "unit"),
        quantity=_text(formdata, prefix + "quantity"),
        unit_cost=_text(formdata, prefix + "unit_cost"),
    )
    if row.blank:
        return row
    if row.partner in partners:
        row.partner_id = partners[row.partner]
    else:
        row.errors["partner"] = _("Line %(number)d: choose a partner from the list.", number=row.number)
    if row.category not in {c.value for c in CATEGORIES}:
        row.errors["category"] = _("Line %(number)d: choose a cost category.", number=row.number)
    description = row.description.strip()
    if not description:
        row.errors["description"] = _("Line %(number)d: enter a description.", number=row.number)
    elif len(description) > DESCRIPTION_MAX:
        row.errors["description"] = _(
            "Line %(number)d: the description has %(count)d characters; the limit is %(limit)d.",
            number=row.number,
            count=len(description),
            limit=DESCRIPTION_MAX,
        )
    if len(row.unit.strip()) > UNIT_MAX:
        row.errors["unit"] = _(
            "Line %(number)d: the unit has %(count)d characters; the limit is %(limit)d.",
            number=row.number,
            count=len(row.unit.strip()),
            limit=UNIT_MAX,
        )
    _read_quantity(row)
    _read_unit_cost(row)
    return row


def _read_source(formdata: Mapping, index: int, number: int) -> SourceRow:
    prefix = f"source-{index}-"
    row = SourceRow(
        number=number,
        source=_text(formdata, prefix + "source"),
        amount=_text(formdata, prefix + "amount"),
        secured=bool(formdata.get(prefix + "secured")),
    )
    if row.blank:
        return row
    source = row.source.strip()
    if not source:
        row.errors["source"] = _("Co-financing %(number)d: enter the source.", number=row.number)
    elif len(source) > SOURCE_MAX:
        row.errors["source"] = _(
            "Co-financing %(number)d: the source has %(count)d characters; the limit is %(limit)d.",
            number=row.number,
            count=len(source),
            limit=SOURCE_MAX,
        )
    if not row.amount.strip():
        row.errors["amount"] = _("Co-financing %(number)d: enter the amount.", number=row.number)
        return row
    try:
        value = parse_decimal(row.amount, places=2)
    except AmountError as exc:
        if exc.reason == "places":
            message = _(
                "Co-financing %(number)d: the amount “%(value)s” has more than two decimals (cents).",
                number=row.number,
                value=row.amount,
            )
        elif exc.reason == "large":
            message = _(
                "Co-financing %(number)d: the amount “%(value)s” is too large.", number=row.number, value=row.amount
            )
        else:
            message = _(
                "Co-financing %(number)d: the amount “%(value)s” is not an amount.",
                number=row.number,
                value=row.amount,
            )
        row.errors["amount"] = message
        return row
    if value <= 0:
        row.errors["amount"] = _(
            "Co-financing %(number)d: the amount must be more than %(zero)s.", number=row.number, zero=money(0)
        )
        return row
    row.amount_value = value
    return row


def read_budget_form(formdata: Mapping, proposal: Proposal) -> BudgetInput:
    """The budget table as posted (`formdata` is the request's form), every cell kept as typed, with a message
    for each cell that cannot be read. Rows are numbered as the page shows them; blank rows are kept (so that
    the page shows them again) but ignored when saving."""
    partners: dict[str, int | None] = {
        value: (None if value == LEAD else int(value)) for value, _label in partner_choices(proposal)
    }
    form_errors: list[tuple[str, str]] = []
    line_indices = _row_indices(formdata, "line")
    if len(line_indices) > MAX_LINES:
        form_errors.append((ANCHOR_LINES, _("A budget has at most %(max)d lines; group some of them.", max=MAX_LINES)))
        line_indices = line_indices[:MAX_LINES]
    source_indices = _row_indices(formdata, "source")
    if len(source_indices) > MAX_SOURCES:
        form_errors.append(
            (ANCHOR_COFINANCING, _("A budget has at most %(max)d co-financing sources.", max=MAX_SOURCES))
        )
        source_indices = source_indices[:MAX_SOURCES]
    lines = [_read_line(formdata, index, number, partners) for number, index in enumerate(line_indices, start=1)]
    sources = [_read_source(formdata, index, number) for number, index in enumerate(source_indices, start=1)]
    return BudgetInput(lines=lines, sources=sources, form_errors=form_errors)


# -- saving ---------------------------------------------------------------------------------------------------


def budget_facts(proposal: Proposal) -> dict:
    """The saved budget as plain values, for the audit log's before and after."""
    return {
        "lines": [
            [line.partner_id, line.category, line.description, line.unit, str(line.quantity), str(line.unit_cost)]
            for line in proposal.budget_lines
        ],
        "cofinancing": [[s.source, str(s.amount), s.secured] for s in proposal.cofinancing],
        "total_budget": str(proposal.total_budget) if proposal.total_budget is not None else None,
        "requested_amount": str(proposal.requested_amount) if proposal.requested_amount is not None else None,
    }


def save_budget(proposal: Proposal, budget: BudgetInput, *, by, expected_version: int | None) -> Proposal:
    """Save the whole budget (lines and co-financing) as the "budget" section of the draft, and set the
    proposal's total budget and requested amount from it.

    Raises ProposalError when someone saved the budget since the user's form was made (nothing is written), and
    BudgetError with a message per cell when something typed cannot be read (nothing is written either). The
    call's rules are not checked here: a draft may be incomplete (see `budget_problems`)."""
    if not proposal.is_draft:
        raise ProposalError(_("This proposal has been submitted and is read-only."))
    section = claim_section(proposal, SECTION, expected_version=expected_version, by=by)
    if budget.errors:
        raise BudgetError(budget.errors)
    filled = budget.filled_lines()
    sources = budget.filled_sources()
    totals = budget.totals()
    if totals.total >= MONEY_LIMIT or totals.cofinancing >= MONEY_LIMIT:
        raise BudgetError([(ANCHOR_TOTALS, _("The budget's total is too large."))])
    before = budget_facts(proposal)

    # Update the saved rows in place (the first lines keep their ids), add or remove the rest.
    existing_lines = list(proposal.budget_lines)
    new_lines = []
    for position, row in enumerate(filled):
        line = existing_lines[position] if position < len(existing_lines) else BudgetLine()
        line.partner_id = row.partner_id
        line.category = row.category
        line.description = row.description.strip()
        line.unit = row.unit.strip()
        line.quantity = row.quantity_value
        line.unit_cost = row.unit_cost_value
        line.position = position
        new_lines.append(line)
    proposal.budget_lines = new_lines
    existing_sources = list(proposal.cofinancing)
    new_sources = []
    for position, row in enumerate(sources):
        source = existing_sources[position] if position < len(existing_sources) else CofinancingSource()
        source.source = row.source.strip()
        source.amount = row.amount_value
        source.secured = row.secured
        source.position = position
        new_sources.append(source)
    proposal.cofinancing = new_sources

    total = totals.total if filled else None
    requested = totals.requested if filled and totals.requested > 0 else None
    # Assign only what changed: an unchanged proposal row keeps its version (other sections' saves are unaffected).
    if proposal.total_budget != total:
        proposal.total_budget = total
    if proposal.requested_amount != requested:
        proposal.requested_amount = requested
    # Each co-applicant's share of the grant follows from the budget (one source of truth): its costs at the
    # budget's funding rate. Associated entities receive nothing.
    for partner in proposal.partners:
        share = None
        if partner.role == PartnerRole.CO_APPLICANT and requested and total:
            costs = totals.by_partner.get(partner.id, Decimal(0))
            share = (costs * requested / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if costs else None
        if partner.budget_share != share:
            partner.budget_share = share
    section.data = {"lines": len(filled), "cofinancing_sources": len(sources)}
    db.session.flush()
    after = budget_facts(proposal)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        audit.record(
            "proposal.budget_saved",
            proposal,
            actor=by,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        db.session.flush()
    return proposal


# -- the call's rules -----------------------------------------------------------------------------------------


def budget_problems(proposal: Proposal) -> list[tuple[str, str]]:
    """What in the saved budget breaks the call's rules, as (anchor on the budget page, message), each message
    with the exact figures. Empty when the budget is fine."""
    call = proposal.call
    if not proposal.budget_lines:
        return [(ANCHOR_LINES, _("The budget has no lines."))]
    totals = totals_of(proposal)
    problems: list[tuple[str, str]] = []

    partners = {p.id: p for p in proposal.partners}
    for partner_id, amount in totals.by_partner.items():
        partner = partners.get(partner_id) if partner_id is not None else None
        if partner is None or may_have_budget(partner):
            continue
        if partner.role != PartnerRole.CO_APPLICANT:
            message = _(
                "%(organisation)s is an associated entity and receives no funds, but has budget lines of %(amount)s: "
                "move them to the lead applicant or a co-applicant.",
                organisation=partner_name(partner),
                amount=money(amount),
            )
        else:
            message = _(
                "%(organisation)s has budget lines of %(amount)s but is not an accepted co-applicant: move them "
                "to the lead applicant or another co-applicant.",
                organisation=partner_name(partner),
                amount=money(amount),
            )
        problems.append((ANCHOR_LINES, message))

    total, cofinancing, requested = totals.total, totals.cofinancing, totals.requested
    if cofinancing > total:
        problems.append(
            (
                ANCHOR_COFINANCING,
                _(
                    "Co-financing (%(cofinancing)s) is more than the total budget (%(total)s).",
                    cofinancing=money(cofinancing),
                    total=money(total),
                ),
            )
        )
    else:
        if requested > call.max_grant:
            problems.append(
                (
                    ANCHOR_TOTALS,
                    _(
                        "The requested amount %(amount)s is above the call's maximum of %(max)s.",
                        amount=money(requested),
                        max=money(call.max_grant),
                    ),
                )
            )
        elif requested < call.min_grant:
            problems.append(
                (
                    ANCHOR_TOTALS,
                    _(
                        "The requested amount %(amount)s is below the call's minimum of %(min)s.",
                        amount=money(requested),
                        min=money(call.min_grant),
                    ),
                )
            )
        minimum = call.min_cofinancing_pct
        # Compared exactly (no division): exactly the minimum is enough. A call with 0% funds up to 100%.
        if minimum and total > 0 and cofinancing * HUNDRED < minimum * total:
            problems.append(
                (
                    ANCHOR_COFINANCING,
                    _(
                        "Co-financing is %(rate)s of the total budget (%(cofinancing)s of %(total)s); this call "
                        "requires at least %(min)s.",
                        # Rounded down, so that a rate just under the minimum never reads as the minimum itself.
                        rate=format_rate(totals.cofinancing_rate, ROUND_DOWN),
                        cofinancing=money(cofinancing),
                        total=money(total),
                        min=format_limit(minimum),
                    ),
                )
            )

    maximum = call.max_indirect_cost_pct
    indirect, direct = totals.indirect, totals.direct
    if indirect > 0 and indirect * HUNDRED > maximum * direct:
        allowed = (direct * maximum / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
        if direct > 0:
            message = _(
                "Indirect costs are %(amount)s, %(rate)s of direct costs; the maximum is %(max)s (%(allowed)s).",
                amount=money(indirect),
                # Rounded up, so that a rate just over the maximum never reads as the maximum itself.
                rate=format_rate(totals.indirect_rate, ROUND_UP),
                max=format_limit(maximum),
                allowed=money(allowed),
            )
        else:
            message = _(
                "Indirect costs are %(amount)s but the budget has no direct costs; indirect costs may be at most "
                "%(max)s of direct costs.",
                amount=money(indirect),
                max=format_limit(maximum),
            )
        problems.append((ANCHOR_LINES, message))

    parent = proposal.parent if proposal.parent_id else None
    if (
        proposal.stage == "full_application"
        and parent is not None
        and parent.requested_amount
        and requested > 0
        and cofinancing <= total
    ):
        before = parent.requested_amount
        change = abs(requested - before)
        limit = call.max_amount_change_pct
        if change * HUNDRED > limit * before:
            problems.append(
                (
                    ANCHOR_TOTALS,
                    _(
                        "The requested amount %(amount)s differs from the concept note's %(before)s by %(change)s; "
                        "at most %(max)s is allowed.",
                        amount=money(requested),
                        before=money(before),
                        change=format_rate(change * HUNDRED / before, ROUND_UP),
                        max=format_limit(limit),
                    ),
                )
            )
    return problems


# -- reading --------------------------------------------------------------------------------------------------


def proposal_for_budget(proposal_id: int) -> Proposal | None:
    """The proposal with everything the budget page reads, in a fixed number of queries whatever the number of
    lines, partners and sources."""
    return db.session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.call),
            joinedload(Proposal.organisation),
            joinedload(Proposal.parent),
            selectinload(Proposal.budget_lines),
            selectinload(Proposal.cofinancing),
            selectinload(Proposal.sections),
            selectinload(Proposal.partners).joinedload(ProposalPartner.organisation),
        )
    )


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def _rate(value: Decimal | None, rounding: str) -> str | None:
    return None if value is None else str(round_pct(value, rounding))


def partner_key(partner_id: int | None) -> str:
    """The partner's key in plain data and in the form: "lead" for the lead applicant, else the partner's id."""
    return LEAD if partner_id is None else str(partner_id)


def totals_summary(totals: Totals, partners: list[dict]) -> dict:
    """The figures of `totals` as plain data. `partners` lists {"key", "id", "name", "role"} for every partner
    to show (with or without lines); each gets its total and its total per category."""
    rows = []
    for partner in partners:
        by_category = totals.by_partner_category.get(partner["id"], {})
        rows.append(
            {
                **partner,
                "total": _amount(totals.by_partner.get(partner["id"], Decimal("0.00"))),
                "by_category": {c.value: _amount(by_category.get(c.value, Decimal("0.00"))) for c in CATEGORIES},
            }
        )
    return {
        "currency": "EUR",
        "partners": rows,
        "categories": [{"key": c.value, "total": _amount(totals.by_category[c.value])} for c in CATEGORIES],
        "direct_costs": _amount(totals.direct),
        "indirect_costs": _amount(totals.indirect),
        "total": _amount(totals.total),
        "cofinancing_total": _amount(totals.cofinancing),
        "requested_amount": _amount(totals.requested),
        # Rounded towards the call's limits, so that a rate shown never seems to meet a rule it breaks:
        # co-financing 9.9999% reads 9.99% (not 10.00%), indirect costs 7.0001% read 7.01%.
        "funding_rate": _rate(totals.funding_rate, ROUND_UP),
        "cofinancing_rate": _rate(totals.cofinancing_rate, ROUND_DOWN),
        "indirect_rate": _rate(totals.indirect_rate, ROUND_UP),
    }


def budget_summary(proposal: Proposal) -> dict:
    """The saved budget as plain data (strings for amounts and rates, keys for categories), for the submitted
    snapshot, the receipt PDF and the read-only table (templates/proposals/_budget_table.html): its lines,
    co-financing sources, totals per partner, per category and per partner and category, and the rates (in
    percent, two decimals)."""
    totals = totals_of(proposal)
    by_id = {p.id: p for p in proposal.partners}

    def name_of(partner_id: int | None) -> str:
        if partner_id is None:
            return proposal.organisation.name
        return partner_name(by_id[partner_id]) if partner_id in by_id else "—"

    partners = [{"key": LEAD, "id": None, "name": proposal.organisation.name, "role": "lead"}]
    partners += [
        {"key": partner_key(p.id), "id": p.id, "name": partner_name(p), "role": p.role}
        for p in proposal.partners
        if may_have_budget(p) or p.id in totals.by_partner
    ]
    data = totals_summary(totals, partners)
    data["lines"] = [
        {
            "number": number,
            "partner": partner_key(line.partner_id),
            "partner_name": name_of(line.partner_id),
            "category": line.category,
            "description": line.description,
            "unit": line.unit,
            "quantity": str(line.quantity),
            "unit_cost": _amount(line.unit_cost),
            "total": _amount(line_total(line.quantity, line.unit_cost)),
        }
        for number, line in enumerate(proposal.budget_lines, start=1)
    ]
    data["cofinancing"] = [
        {"source": s.source, "amount": _amount(s.amount), "secured": s.secured} for s in proposal.cofinancing
    ]
    return data
