"""CSV that spreadsheets load as data, never as formulas (OWASP CSV injection).

Every text cell is quoted, so a `;` or a line end inside it stays inside it for a reader that
splits on commas. A spreadsheet that splits on `;` or tab (the separators of many locales)
or ignores quotes still cuts such a cell in pieces: every piece that would start a formula
(at the start of the cell, after a `;`, a tab or a line end) is prefixed with `'`, as a
cell that starts with one is. Numbers,
ids and times are written as they are, unquoted, so they load as numbers."""

import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
CELL_BREAKS = (";", "\t", "\r", "\n")
"""Where a spreadsheet may start a new cell inside a quoted text (see the module doc)."""


def _class(chars: Iterable[str]) -> str:
    chars = list(chars)  # '-' last, so the class means the same to Python and PostgreSQL
    return "[" + "".join(c for c in chars if c != "-") + ("-" if "-" in chars else "") + "]"


BREAKS_PATTERN = _class(CELL_BREAKS)
LINE_ENDS = ("\r", "\n")
PIECE_STARTS = (*(c for c in FORMULA_START if c not in LINE_ENDS), '"')
"""What must not begin a piece: a formula start, or a quote (a reader would take the piece
for a quoted cell and run what follows its end). A line end is left alone (every reader
breaks there, and the piece after it is checked in turn): a CRLF in a comment stays."""
PIECE_START_PATTERN = f"({BREAKS_PATTERN})(?={_class(PIECE_STARTS)})"
"""A break followed by a piece start: one regular expression that means the same to
Python and PostgreSQL (the export formats rows there with `regexp_replace`). The start of
the cell is checked apart: PostgreSQL prefers the longest of alternative matches."""
_PIECE_START = re.compile(PIECE_START_PATTERN)


class TextCell(str):
    """A neutralised text cell: `write_rows` quotes it."""


def text_cell(value: str | None) -> str:
    """A text cell; every piece of it a spreadsheet would run as a formula gets a `'`."""
    if not value:
        return ""
    value = _PIECE_START.sub(r"\1'", value)
    return TextCell("'" + value if value.startswith(FORMULA_START) else value)


def number_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _field(cell: str) -> str:
    if isinstance(cell, TextCell) or any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def row_text(cells: Iterable[str]) -> str:
    """One CSV record (RFC 4180, CRLF): text cells quoted, other cells as they are."""
    return ",".join(map(_field, cells)) + "\r\n"


def write_rows(header: list[str], rows: Iterable[list[str]]) -> str:
    return row_text(header) + "".join(map(row_text, rows))
