"""Import templates: what a user downloads opens right and reads back as its example row."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from service.imports.columns import COLUMNS, KINDS
from service.imports.reading import ImportLimits, open_table
from service.imports.templates import template_csv, template_xlsx
from service.training.idnumber import validate_id_number


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_template_reads_back_as_its_example_row(tmp_path, kind, fmt):
    body = template_csv(kind) if fmt == "csv" else template_xlsx(kind)
    path = tmp_path / f"template.{fmt}"
    path.write_bytes(body)
    with open_table(str(path), ImportLimits()) as table:
        assert table.check(kind) == 1
        rows = list(table.records(kind))
    assert table.format == fmt
    assert rows == [(2, {c.field: c.example for c in COLUMNS[kind]})]


@pytest.mark.parametrize("kind", KINDS)
def test_csv_template_is_utf8_with_bom_and_bilingual_header(kind):
    body = template_csv(kind)
    assert body.startswith(b"\xef\xbb\xbf")
    header = body.decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[0] == "身份证号 (id_number)"


def test_xlsx_template_keeps_ids_and_dates_as_text():
    book = load_workbook(io.BytesIO(template_xlsx("attendance")))
    sheet = book.worksheets[0]
    assert book.active.title == sheet.title
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["身份证号 (id_number)", "培训班ID (offering_id)", "日期 (date)"]
    example = {h: c for h, c in zip(header, sheet[2], strict=True)}
    id_cell = example["身份证号 (id_number)"]
    assert id_cell.data_type == "s" and id_cell.number_format == "@"
    assert validate_id_number(id_cell.value) == id_cell.value  # GB 11643 check digit holds
    for label in ("日期 (date)", "开始时间 (start)", "结束时间 (end)"):
        assert example[label].number_format == "@"
        assert sheet.column_dimensions[example[label].column_letter].number_format == "@"
    assert sheet["A100"].number_format == "@"  # a row typed later stays text too
    assert "必填" in sheet["A1"].comment.text
    notes = book.worksheets[1]
    assert [c.value for c in notes[1]][:2] == ["列 column", "要求 requirement"]
    assert notes.max_row >= len(COLUMNS["attendance"]) + 1


def test_learner_template_formats_phone_as_text():
    sheet = load_workbook(io.BytesIO(template_xlsx("learners"))).worksheets[0]
    header = [c.value for c in sheet[1]]
    phone = sheet.cell(row=2, column=header.index("手机号 (phone)") + 1)
    assert (phone.value, phone.number_format) == ("13800138000", "@")
