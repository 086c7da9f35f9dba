"""One page of a list already in memory or counted in SQL: the numbers the pagination macro
(templates/admin/_pagination.html) reads, plus the first and last position shown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class ListPage:
    page: int
    per_page: int
    total: int
    items: list = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first(self) -> int:
        """Position (1-based) of the first item shown; 0 when there is none."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.per_page, self.total)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_number(value: int | None, total: int, per_page: int) -> int:
    """The page asked for, brought within 1..last page (a stale link past the end shows the last page)."""
    last = max(1, math.ceil(total / per_page))
    return min(max(1, value or 1), last)


def slice_page(items: list, page: int | None, per_page: int) -> ListPage:
    number = page_number(page, len(items), per_page)
    start = (number - 1) * per_page
    return ListPage(page=number, per_page=per_page, total=len(items), items=items[start : start + per_page])
