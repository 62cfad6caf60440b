"""Table downloads that stream: CSV, JSON and XLSX of exactly the rows a table shows.

A report page's `?_export=csv|xlsx|json`; not to be confused with
`tracker/interchange/export.py`, which writes developments in the import format.

django-tables2's own export builds the whole table in memory with tablib. Here
rows are read from the database in chunks and written out as they come, so an
export of every development takes the same memory as an export of ten. A table's
`export_rows()`, when it has one, gives its export (DevelopmentTable reads plain
values rather than model instances, for speed); any other table's cells come from
its `value_<column>` methods, as in django-tables2.

Every download ends with a "Methodology" column holding the version of the
methodology its figures follow (tracker/methodology.py), so a figure copied from
it can be cited with its rules.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.encoding import force_str
from django.views.generic import TemplateView
from django_tables2.rows import BoundRow

from tracker import methodology
from tracker.models import CHUNK_SIZE
from tracker.text import neutralise

if TYPE_CHECKING:
    # To the type checker a mixin of the report views is the view it is mixed into
    # (as ModelAdminMixin in tracker/admin_site.py); at run time it stays a plain class.
    TableViewMixin = TemplateView
else:
    TableViewMixin = object

FORMATS = ("csv", "xlsx", "json")
LINES_PER_CHUNK = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METHODOLOGY_COLUMN = "Methodology"


def table_rows(table) -> Iterator[list]:
    """The header, then each record's exported values, read in chunks."""
    columns = [
        column for column in table.columns.iterall() if not column.column.exclude_from_export
    ]
    yield [force_str(column.header) for column in columns]
    data = table.data.data
    records: Iterable = (
        data.iterator(chunk_size=CHUNK_SIZE) if isinstance(data, QuerySet) else data
    )
    for record in records:
        row = BoundRow(record, table=table)
        yield [force_str(row.get_cell_value(c.name), strings_only=True) for c in columns]


class _Line:
    """A file-like object csv.writer writes one line into, for streaming."""

    def write(self, text):
        return text


def _csv(rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # so spreadsheets read the file as UTF-8
    lines = []
    for row in rows:
        lines.append(writer.writerow([neutralise(value) for value in row]))
        if len(lines) == LINES_PER_CHUNK:  # fewer, larger writes to the socket
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def _json(rows: Iterator[list]) -> Iterator[str]:
    header = next(rows)
    yield "["
    for i, row in enumerate(rows):
        yield (
            ("," if i else "")
            + "\n"
            + json.dumps(dict(zip(header, row, strict=True)), default=str)
        )
    yield "\n]\n"


def _xlsx(rows: Iterator[list], title: str):
    from openpyxl import Workbook  # imported here: only XLSX exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return spool


def with_version(rows: Iterator[list], version: str) -> Iterator[list]:
    """The rows with a last column, "Methodology", holding `version` on every row."""
    header = next(rows, None)
    if header is None:
        return
    yield [*header, METHODOLOGY_COLUMN]
    for row in rows:
        yield [*row, version]


def export_response(
    rows: Iterator[list], export_format: str, filename: str, version: str | None = None
):
    """A download of rows (a header, then values) as 'csv', 'json' or 'xlsx', each row
    ending with the methodology version: today's, or `version` for figures taken
    under another (a snapshot's)."""
    rows = with_version(iter(rows), version or methodology.VERSION)
    if export_format == "csv":
        response = StreamingHttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
    elif export_format == "json":
        response = StreamingHttpResponse(_json(rows), content_type="application/json")
    elif export_format == "xlsx":
        return FileResponse(
            _xlsx(rows, title=filename.rsplit(".", 1)[0]),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_TYPE,
        )
    else:
        raise ValueError(f"Unknown export format {export_format!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class StreamingExportMixin(TableViewMixin):
    """`?_export=csv|xlsx|json` on a table view downloads its filtered, sorted rows."""

    export_trigger_param = "_export"

    def get_export_filename(self, export_format):
        return f"table.{export_format}"

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format in FORMATS:
            table = context["table"]
            rows = table.export_rows() if hasattr(table, "export_rows") else table_rows(table)
            return export_response(
                rows,
                export_format,
                self.get_export_filename(export_format),
            )
        return super().render_to_response(context, **kwargs)
