"""Table downloads that stream: CSV, JSON and XLSX of exactly the rows a table shows.

A report page's `?_export=csv|xlsx|json`; not to be confused with
`tracker/interchange/export.py`, which writes developments in the import format
(the explorer offers that too, streamed by `import_format_response`).

django-tables2's own export builds the whole table in memory with tablib. Here
rows are read from the database in chunks and written out as they come, so an
export of every development takes the same memory as an export of ten, and its
first bytes leave at once, in every format. A table's `export_rows()`, when it has
one, gives its export: every report table (tracker/tables.py) has one, reading plain
values a chunk at a time with a fixed number of queries per chunk. Any other
table's cells come from its `value_<column>` methods, as in django-tables2, which
costs some 20 microseconds a cell (django-tables2 inspects each method's signature
for every cell): a minute for 100,000 rows.

XLSX is written here too, as a stream (`_xlsx`): openpyxl, even write-only, saves a
workbook only once its last row is in, so a large download sent nothing until it was
done, and took as long again to lay out each cell as an object.

Every download ends with a "Methodology" column holding the version of the
methodology its figures follow (tracker/methodology.py), so a figure copied from
it can be cited with its rules.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice, product
from string import ascii_uppercase
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.encoding import force_str
from django.views.generic import TemplateView
from django_tables2.rows import BoundRow

from tracker import methodology
from tracker.interchange.export import export_chunks
from tracker.models import CHUNK_SIZE
from tracker.text import CsvLine, neutralise, neutralised

if TYPE_CHECKING:
    # To the type checker a mixin of the report views is the view it is mixed into
    # (as ModelAdminMixin in tracker/admin_site.py); at run time it stays a plain class.
    TableViewMixin = TemplateView
else:
    TableViewMixin = object

FORMATS = ("csv", "xlsx", "json")
LINES_PER_CHUNK = 200  # rows written to the socket at a time
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


def batches(items: Iterable, size: int) -> Iterator[list]:
    """items in lists of `size` (the last may be shorter)."""
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def _csv(rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(CsvLine())
    yield "\ufeff"  # so spreadsheets read the file as UTF-8
    for batch in batches(rows, LINES_PER_CHUNK):  # fewer, larger writes to the socket
        yield "".join(writer.writerow(neutralised(row)) for row in batch)


def _json(rows: Iterator[list]) -> Iterator[str]:
    header = next(rows)
    yield "["
    separator = "\n"
    for batch in batches(rows, LINES_PER_CHUNK):
        yield separator + ",\n".join(
            json.dumps(dict(zip(header, row, strict=True)), default=str) for row in batch
        )
        separator = ",\n"
    yield "\n]\n"


# --- XLSX, streamed ---------------------------------------------------------------
#
# An XLSX file is a zip of XML parts. zipfile writes to a stream it cannot seek (the
# sizes go after each part's data), so the worksheet is compressed and sent a chunk
# of rows at a time. Cells are as openpyxl wrote them: text inline, numbers as
# '%.16g', booleans as 1/0, empty values left out.

XLSX_MAX_ROWS = 1_048_576  # the most rows a worksheet holds
XLSX_COMPRESSION = 1  # zlib's fastest: for 100,000 rows 3.7 MB in 0.08 s, level 6 3.3 MB in 0.25 s
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOCUMENT}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# A, B, … Z, AA, … XFD: the 16,384 columns a worksheet has.
_COLUMNS = [
    "".join(letters) for width in (1, 2, 3) for letters in product(ascii_uppercase, repeat=width)
][:16_384]
# What XML cannot hold beyond the control characters neutralise() drops.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# A sheet's name: at most 31 characters, none of these.
_NOT_IN_SHEET_NAMES = re.compile(r"[\\/?*\[\]:]")


def _xml_text(text: str) -> str:
    if not text.isprintable():  # a quick test first: most cells are
        text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(reference: str, value) -> str:
    if value.__class__ is str:  # most cells: tested first
        if not value:
            return ""
        text = _xml_text(neutralise(value))
        return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{value:d}</v></c>'
    if isinstance(value, int | float | Decimal):
        number = "" if math.isnan(value) or math.isinf(value) else f"{float(value):.16g}"
        return f'<c r="{reference}" t="n"><v>{number}</v></c>'
    return _cell(reference, str(value))


def _sheet_rows(rows: Iterator[list]) -> Iterator[str]:
    """Each row's XML, up to the most a worksheet holds; when there are more, its
    last row says so instead."""
    for number, row in enumerate(rows, start=1):
        if number == XLSX_MAX_ROWS and next(rows, None) is not None:
            row = [
                f"Only the first {XLSX_MAX_ROWS - 2:,} rows fit in a worksheet: "
                "download CSV or JSON for all of them."
            ]
        line = str(number)
        cells = "".join(  # a sheet has 16,384 columns: not strict, as any beyond are lost
            [_cell(column + line, value) for column, value in zip(_COLUMNS, row, strict=False)]
        )
        yield f'<row r="{line}">{cells}</row>'
        if number == XLSX_MAX_ROWS:
            return


class Pipe:
    """A file that zipfile writes into and a streamed response takes the bytes out
    of: the XLSX exports' and the open-data package's (tracker/datapackage.py)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _xlsx(rows: Iterator[list], title: str) -> Iterator[bytes]:
    """A workbook of one sheet named `title`, written and sent a chunk of rows at a time."""
    name = _NOT_IN_SHEET_NAMES.sub("-", title)[:31].strip("'") or "Sheet"
    parts = {
        **_XLSX_PARTS,
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOCUMENT}"><sheets>'
            f'<sheet name="{_xml_text(name).replace(chr(34), "&quot;")}" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
    }
    pipe = Pipe()
    with zipfile.ZipFile(
        pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION
    ) as package:
        for part, xml in parts.items():
            package.writestr(part, _XML_DECLARATION + xml)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            for batch in batches(_sheet_rows(rows), LINES_PER_CHUNK):
                sheet.write("".join(batch).encode())
                yield pipe.take()
            sheet.write(b"</sheetData></worksheet>")
    yield pipe.take()


