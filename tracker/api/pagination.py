"""Pages of API lists: numbered with a count for the short lists, cursors for the long.

Developments and evidence run to hundreds of thousands of rows: an OFFSET that
deep makes the database read and drop every row before the page, and a count reads
them all. A cursor page starts where the last ended, through an index.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class NumberedPages(PageNumberPagination):
    """`?page=N` (and `?page_size=`, up to 500), with the count of all rows."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class DevelopmentCursor(CursorPagination):
    """Newest first, as the explorer lists them (the tracker_dev_date_title_idx index).

    A cursor holds a date and how many rows of that date were read already: rows of
    one date are skipped by OFFSET, which costs what that one date holds. REST
    framework refuses offsets past 1,000; a date may hold more (thousands of
    developments known only by their year are dated its 1 January)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-date", "title", "id")
    offset_cutoff = 100_000


class EvidenceCursor(CursorPagination):
    """In the order the links were made: by id, the primary key's index."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("id",)
