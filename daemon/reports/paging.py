"""One page of a long list: what the review page asks for and what it gets back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200  # a grid of 200 thumbnails is the most one page shows


@dataclass(frozen=True)
class PageRequest:
    """Page `page` (from 1) of `per_page` items; out-of-range values are refused, not
    clamped, so a mistyped address says so."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError(f"page must be 1 or more, not {self.page}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {self.per_page}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    per_page: int
    total: int  # items in the whole list

    @classmethod
    def of(cls, items: list[T] | tuple[T, ...], request: PageRequest, total: int) -> Page[T]:
        return cls(tuple(items), request.page, request.per_page, total)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
