"""Paging in the review page's addresses (`?page=2&per_page=100`): read from a request,
refused with a clear 400 when mistyped, and written back as the links to the pages beside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from daemon.reports.paging import DEFAULT_PER_PAGE, MAX_PER_PAGE, Page, PageRequest


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    previous: str | None  # the address of the page before; None on the first
    next: str | None  # None on the last


def page_request(
    request: Request,
    name: str = "page",
    per_page: str | None = "per_page",
    most: int = MAX_PER_PAGE,
    default: int = DEFAULT_PER_PAGE,
) -> PageRequest:
    """The page `name` asks for, of `per_page` items (None: always `default`, not in the
    address), at most `most` of them: a page's items may cost more than the paging allows."""
    number = _number(request, name, 1)
    size = _number(request, per_page, default) if per_page else default
    if size > most:
        raise HTTPException(400, f"{per_page} must be at most {most}, not {size}")
    try:
        return PageRequest(number, size)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


def pager(request: Request, shown: Page[Any], name: str = "page", anchor: str = "") -> Pager:
    """Links to the pages before and after `shown`, every other parameter kept."""

    def link(number: int) -> str:
        url = request.url.include_query_params(**{name: number})
        address = f"{url.path}?{url.query}"  # relative: the page's own host and scheme
        return f"{address}#{anchor}" if anchor else address

    return Pager(
        page=shown.page,
        pages=shown.pages,
        total=shown.total,
        previous=link(shown.page - 1) if shown.has_previous else None,
        next=link(shown.page + 1) if shown.has_next else None,
    )


def _number(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number") from None
