"""Reading import files: real XLSX and CSV files made here, read as an import job reads them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from service.imports.reading import FileRefused, ImportLimits, limits_from, open_table

ATT_HEADER = ["身份证号 (id_number)", "培训班ID (offering_id)", "日期", "start", "结束时间", "方式"]
ID = "330212199003071239"
LEARNER_HEADER = ["id_number", "name", "district_code"]
OFF = "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11"


def write_xlsx(path, rows, sheets=()):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for title in sheets:
        book.create_sheet(title).append(["anything", "=1+1"])
    book.save(path)
    return str(path)


def write_csv(path, rows, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return str(path)


CT = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def write_raw_xlsx(path, sheet_data, padding="", shared=None):
    """A minimal workbook whose sheet XML is written by hand (prefixes, refs, bombs);
    ``shared``: the ``<si>`` elements of a shared-strings part."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{R}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{R}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{R}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        if shared is not None:
            z.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"{''.join(shared)}</sst>",
            )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{padding}<x:sheetData>{sheet_data}</x:sheetData></x:worksheet>",
        )
    return str(path)


def inline(ref, text):
    return f'<x:c r="{ref}" t="inlineStr"><x:is><x:t>{text}</x:t></x:is></x:c>'


def refused(path, kind="attendance", limits=None) -> FileRefused:
    with open_table(path, limits or ImportLimits()) as table, pytest.raises(FileRefused) as err:
        table.check(kind)
    return err.value


def read(path, kind="attendance", limits=None, start_after=0):
    with open_table(path, limits or ImportLimits()) as table:
        count = table.check(kind)
        rows = list(table.records(kind, start_after=start_after))
        assert count == len(rows) or start_after
        return table.format, rows


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_rows_come_back_as_text_with_spreadsheet_row_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            [*ATT_HEADER, "记录编号 (row_key)"],
            [ID, OFF, date(2026, 3, 2), time(9, 0), time(11, 30, 15), " 面授 ", 7],
            [None, None, None, None, None, None, None],  # blank: skipped, still numbered
            [ID, OFF, datetime(2026, 3, 3), "09:00", datetime(2026, 3, 3, 11, 30), "线上", 2.5],
        ],
    )
    fmt, rows = read(path)
    assert fmt == "xlsx"
    assert rows == [
        (
            2,
            {
                "id_number": ID,
                "offering_id": OFF,
                "date": "2026-03-02",
                "start": "09:00",
                "end": "11:30:15",
                "mode": "面授",
                "row_key": "7",
            },
        ),
        (
            4,
            {
                "id_number": ID,
                "offering_id": OFF,
                "date": "2026-03-03",
                "start": "09:00",
                "end": "2026-03-03T11:30",
                "mode": "线上",
                "row_key": "2.5",
            },
        ),
    ]


def test_only_the_first_sheet_is_read(tmp_path):
    # the second sheet holds a formula: it is not read, so it is not refused
    path = write_xlsx(tmp_path / "a.xlsx", [ATT_HEADER, [ID, OFF, "2026-03-02", "9:00"]], ["x"])
    _, rows = read(path)
    assert [r for r, _ in rows] == [2]
    assert rows[0][1]["end"] == ""


def test_an_id_number_stored_as_a_number_reads_as_the_digits_excel_kept(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [ATT_HEADER, [int(ID), OFF, "d", "s", "e", "m"]])
    _, [(_, cells)] = read(path)
    # a double keeps ~16 significant digits: 18 digits, but not the ones typed (the ID check
    # of the row fails later); templates format the column as text to avoid this
    assert len(cells["id_number"]) == 18 and cells["id_number"].isdigit()
    assert cells["id_number"] != ID


def test_a_sheet_starting_lower_and_further_right_keeps_its_numbering(tmp_path):
    sheet = (
        '<x:row r="3">'
        + "".join(inline(f"{c}3", h) for c, h in zip("BCDEFG", ATT_HEADER))
        + "</x:row>"
        '<x:row r="5">' + inline("B5", ID) + inline("G5", "面授") + "</x:row>"
    )
    _, rows = read(write_raw_xlsx(tmp_path / "a.xlsx", sheet))
    assert rows == [
        (
            5,
            {
                "id_number": ID,
                "offering_id": "",
                "date": "",
                "start": "",
                "end": "",
                "mode": "面授",
                "row_key": "",
            },
        )
    ]


