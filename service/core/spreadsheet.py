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
from collections.abc import Iterable, Iterator
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


BOM = "\ufeff"


def csv_stream(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Rows as CSV bytes, yielded about every 32 KiB: UTF-8 with a BOM, so Excel opens it as
    UTF-8 and shows Chinese text; every cell through :func:`csv_cell`."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write(BOM)
    for row in rows:
        writer.writerow(csv_row(row))
        if buffer.tell() > 32_768:
            yield flush()
    yield flush()


def xlsx_stream(title: str, rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Rows as one XLSX sheet, streamed in 64 KiB chunks: openpyxl's write-only workbook into
    a temporary file (the format is a ZIP and needs a seekable file), then deleted."""
    import os
    import tempfile

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as handle:
            while chunk := handle.read(65_536):
                yield chunk
    finally:
        os.unlink(path)
