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


def xml_text(value: str) -> str:
    """Text an XML document (an Atom feed) can hold: its control characters dropped."""
    return CONTROL_CHARACTERS.sub("", value)
