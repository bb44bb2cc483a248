"""Spreadsheet cells that open as data, never as formulas: the one rule every CSV and XLSX
writer of the service applies.

Excel and LibreOffice run a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (OWASP "CSV Injection"), so a name such as
``=HYPERLINK("http://evil","open")`` typed into a record would become a live link in every
export an official opens.

- CSV has no types: such a text cell is prefixed with a single quote ``'`` (OWASP's advice),
  which the spreadsheet shows as text.
- XLSX has types: text is written as a string cell (``t="inlineStr"``), which is never
  evaluated, and keeps its value; characters XML 1.0 cannot carry are dropped (section 2.2).

Numbers, dates and decimals stay what they are: only text is neutralised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The C0 controls XML 1.0 forbids (tab, line feed and carriage return are allowed).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV writer should get it (``None`` is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for ``sheet.append`` on an openpyxl write-only sheet: text as string cells."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, _NOT_XML.sub("", value))
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        else:
            cell = WriteOnlyCell(sheet, value)
        cells.append(cell)
    return cells