@pytest.mark.parametrize("tag", ["<x:f>1+1</x:f>", '<x:f t="shared" si="0"/>'])
def test_a_formula_cell_is_refused_with_its_place(tmp_path, tag):
    sheet = (
        '<x:row r="1">' + inline("A1", "id_number") + "</x:row>"
        f'<x:row r="2"><x:c r="C2">{tag}<x:v>2</x:v></x:c></x:row>'
    )
    err = refused(write_raw_xlsx(tmp_path / "a.xlsx", sheet))
    assert err.code == "formula-in-data"
    assert err.extra == {"row": 2, "column": "C"}
    assert "C2" in err.detail


def test_a_data_validation_formula_outside_the_cells_is_no_formula(tmp_path):
    # Excel writes a drop-down list's source as <xm:f> in the sheet's extLst
    sheet = '<x:row r="1">' + "".join(
        inline(f"{c}1", h) for c, h in zip("ABCDEF", ATT_HEADER, strict=True)
    )
    sheet += '</x:row><x:row r="2">' + inline("A2", ID) + "</x:row>"
    extra = (
        '</x:sheetData><x:extLst><x:ext><x14:dataValidations xmlns:x14="urn:x14" '
        'xmlns:xm="urn:xm"><x14:dataValidation><x14:formula1><xm:f>notes!$A$1:$A$3</xm:f>'
        "</x14:formula1></x14:dataValidation></x14:dataValidations></x:ext></x:extLst>"
        "<x:sheetData>"
    )
    path = write_raw_xlsx(tmp_path / "b.xlsx", sheet + extra)
    _, rows = read(path)
    assert [r for r, _ in rows] == [2]


def test_an_openpyxl_formula_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [ATT_HEADER, [ID, OFF, "=TODAY()", "9:00"]])
    assert refused(path).extra == {"row": 2, "column": "C"}


def test_a_far_away_cell_is_refused_before_it_is_loaded(tmp_path):
    # calamine would hold a dense 200,000 x 702 grid for these few bytes
    far_right = '<x:row r="1">' + inline("A1", "id_number") + inline("ZZ9", "x") + "</x:row>"
    err = refused(write_raw_xlsx(tmp_path / "a.xlsx", far_right))
    assert (err.code, err.extra["column"]) == ("too-many-columns", "ZZ")
    far_down = '<x:row r="1">' + inline("A1", "id_number") + inline("A999999", "x") + "</x:row>"
    err = refused(write_raw_xlsx(tmp_path / "b.xlsx", far_down))
    assert (err.code, err.extra["row"]) == ("too-many-rows", 999999)
    # styled blanks far away are no data
    blank = '<x:row r="1">' + inline("A1", "id_number") + '<x:c r="XFD9" s="1"/></x:row>'
    assert refused(write_raw_xlsx(tmp_path / "c.xlsx", blank)).code == "header-missing-columns"


def test_cells_without_references_are_placed_one_after_another(tmp_path):
    def plain(text):
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.replace("<", "<x:").replace(
            "<x:/", "</x:"
        )

    head = "<x:row>" + "".join(plain(h) for h in ATT_HEADER) + "</x:row>"
    data = "<x:row>" + plain(ID) + "<x:c/>" + plain("2026-03-02") + "</x:row>"
    _, rows = read(write_raw_xlsx(tmp_path / "a.xlsx", head + data))
    assert rows[0][0] == 2
    assert (rows[0][1]["id_number"], rows[0][1]["date"]) == (ID, "2026-03-02")
    wide = "<x:row>" + plain(ID) + '<x:c r="AN2"><x:v>1</x:v></x:c>' + plain("x") + "</x:row>"
    err = refused(write_raw_xlsx(tmp_path / "b.xlsx", head + wide))
    assert (err.code, err.extra) == ("too-many-columns", {"row": 2, "column": "AO"})


def test_a_zip_bomb_is_refused_by_its_unpacked_size(tmp_path):
    limits = ImportLimits(max_bytes=4096)  # sheet XML at most 128 KiB unpacked
    path = write_raw_xlsx(tmp_path / "a.xlsx", "", padding=" " * 200_000)
    assert (tmp_path / "a.xlsx").stat().st_size < 4096
    err = refused(path, limits=limits)
    assert err.code == "file-too-large"
    assert "xl/worksheets/sheet1.xml" in err.detail


def si(text):
    return f"<si><t>{text}</t></si>"


