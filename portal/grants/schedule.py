"""The default payment schedule and reporting milestones of a new grant (DOMAIN.md, "After the award").

Defaults from public EU practice; a manager changes a grant's schedule afterwards (portal.grants.payments):
- reporting: an interim narrative and an interim financial report for every full year of the action that ends
  before its end date, due REPORT_DELAY_DAYS after the end of that year; the final narrative and financial reports
  REPORT_DELAY_DAYS after the end date;
- payments for a small action (at most SMALL_ACTION_MONTHS months or at most SMALL_ACTION_AMOUNT): pre-financing of
  SMALL_PRE_FINANCING_PCT at the start, the balance once the final reports are approved;
- for a larger one: yearly tranches, the first pre-financing at the start and a further pre-financing each
  following year once the previous year's interim reports are approved, the balance once the final reports are
  approved. LARGE_PRE_FINANCING_PCT of the amount is spread over the yearly tranches in proportion to the months
  of each year; the rest is the balance. Total pre-financing never goes above MAX_PRE_FINANCING_PCT.

Everything here only builds rows; award_grant() adds them to the grant and audits."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from portal.grants.models import GrantReport, ReportPeriod, ReportStatus, ReportType, Tranche, TrancheKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
REPORT_DELAY_DAYS = 60
# A further tranche or the balance is planned this long after the report it waits for is due (time to review it).
PAYMENT_DELAY_DAYS = 30
SMALL_ACTION_MONTHS = 12
SMALL_ACTION_AMOUNT = Decimal("100000.00")
SMALL_PRE_FINANCING_PCT = Decimal(80)
LARGE_PRE_FINANCING_PCT = Decimal(90)
MAX_PRE_FINANCING_PCT = Decimal(90)
PRE_FINANCING_KINDS = (TrancheKind.PRE_FINANCING.value, TrancheKind.FURTHER_PRE_FINANCING.value)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the end of a shorter month (31 January + 1 month = 28/29 February).
    Hand-written: six lines, where python-dateutil's relativedelta would be a new dependency for one function."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: dt.date, end: dt.date) -> int:
    """Months from `start` to `end` included, a started month counting as one (1 Jan - 31 Dec: 12), at least 1."""
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    return max(months + (1 if after.day > start.day else 0), 1)


@dataclass(frozen=True)
class Year:
    """One reporting year of the action: its first and last day (the last year may be shorter)."""

    number: int
    start: dt.date
    end: dt.date
    months: int


def years_of(start: dt.date, end: dt.date) -> list[Year]:
    years: list[Year] = []
    number, first = 1, start
    while first <= end:
        next_first = add_months(start, 12 * number)
        last = min(next_first - dt.timedelta(days=1), end)
        years.append(Year(number, first, last, months_between(first, last)))
        number, first = number + 1, next_first
    return years


def is_small_action(amount: Decimal, start: dt.date, end: dt.date) -> bool:
    return months_between(start, end) <= SMALL_ACTION_MONTHS or amount <= SMALL_ACTION_AMOUNT


def default_reports(start: dt.date, end: dt.date) -> list[GrantReport]:
    reports: list[GrantReport] = []
    for year in years_of(start, end)[:-1]:
        due = year.end + dt.timedelta(days=REPORT_DELAY_DAYS)
        for kind in (ReportType.NARRATIVE, ReportType.FINANCIAL):
            reports.append(
                GrantReport(
                    period=ReportPeriod.INTERIM.value,
                    type=kind.value,
                    title="",
                    due_date=due,
                    status=ReportStatus.DUE.value,
                )
            )
    final_due = end + dt.timedelta(days=REPORT_DELAY_DAYS)
    for kind in (ReportType.NARRATIVE, ReportType.FINANCIAL):
        reports.append(
            GrantReport(
                period=ReportPeriod.FINAL.value,
                type=kind.value,
                title="",
                due_date=final_due,
                status=ReportStatus.DUE.value,
            )
        )
    return reports


def _financial(reports: list[GrantReport], period: str) -> list[GrantReport]:
    return sorted(
        (r for r in reports if r.period == period and r.type == ReportType.FINANCIAL), key=lambda r: r.due_date
    )


def default_tranches(amount: Decimal, start: dt.date, end: dt.date, reports: list[GrantReport]) -> list[Tranche]:
    """The schedule for `amount`; further tranches and the balance point at the financial report they wait for
    (the payment rules require every report of that period approved)."""
    amount = Decimal(amount).quantize(CENT)
    final = _financial(reports, ReportPeriod.FINAL)[-1]
    interims = _financial(reports, ReportPeriod.INTERIM)
    balance_date = final.due_date + dt.timedelta(days=PAYMENT_DELAY_DAYS)
    if is_small_action(amount, start, end):
        first = (amount * SMALL_PRE_FINANCING_PCT / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
        return [
            Tranche(number=1, kind=TrancheKind.PRE_FINANCING.value, planned_date=start, planned_amount=first, note=""),
            Tranche(
                number=2,
                kind=TrancheKind.BALANCE.value,
                planned_date=balance_date,
                planned_amount=amount - first,
                requires_report=final,
                note="",
            ),
        ]
    years = years_of(start, end)
    total_months = sum(y.months for y in years)
    pre_total = (amount * LARGE_PRE_FINANCING_PCT / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
    tranches: list[Tranche] = []
    given = Decimal("0.00")
    for year in years:
        if year.number == len(years):
            part = pre_total - given  # the last yearly tranche takes the cents the others rounded away
        else:
            part = (pre_total * year.months / total_months).quantize(CENT, rounding=ROUND_DOWN)
        given += part
        if year.number == 1:
            tranches.append(
                Tranche(
                    number=1, kind=TrancheKind.PRE_FINANCING.value, planned_date=start, planned_amount=part, note=""
                )
            )
        else:
            previous = interims[year.number - 2]
            tranches.append(
                Tranche(
                    number=year.number,
                    kind=TrancheKind.FURTHER_PRE_FINANCING.value,
                    planned_date=previous.due_date + dt.timedelta(days=PAYMENT_DELAY_DAYS),
                    planned_amount=part,
                    requires_report=previous,
                    note="",
                )
            )
    tranches.append(
        Tranche(
            number=len(years) + 1,
            kind=TrancheKind.BALANCE.value,
            planned_date=balance_date,
            planned_amount=amount - pre_total,
            requires_report=final,
            note="",
        )
    )
    return tranches
