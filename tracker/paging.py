"""Paging of report pages: the portfolio's frameworks, the matrix's actors and
recommendations, the timeline's lanes, the corrections log, and the
django-tables2 tables (whose pages their view turns into a Pager).

One rule for every pager: a page that is not a number is a 404, as is one past
the end, whose message says how many pages there are; links keep the rest of
the query (the as-of date, the framework, the other pager's page).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404

MAX_PAGE = 1_000_000
PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,6}\Z")  # ASCII digits only: '²' and '３' are not pages


class NotFound(Http404):
    """A 404 whose message is written for readers: the 404 page shows it ("There are
    17 pages of developments; page 30 is past the end.")."""


def checked_page(raw: str | None) -> int:
    """The page a query asks for (1 when it asks none); a 404 when it is no number."""
    if raw is None or raw == "":
        return 1
    if not (PAGE_NUMBER.match(raw) and int(raw) <= MAX_PAGE):
        raise NotFound("There is no such page: a page is a number from 1.")
    return int(raw)


@dataclass
class Pager:
    """A page of items and the links around it: "Frameworks 1–20 of 200"."""

    page: Page
    noun: str  # plural: 'frameworks'
    links: dict[str, str]  # 'first', 'previous', 'next', 'last': their URLs

    @property
    def label(self) -> str:
        count = self.page.paginator.count
        if not count:
            return f"No {self.noun}"
        first, last = self.page.start_index(), self.page.end_index()
        return f"{self.noun.capitalize()} {first}–{last} of {count}"

    @property
    def items(self) -> Sequence[Any]:
        return list(self.page.object_list)


def past_the_end(number: int, pages: int, noun: str) -> NotFound:
    """The 404 of a page past the end, saying how many pages there are."""
    return NotFound(
        f"There {'is' if pages == 1 else 'are'} {pages} page{'s' if pages != 1 else ''} "
        f"of {noun}; page {number} is past the end."
    )


def pager(request, items, per_page: int, noun: str, param: str = "page") -> Pager:
    """The page of `items` the request's `param` asks for, with its links."""
    number = checked_page(request.GET.get(param))
    paginator = Paginator(items, per_page)
    if number > paginator.num_pages:
        raise past_the_end(number, paginator.num_pages, noun)
    return pager_of(request, paginator.page(number), noun, param)


def pager_of(request, page: Page, noun: str, param: str = "page") -> Pager:
    """A Pager for a page already taken (a django-tables2 table's), its links
    keeping the rest of the request's query."""

    def url(n: int) -> str:
        query = request.GET.copy()
        query[param] = str(n)
        return f"?{query.urlencode()}"

    links: dict[str, str] = {}
    if page.has_previous():
        links.update(first=url(1), previous=url(page.previous_page_number()))
    if page.has_next():
        links.update(next=url(page.next_page_number()), last=url(page.paginator.num_pages))
    return Pager(page, noun, links)
