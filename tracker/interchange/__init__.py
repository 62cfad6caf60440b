"""Import developments from CSV or JSON, and export them in the same formats.

An import is accepted whole or not at all. The file is read twice, as a stream:
the first pass validates every record and collects every problem (with the line
the record starts on and the column at fault); only when there are none does
the second pass write, in batches, inside one transaction. A record may follow a
development later in the file: what records follow is checked once the first
pass has read them all, and written once the second has written them all. Memory stays flat as
files grow: records are never all held at once, and a JSON file is decoded a
chunk at a time, one record after another.

Hostile files are refused, never fatal: whatever a file holds, reading it ends
in problems with their line (and column) or an ImportFileError of one line.

One job per module: `formats` reads CSV/JSON records (and partial dates),
`validation` checks them, `writer` writes them in one transaction, `export`
writes the same formats back. The management commands (`import_developments`,
`export_developments`) and the admin's upload page are thin wrappers around
`import_developments()` and `export_developments()` here.
"""

from tracker.interchange.export import export_developments, export_records
from tracker.interchange.formats import (
    COLUMNS,
    ImportFileError,
    Problem,
    csv_records,
    detect_format,
    format_partial_date,
    json_records,
    parse_partial_date,
    read_records,
)
from tracker.interchange.validation import CitationRow, Row, Validator
from tracker.interchange.writer import (
    MAX_PROBLEMS,
    ImportReport,
    check_records,
    import_developments,
    insert_rows,
    record_history,
    serialise_imports,
)

__all__ = [
    "COLUMNS",
    "MAX_PROBLEMS",
    "CitationRow",
    "ImportFileError",
    "ImportReport",
    "Problem",
    "Row",
    "Validator",
    "check_records",
    "csv_records",
    "detect_format",
    "export_developments",
    "export_records",
    "format_partial_date",
    "import_developments",
    "insert_rows",
    "json_records",
    "parse_partial_date",
    "read_records",
    "record_history",
    "serialise_imports",
]