def test_a_shared_string_longer_than_a_cell_is_refused_before_it_is_loaded(tmp_path):
    small = ImportLimits(max_cell_chars=18)  # an ID number's
    header = "<x:row>" + inline("A1", "id_number") + "</x:row>"
    rich = "<si><r><rPr><b/></rPr><t>abcdefghij</t></r><r><t>klmnopqrst</t></r></si>"
    for long in (si("秘" * 19), rich, si("x" * 2_000_000)):
        err = refused(
            write_raw_xlsx(tmp_path / "s.xlsx", header, shared=[si("a"), long]), "learners", small
        )
        assert err.code == "cell-too-long" and "shared string" in err.detail
        assert "秘" not in err.detail and "abc" not in err.detail
    # an entity is one character: 18 of them fit; the string reaches the cell as read
    head = "".join(inline(f"{c}1", h) for c, h in zip("ABC", LEARNER_HEADER, strict=True))
    row = (
        f'<x:row>{inline("A2", ID)}<x:c r="B2" t="s"><x:v>1</x:v></x:c>{inline("C2", "1")}</x:row>'
    )
    path = write_raw_xlsx(
        tmp_path / "ok.xlsx", f"<x:row>{head}</x:row>{row}", shared=[si("a"), si("&amp;" * 18)]
    )
    [(row, cells)] = read(path, "learners", small)[1]
    assert (row, cells["name"]) == (2, "&" * 18)


@pytest.mark.parametrize("refs", [True, False])
def test_a_shared_string_repeated_past_the_text_budget_is_refused(tmp_path, refs):
    # calamine copies a shared string into every cell naming it: 6 KB of file, gigabytes of text
    limits = ImportLimits(max_bytes=25_000)  # 100,000 bytes of text
    head = "".join(inline(f"{c}1", h) for c, h in zip("ABC", LEARNER_HEADER, strict=True))

    def sheet(rows):
        body = [f"<x:row>{head}</x:row>"]
        for n in range(2, rows + 2):
            ref = f' r="B{n}"' if refs else ""
            body.append(
                f"<x:row>{inline(f'A{n}', str(n))}"
                f'<x:c{ref} t="s"><x:v>0</x:v></x:c>'
                f'<x:c r="C{n}" t="s"><x:v>1</x:v></x:c></x:row>'
            )
        return write_raw_xlsx(
            tmp_path / f"t{rows}.xlsx", "".join(body), shared=[si("名" * 400), si("1")]
        )

    err = refused(sheet(90), "learners", limits)  # 90 x 1,200 bytes
    assert err.code == "too-much-text" and "名" not in err.detail
    assert read(sheet(80), "learners", limits)[1][-1][1]["name"] == "名" * 400


@pytest.mark.parametrize("value, fmt", [(1e10, "[h]:mm"), (-1e10, "[h]:mm:ss")])
def test_a_value_no_date_or_time_holds_is_refused_with_its_row(tmp_path, value, fmt):
    book = Workbook()
    sheet = book.active
    sheet.append(ATT_HEADER)
    sheet.append([ID, OFF, "2026-03-02", value, "11:00", "面授"])
    sheet.cell(row=2, column=4).number_format = fmt
    book.save(tmp_path / "d.xlsx")
    err = refused(str(tmp_path / "d.xlsx"))
    assert (err.code, err.extra["row"]) == ("unreadable-cell", 2)


def test_encrypted_and_legacy_office_files_say_which(tmp_path):
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (tmp_path / "enc.xlsx").write_bytes(header + "EncryptedPackage".encode("utf-16-le"))
    (tmp_path / "old.xls").write_bytes(header + "Workbook".encode("utf-16-le"))
    (tmp_path / "doc.xlsx").write_bytes(header + "WordDocument".encode("utf-16-le"))
    assert refused(str(tmp_path / "enc.xlsx")).code == "encrypted-spreadsheet"
    legacy = refused(str(tmp_path / "old.xls"))
    assert legacy.code == "legacy-xls" and ".xls" in legacy.detail
    assert refused(str(tmp_path / "doc.xlsx")).code == "not-a-spreadsheet"


