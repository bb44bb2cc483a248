"""Downloadable import templates: the header row (Chinese and English) and one example row.

- XLSX: the data sheet comes first (the reader reads only the first sheet), its ID number,
  phone, date and time columns formatted as text (``@``) so that Excel keeps an 18-digit ID
  number as typed instead of turning it into a rounded number; each header cell has a comment,
  and a second sheet explains every column.
- CSV: UTF-8 with a BOM, so that Excel opens the Chinese header correctly. Excel shows long
  digit strings of a CSV as numbers (and saves them so): the XLSX template is the safer one.

Both read back through :mod:`service.imports.reading` as the example row with canonical fields.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from service.imports.columns import COLUMNS, ONE_OF, Column

TEXT = "@"  # the number format "Text" (ECMA-376 part 1, 18.8.30 numFmt id 49)
_SHEET_TITLES = {"learners": "学员 learners", "enrollments": "报名 enrollments"}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TEXT_ROWS = 2000  # cells preformatted as text below the header (the column style covers more)


def template_csv(kind: str) -> bytes:
    """The CSV template of ``kind``: UTF-8 with BOM, CRLF line ends (as Excel writes)."""
    columns = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    writer.writerow([c.example for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _requirement(kind: str, column: Column) -> str:
    if column.required:
        return "必填 required"
    if column.field in ONE_OF.get(kind, ()):
        return "二选一 one of two"
    return "选填 optional"


def template_xlsx(kind: str) -> bytes:
    """The XLSX template of ``kind`` (a data sheet, then a notes sheet)."""
    columns = COLUMNS[kind]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _SHEET_TITLES.get(kind, "考勤 attendance")
    for i, column in enumerate(columns, 1):
        head = sheet.cell(row=1, column=i, value=column.label)
        head.font = Font(bold=True)
        head.fill = _HEADER_FILL
        head.alignment = Alignment(vertical="center")
        head.comment = Comment(f"{_requirement(kind, column)}\n{column.note}", "skills")
        example = sheet.cell(row=2, column=i, value=column.example or None)
        letter = head.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.label) + 8)
        if column.text:
            sheet.column_dimensions[letter].number_format = TEXT
            example.number_format = TEXT
            for row in range(3, _TEXT_ROWS + 2):
                sheet.cell(row=row, column=i).number_format = TEXT
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明 notes")
    notes.append(["列 column", "要求 requirement", "说明 note", "示例 example"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append([column.label, _requirement(kind, column), column.note, column.example])
    notes.append([])
    notes.append(["只读取第一个工作表；示例行请删除或改为真实数据。"])
    notes.append(["Only the first sheet is read; delete the example row or overwrite it."])
    for letter, width in zip("ABCD", (26, 18, 70, 40), strict=True):
        notes.column_dimensions[letter].width = width
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
