"""Reading a 100,000-row attendance XLSX: openpyxl's read-only mode against calamine, and the
import reader built on calamine, each in a fresh process (time and peak resident memory).

The workbook is written as Excel writes one (shared strings, dates and times as numbers with
date and time formats), 7 columns. Per round, each in a process of its own:

- ``openpyxl``: ``load_workbook(read_only=True)``, every cell of the first sheet, looking at
  each cell's type for formulas (what an import must do) - the baseline;
- ``calamine``: python-calamine's rows of the first sheet (values only: it does not say
  which cells are formulas);
- ``scan``: the import reader's streaming pass over the sheet XML alone (formulas, extent);
- ``import``: what an import job does: ``Table.check`` (scan + calamine) then every
  ``Table.records`` row (a second pass over the sheet calamine holds). Checked: the row count
  and the first row's date.

Goal: the import reads at least 3 times as many rows per second as openpyxl alone, and stays
under 300 MB of peak memory.

    uv run python -m bench --only import_readers [--quick]
    (or: uv run python bench/bench_import_readers.py [--rounds 1])
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Scale, check, main_for, rate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["身份证号", "培训班ID", "日期", "开始时间", "结束时间", "方式", "记录编号"]
FIRST_DAY = 46023  # 2026-01-01 as an Excel serial day
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

# One measurement, run by a fresh interpreter: prints {"seconds", "rows", "first", "rss_mb"}.
MEASURE = r"""
import json, resource, sys, time
mode, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
rows, first = 0, None
if mode == "openpyxl":
    from openpyxl import load_workbook
    book = load_workbook(path, read_only=True)
    formulas = 0
    for row in book.worksheets[0].iter_rows():
        rows += 1
        formulas += sum(1 for c in row if c.data_type == "f")
        if rows == 2:
            first = str(row[2].value)[:10]
    book.close()
elif mode == "calamine":
    from python_calamine import CalamineWorkbook
    for row in CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows():
        rows += 1
        if rows == 2:
            first = str(row[2])
elif mode == "scan":
    import zipfile
    from service.imports.reading import ImportLimits, _scan_sheet
    with zipfile.ZipFile(path) as zf:
        _scan_sheet(zf, "xl/worksheets/sheet1.xml", ImportLimits())
    rows = -1
else:
    from service.imports.reading import ImportLimits, open_table
    with open_table(path, ImportLimits()) as table:
        total = table.check("attendance")
        for number, cells in table.records("attendance"):
            rows += 1
            if rows == 1:
                first = cells["date"]
        assert total == rows
    rows += 1  # the header, as the other modes count it
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rows": rows, "first": first, "rss_mb": rss}))
"""


def _col(i: int) -> str:
    return "ABCDEFG"[i]


def write_attendance_xlsx(path: Path, rows: int) -> None:
    """An Excel-like workbook: shared strings, styles 1 (date, numFmt 14) and 2 (h:mm, 20)."""
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        return strings.setdefault(text, len(strings))

    offering = str(uuid.UUID(int=7))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            head = "".join(
                f'<c r="{_col(i)}1" t="s"><v>{sid(h)}</v></c>' for i, h in enumerate(HEADER)
            )
            out.write(f'<row r="1">{head}</row>'.encode())
            chunk = []
            for n in range(2, rows + 2):
                person = f"3302121990{n % 3000:04d}{n % 1000:03d}X"
                chunk.append(
                    f'<row r="{n}"><c r="A{n}" t="s"><v>{sid(person)}</v></c>'
                    f'<c r="B{n}" t="s"><v>{sid(offering)}</v></c>'
                    f'<c r="C{n}" s="1"><v>{FIRST_DAY + n % 300}</v></c>'
                    f'<c r="D{n}" s="2"><v>0.375</v></c><c r="E{n}" s="2"><v>0.4375</v></c>'
                    f'<c r="F{n}" t="s"><v>{sid("面授" if n % 2 else "线上")}</v></c>'
                    f'<c r="G{n}" t="s"><v>{sid(f"r{n}")}</v></c></row>'
                )
                if len(chunk) == 5000:
                    out.write("".join(chunk).encode())
                    chunk = []
            out.write(("".join(chunk) + "</sheetData></worksheet>").encode())
        items = "".join(f"<si><t>{s}</t></si>" for s in sorted(strings, key=strings.__getitem__))
        z.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
        z.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{NS}"><cellXfs count="3"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="20" applyNumberFormat="1"/>'
            "</cellXfs></styleSheet>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{R}"><sheets>'
            '<sheet name="考勤" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{R}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{R}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{R}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        )


def measure(mode: str, path: Path) -> dict:
    done = subprocess.run(  # noqa: S603 - our own interpreter and snippet
        [sys.executable, "-c", MEASURE, mode, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    check(done.returncode == 0, f"{mode} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class ImportReadersBench:
    name = "import_readers"

    def __init__(self, scale: Scale) -> None:
        self.rows = scale.pick(100_000, 10_000)
        self.folder = tempfile.TemporaryDirectory(prefix="bench-import-")
        self.path = Path(self.folder.name) / "attendance.xlsx"
        write_attendance_xlsx(self.path, self.rows)

    def round(self) -> list[Figure]:
        results = {m: measure(m, self.path) for m in ("openpyxl", "calamine", "scan", "import")}
        for mode in ("openpyxl", "calamine", "import"):
            check(results[mode]["rows"] == self.rows + 1, f"{mode}: {results[mode]['rows']} rows")
            check(
                str(results[mode]["first"]).startswith("2026-01-03"),
                f"{mode}: first date {results[mode]['first']!r}",
            )
        n = self.rows
        figures = [
            Figure(
                "openpyxl",
                "openpyxl read-only, rows/s",
                rate(n, results["openpyxl"]["seconds"]),
                "/s",
            ),
            Figure(
                "calamine",
                "calamine, rows/s (values only)",
                rate(n, results["calamine"]["seconds"]),
                "/s",
                baseline="openpyxl",
            ),
            Figure(
                "scan",
                "sheet XML scan alone (formulas, extent), rows/s",
                rate(n, results["scan"]["seconds"]),
                "/s",
                baseline="openpyxl",
            ),
            Figure(
                "import",
                f"import reader: check + records of {n:,} rows, rows/s",
                rate(n, results["import"]["seconds"]),
                "/s",
                baseline="openpyxl",
                goal=3.0,
            ),
        ]
        for mode in ("openpyxl", "calamine", "import"):
            figures.append(
                Figure(
                    f"{mode}_rss",
                    f"{mode}: peak memory of the process",
                    results[mode]["rss_mb"],
                    "MB",
                    better="lower",
                    baseline="openpyxl_rss" if mode != "openpyxl" else None,
                    limit=300 if mode == "import" else None,
                )
            )
        return figures

    def close(self) -> None:
        self.folder.cleanup()


def open_bench(scale: Scale) -> ImportReadersBench:
    return ImportReadersBench(scale)


if __name__ == "__main__":
    main_for("import_readers", open_bench)