def test_files_that_are_not_spreadsheets(tmp_path):
    with zipfile.ZipFile(tmp_path / "notes.xlsx", "w") as z:
        z.writestr("hello.txt", "hello")
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    (tmp_path / "picture.xlsx").write_bytes(png)
    (tmp_path / "binary.csv").write_bytes(b"id_number\n\x00\x01\x02abc")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(200))
    (tmp_path / "page.xls").write_bytes(b"\xef\xbb\xbf <html><table><tr><td>1</td></tr></table>")
    for name in ("notes.xlsx", "picture.xlsx", "binary.csv", "broken.xlsx", "page.xls"):
        err = refused(str(tmp_path / name))
        assert err.code == "not-a-spreadsheet", name
        assert "xlsx" in err.detail


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_each_encoding(tmp_path, encoding):
    path = write_csv(
        tmp_path / "a.csv",
        [["身份证号", "姓名", "区县代码", "手机号"], [ID, "张三", "330212", "+8613800138000"]],
        encoding,
    )
    fmt, rows = read(path, "learners")
    assert fmt == "csv"
    assert rows == [
        (
            2,
            {
                "id_number": ID,
                "name": "张三",
                "district_code": "330212",
                "phone": "+8613800138000",
                "groups": "",
                "groups_reason": "",
            },
        )
    ]


def test_csv_that_no_encoding_decodes_is_refused(tmp_path):
    (tmp_path / "a.csv").write_bytes("身份证号,姓名\n".encode() + b"\x80\xff\xfe\n")
    assert refused(str(tmp_path / "a.csv"), "learners").code == "unreadable-encoding"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_quoted_newlines_and_delimiters(tmp_path, delimiter):
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["id_number", "name", "district_code", "groups_reason"],
            [ID, "张三", "330212", "line one\nline two, with comma; semicolon"],
            [],
            ["", "", "", ""],
            [ID, "李四", "330212", ""],
        ],
        delimiter=delimiter,
    )
    _, rows = read(path, "learners")
    assert [r for r, _ in rows] == [2, 5]
    assert rows[0][1]["groups_reason"] == "line one\nline two, with comma; semicolon"


@pytest.mark.parametrize(
    "cell", ["=1+1", "@SUM(A1)", "-A1+1", "+cmd|' /C calc'!A0", "=HYPERLINK()"]
)
def test_csv_formula_cells_are_refused(tmp_path, cell):
    path = write_csv(tmp_path / "a.csv", [["id_number", "name", "district_code"], [ID, cell, "1"]])
    err = refused(path, "learners")
    assert (err.code, err.extra) == ("formula-in-data", {"row": 2, "column": "B"})
    assert cell not in err.detail


@pytest.mark.parametrize("cell", ["+8613800138000", "+86 138-0000-0000", "-5", "-1.5", "-", "--"])
def test_csv_signed_numbers_and_phones_are_data(tmp_path, cell):
    path = write_csv(
        tmp_path / "a.csv", [["id_number", "name", "district_code", "phone"], [ID, "x", "1", cell]]
    )
    _, [(_, cells)] = read(path, "learners")
    assert cells["phone"] == cell


def test_unclosed_quote_is_refused(tmp_path):
    (tmp_path / "a.csv").write_text('id_number,name,district_code\n1,"open,3\n')
    assert refused(str(tmp_path / "a.csv"), "learners").code == "not-a-spreadsheet"


# --- header --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "身份证号 (id_number)",
        "身份证号（id_number）",
        "身份证号(ID_NUMBER)",
        "身份证号/id_number",
        "ID Number",
        "id-number",
        "  身份证号码 ",
        "身份证号 *",
        "ｉｄ＿ｎｕｍｂｅｒ",
    ],
)
def test_header_variants(tmp_path, cell):
    path = write_csv(tmp_path / "a.csv", [[cell, "姓名 (name)", "区县代码"], [ID, "张三", "1"]])
    _, [(_, cells)] = read(path, "learners")
    assert cells["id_number"] == ID