def with_version(rows: Iterator[list], version: str) -> Iterator[list]:
    """The rows with a last column, "Methodology", holding `version` on every row."""
    header = next(rows, None)
    if header is None:
        return
    yield [*header, METHODOLOGY_COLUMN]
    for row in rows:
        yield [*row, version]


def export_response(
    rows: Iterable[list], export_format: str, filename: str, version: str | None = None
) -> StreamingHttpResponse:
    """A download of rows (a header, then values) as 'csv', 'json' or 'xlsx', each row
    ending with the methodology version: today's, or `version` for figures taken
    under another (a snapshot's). Streamed in every format: rows are read as it is
    sent. An XLSX sheet stops at the most rows a worksheet holds (1,048,576), its last
    row saying so."""
    versioned = with_version(iter(rows), version or methodology.VERSION)
    content: Iterator[str] | Iterator[bytes]
    if export_format == "csv":
        content, content_type = _csv(versioned), "text/csv; charset=utf-8"
    elif export_format == "json":
        content, content_type = _json(versioned), "application/json"
    elif export_format == "xlsx":
        content, content_type = _xlsx(versioned, title=filename.rsplit(".", 1)[0]), XLSX_TYPE
    else:
        raise ValueError(f"Unknown export format {export_format!r}")
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The explorer's downloads in the import format: ?_export=import-csv or import-json.
IMPORT_FORMATS = {"import-csv": "csv", "import-json": "json"}
IMPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def import_format_response(developments, file_format: str, filename: str) -> StreamingHttpResponse:
    """A download of developments in the import format (tracker/interchange/export.py),
    'csv' or 'json', streamed a chunk of records at a time: the file
    `export_developments` writes for them, which `import_developments` reads back. No
    methodology column (the import would refuse it); a CSV cell a spreadsheet would
    run as a formula gets a leading ', which the import takes off again
    (text.formula_quoted), so that the file imports unchanged."""
    chunks = export_chunks(file_format, developments)
    content = ("".join(batch) for batch in batches(chunks, LINES_PER_CHUNK))
    response = StreamingHttpResponse(content, content_type=IMPORT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class StreamingExportMixin(TableViewMixin):
    """`?_export=csv|xlsx|json` on a table view downloads its filtered, sorted rows."""

    export_trigger_param = "_export"

    def get_export_filename(self, export_format):
        return f"table.{export_format}"

    def exporting(self) -> bool:
        """Whether the request is for a download: it needs the table, not the rest of
        the page's figures."""
        return self.request.GET.get(self.export_trigger_param) in FORMATS

    def render_to_response(self, context, **kwargs):
        if self.exporting():
            export_format = self.request.GET[self.export_trigger_param]
            table = context["table"]
            rows = table.export_rows() if hasattr(table, "export_rows") else table_rows(table)
            return export_response(
                rows,
                export_format,
                self.get_export_filename(export_format),
            )
        return super().render_to_response(context, **kwargs)
