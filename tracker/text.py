"""Text that must survive spreadsheets and XML: what a cell or a feed may not hold."""

from __future__ import annotations

import re

# A spreadsheet runs a cell that begins with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 (and so XLSX and Atom) cannot hold: C0 controls but tab and newlines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """Make a text cell safe for a spreadsheet: no formula, no unwritable character."""
    if isinstance(value, str):
        if not value.isprintable():  # a quick test first: most cells are
            value = CONTROL_CHARACTERS.sub("", value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)


def neutralised(row: list) -> list:
    """neutralise() of each cell of a row, the common cell (a number, or text that
    neither starts a formula nor holds a control character) passed without a call:
    an export of 100,000 rows has a million cells, and the calls were a fifth of the
    actors' export's time."""
    return [
        neutralise(cell)
        if isinstance(cell, str) and (cell[:1] in TRIGGER_CHARACTERS or not cell.isprintable())
        else cell
        for cell in row
    ]


def formula_quoted(value):
    """A text cell of the import format's CSV, which editors open in a spreadsheet to
    edit and import again: one that a spreadsheet would run as a formula gets a
    leading ' (as neutralise gives it), and nothing else changes; formula_unquoted()
    takes it off again on import, so the round trip is exact."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def formula_unquoted(value: str) -> str:
    """A cell read from an import CSV without the ' that formula_quoted() (or a
    spreadsheet user) put before a formula's first character."""
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def xml_text(value: str) -> str:
    """Text an XML document (an Atom feed) can hold: its control characters dropped."""
    return CONTROL_CHARACTERS.sub("", value)


class CsvLine:
    """A file that csv.writer writes one line into and gives back, so that CSV can be
    streamed a line at a time (the exports, the import format, the data package)."""

    def write(self, text: str) -> str:
        return text