def test_header_problems(tmp_path):
    def header(row, kind="learners"):
        path = write_csv(tmp_path / "h.csv", [row, ["1"] * len(row)])
        return refused(path, kind)

    unknown = header(["id_number", "name", "district_code", "Remarks"])
    assert (unknown.code, unknown.extra["column"]) == ("header-unknown-column", "D")
    assert '"Remarks"' in unknown.detail
    # a known column of another import is quoted; what may be a person's name or number is not
    assert '"培训班ID"' in header(["id_number", "name", "district_code", "培训班ID"]).detail
    for cell in ("张三", "Zhang San 13800138000", "张三 (备注)", "备注"):
        err = header(["id_number", "name", "district_code", cell])
        assert err.code == "header-unknown-column" and cell not in err.detail
        assert err.detail.startswith("The header's column D is not")
    # a column that names two fields at once is unknown, and a data row is never quoted
    assert header(["身份证号 (name)", "name", "district_code"]).code == "header-unknown-column"
    missing = header(["id_number", "name"])
    assert missing.code == "header-missing-columns"
    assert "区县代码 (district_code)" in missing.detail
    assert header(["id_number", "name", "district_code", "身份证号"]).code == (
        "header-duplicate-column"
    )
    either = header(["name", "offering_id"], "enrollments")
    assert either.code == "header-missing-columns" and "learner_id" in either.detail
    data_first = header([ID, "张三", "330212"])
    assert data_first.code == "header-missing-columns" and ID not in data_first.detail


def test_data_under_no_header_is_refused(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [["id_number", "name", "district_code"], [ID, "a", "b", "c"]]
    )
    err = refused(path, "learners")
    assert (err.code, err.extra["column"]) == ("header-unknown-column", "D")
    gap = [["id_number", "", "name", "district_code"], [ID, "", "a", "b"], [ID, "x", "a", "b"]]
    err = refused(write_csv(tmp_path / "b.csv", gap), "learners")
    assert (err.code, err.extra) == ("header-unknown-column", {"row": 3, "column": "B"})


def test_enrollments_by_learner_id_only(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["学员ID", "培训班ID"], ["L1", OFF]])
    _, rows = read(path, "enrollments")
    assert rows == [(2, {"id_number": "", "learner_id": "L1", "name": "", "offering_id": OFF})]


# --- limits, emptiness, resume ---------------------------------------------------------------


def learners_csv(tmp_path, n, name="x"):
    return write_csv(
        tmp_path / "l.csv",
        [["id_number", "name", "district_code"]] + [[str(i), name, "1"] for i in range(n)],
    )


def test_limits(tmp_path):
    small = ImportLimits(max_rows=3, max_columns=8, max_cell_chars=15, max_bytes=2000)
    assert read(learners_csv(tmp_path, 3), "learners", small)[1][-1][0] == 4
    rows = refused(learners_csv(tmp_path, 4), "learners", small)
    assert (rows.code, rows.extra["row"]) == ("too-many-rows", 5)
    long = refused(learners_csv(tmp_path, 1, "x" * 16), "learners", small)
    assert (long.code, long.extra) == ("cell-too-long", {"row": 2, "column": "B"})
    big = refused(learners_csv(tmp_path, 400), "learners", small)
    assert big.code == "file-too-large" and "at most 2.0 KB" in big.detail
    wide = write_xlsx(tmp_path / "w.xlsx", [ATT_HEADER, [ID] + ["x"] * 8])
    narrow = ImportLimits(max_columns=8)
    assert refused(wide, limits=narrow).extra == {"row": 2, "column": "I"}
    wide_csv = write_csv(tmp_path / "w.csv", [ATT_HEADER, [ID] + ["x"] * 8])
    assert refused(wide_csv, limits=narrow).code == "too-many-columns"


def test_empty_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert refused(str(tmp_path / "empty.csv")).code == "empty-file"
    (tmp_path / "blank.csv").write_bytes(b"\r\n,,\r\n")
    assert refused(str(tmp_path / "blank.csv")).code == "empty-file"
    header_only = write_xlsx(tmp_path / "h.xlsx", [ATT_HEADER])
    assert refused(header_only).code == "empty-file"


def test_resume_after_a_row_and_records_check_first(tmp_path):
    path = learners_csv(tmp_path, 5)
    _, rows = read(path, "learners", start_after=4)
    assert [r for r, _ in rows] == [5, 6]
    # a resumed job may ask for records without checking: the file is still checked whole
    bad = write_csv(
        tmp_path / "b.csv",
        [["id_number", "name", "district_code"], ["1", "a", "b"], ["2", "=1", "c"]],
    )
    with open_table(bad, ImportLimits()) as table, pytest.raises(FileRefused):
        next(table.records("learners", start_after=1))


def test_limits_come_from_settings():
    from service.core.settings import Settings

    limits = limits_from(Settings(import_max_rows=5, import_max_bytes=4096))
    assert (limits.max_rows, limits.max_bytes, limits.max_columns) == (5, 4096, 40)
