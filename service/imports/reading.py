"""Reading an import file (XLSX or CSV), checked whole before any row is used.

:func:`open_table` looks at the file's first bytes; :meth:`Table.check` then reads the whole file
once and refuses it (:class:`FileRefused`, a stable code and plain words) when it is not a
spreadsheet, is encrypted or a legacy ``.xls``, holds a formula where data belongs, breaks a
limit (bytes, rows, columns, cell length) or lacks a usable header; only then do
:meth:`Table.records` hand out rows.

- **XLSX**: only the *first* worksheet (workbook order, which is where templates put the data)
  is read; other sheets (notes, lookups) are ignored. Values are read by calamine (Rust, about
  20 times openpyxl's read-only rate on 100,000 rows; ``bench/bench_import_readers``), which
  does not say which cells are formulas. So before calamine sees the file, one streaming pass
  over the sheet's XML (regular expressions over the tags, no XML parser, so no entity tricks)
  finds formula cells (``<f>``) and where the filled cells end: calamine holds the sheet as a
  dense grid, so a tiny file naming cell ``ZZ200000`` would otherwise cost gigabytes. Every
  part's unpacked size is bounded (a ZIP bomb is refused before it is inflated).
- **CSV**: UTF-8 with or without BOM, GB18030 (what Chinese Excel exports), UTF-16 with BOM
  (Excel's "Unicode text"); decoded strictly. Comma, tab or semicolon, chosen by the header
  line. Quoted cells may span lines. A cell starting with ``=`` or ``@``, or with ``+``/``-``
  and not a number or phone number, is refused as a formula (OWASP "CSV Injection").

Rows are numbered as the spreadsheet shows them (a CSV record per row); the header is the first
non-blank row (normally row 1). Cells come back as stripped text: XLSX dates as ``YYYY-MM-DD``,
times as ``HH:MM`` (``HH:MM:SS`` when seconds are set), date-times in ISO form, numbers without a
needless ``.0``. An 18-digit ID number typed into a *number* cell has already lost its last
digits in the spreadsheet (Excel keeps 15 significant digits): it reads as the digits Excel
kept, and fails the ID check later; templates format such columns as text.
"""

from __future__ import annotations

import codecs
import csv
import os
import posixpath
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from defusedxml.ElementTree import fromstring

from service.core.errors import Invalid
from service.imports.columns import COLUMNS, ONE_OF, field_for_header

MiB = 1024 * 1024
NOT_A_SPREADSHEET = "not-a-spreadsheet"
ENCRYPTED = "encrypted-spreadsheet"
LEGACY_XLS = "legacy-xls"
UNREADABLE_ENCODING = "unreadable-encoding"
EMPTY_FILE = "empty-file"
HEADER_MISSING = "header-missing-columns"
HEADER_UNKNOWN = "header-unknown-column"
HEADER_DUPLICATE = "header-duplicate-column"
TOO_MANY_ROWS = "too-many-rows"
TOO_MANY_COLUMNS = "too-many-columns"
CELL_TOO_LONG = "cell-too-long"
FILE_TOO_LARGE = "file-too-large"
FORMULA = "formula-in-data"
TOO_MUCH_TEXT = "too-much-text"
UNREADABLE_CELL = "unreadable-cell"

_SAVE_AS = "Save it as an Excel workbook (.xlsx) or CSV and upload it again."


class FileRefused(Invalid):
    """The file as a whole cannot be imported. ``code`` is stable, ``detail`` says why in plain
    words (never quoting a cell that could be personal data); ``extra`` may hold ``row`` (as the
    spreadsheet numbers it) and ``column`` (its letter)."""


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 20 * MiB
    max_rows: int = 200_000  # data rows: the last filled row may be at most max_rows + 1
    max_columns: int = 40
    max_cell_chars: int = 500

    @property
    def max_sheet_xml_bytes(self) -> int:
        """The worksheet's XML unpacked: text XML deflates 10-20 times; past 32 it is a bomb."""
        return 32 * self.max_bytes

    @property
    def max_text_bytes(self) -> int:
        """All the text the sheet's cells take from the shared strings, as UTF-8 bytes: calamine
        copies a shared string into every cell naming it, so a tiny file could fill gigabytes."""
        return 4 * self.max_bytes

    @property
    def max_part_bytes(self) -> int:
        """Any other part of the workbook unpacked (shared strings, styles, ...)."""
        return 8 * self.max_bytes


def limits_from(settings: Any) -> ImportLimits:
    """The limits of ``service.core.settings.Settings`` (``SKILLS_IMPORT_MAX_*``)."""
    return ImportLimits(
        max_bytes=settings.import_max_bytes,
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
        max_cell_chars=settings.import_max_cell_chars,
    )


def column_letter(index: int) -> str:
    """``1`` -> ``A``, ``27`` -> ``AA`` (1-based, as spreadsheets label columns)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _refused(code: str, detail: str, row: int | None = None, col: int | None = None, **extra):
    if row is not None:
        extra["row"] = row
    if col is not None:
        extra["column"] = column_letter(col)
    return FileRefused(code, detail, **extra)


def _size(n: int) -> str:
    return f"{n / MiB:,.1f} MB" if n >= MiB else f"{n / 1024:,.1f} KB"


def _cell_name(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


# --- format sniffing -----------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # [MS-CFB] 2.2 header signature
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def _ole_refusal(path: str) -> FileRefused:
    """An OLE2 compound file: an encrypted OOXML workbook ([MS-OFFCRYPTO] 2.3.4.4 puts the
    package in an ``EncryptedPackage`` stream), an Excel 97-2003 ``.xls`` (a ``Workbook`` or
    ``Book`` stream) or another Office document. Stream names are UTF-16LE in the directory."""
    with open(path, "rb") as f:
        data = f.read()
    if "EncryptedPackage".encode("utf-16-le") in data:
        return _refused(
            ENCRYPTED,
            "The workbook is protected with a password, so it cannot be read. Remove the "
            "password (Excel: File > Info > Protect Workbook) and upload it again.",
        )
    if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
        return _refused(
            LEGACY_XLS, "This is an Excel 97-2003 workbook (.xls), which is not read. " + _SAVE_AS
        )
    return _refused(NOT_A_SPREADSHEET, "This is an Office 97-2003 document, not a workbook.")


def _not_a_spreadsheet(what: str = "") -> FileRefused:
    return _refused(
        NOT_A_SPREADSHEET,
        (what or "The file is neither an Excel workbook (.xlsx) nor a CSV text file.")
        + " "
        + _SAVE_AS,
    )


class _Source(Protocol):
    format: str
    text_formulas: bool  # whether text cells must be checked for formulas (CSV)

    def prepare(self) -> None: ...

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]: ...

    def close(self) -> None: ...


def open_table(path: str, limits: ImportLimits) -> Table:
    """The table of the file at ``path`` (use it as a context manager). Never raises
    :class:`FileRefused` itself: :meth:`Table.check` does, for every kind of refusal."""
    return Table(path, limits)


class Table:
    """One import file. :meth:`check` reads it whole; :meth:`records` yields its rows."""

    def __init__(self, path: str, limits: ImportLimits) -> None:
        self.path = path
        self.limits = limits
        self._refusal: FileRefused | None = None
        self._source: _Source | None = None
        self._prepared = False
        self._checked: str | None = None
        self.format = "csv"
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(512)
        markup = head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")
        if size == 0:
            self._refusal = _refused(EMPTY_FILE, "The file is empty.")
        elif size > limits.max_bytes:
            self._refusal = _refused(
                FILE_TOO_LARGE,
                f"The file is {_size(size)}; an import takes at most "
                f"{_size(limits.max_bytes)}. Split it into smaller files.",
                max_bytes=limits.max_bytes,
            )
        elif head.startswith(_OLE2):
            self.format = "xlsx"
            self._refusal = _ole_refusal(path)
        elif head.startswith(_ZIP):
            self.format = "xlsx"
            self._source = _XlsxSource(path, limits)
        elif head.startswith(_BINARY_MAGIC):
            self._refusal = _not_a_spreadsheet()
        elif markup:  # what some systems export under an .xls name
            self._refusal = _not_a_spreadsheet("This is a web page or XML file, not a workbook.")
        else:
            self._source = _CsvSource(path)

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._source is not None:
            self._source.close()

    def check(self, kind: str) -> int:
        """Read the whole file; the number of data rows (wholly blank rows not counted).
        Raises :class:`FileRefused` for the first problem found."""
        if kind not in COLUMNS:
            raise ValueError(f"unknown import kind: {kind}")
        self._prepare()
        count = sum(1 for _ in self._scan(kind, checking=True))
        if count == 0:
            raise _refused(EMPTY_FILE, "The file has a header row but no data rows.")
        self._checked = kind
        return count

    def records(self, kind: str, start_after: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
        """``(row number, {field: text})`` for each data row after row ``start_after`` (a
        resumed import passes the last row it committed). Checks the file first when this
        table has not (a resumed job), so no row of a bad file is ever handed out."""
        if self._checked != kind:
            self.check(kind)
        for row, cells in self._scan(kind, checking=False):
            if row > start_after:
                yield row, cells

    def plain_rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of every non-blank row, stripped, for a reader with columns
        of its own (an employer's list of credentials). The file's checks run as for an import
        (format, encryption, ZIP bomb, row count) and each row's cells are checked against the
        column and length limits; raises :class:`FileRefused` like :meth:`check`. Text that
        looks like a formula is passed on: the caller must write it out neutralised."""
        self._prepare()
        assert self._source is not None
        for row, raw in self._source.raw_rows():
            cells = [c.strip() for c in raw]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                _check_cells(row, cells, self.limits, text_formulas=False)
                yield row, cells

    # --- the pass both share ----------------------------------------------------------------

    def _prepare(self) -> None:
        if self._refusal is not None:
            raise self._refusal
        assert self._source is not None
        if not self._prepared:
            try:
                self._source.prepare()
            except FileRefused as refusal:
                self._refusal = refusal
                raise
            self._prepared = True

    def _scan(self, kind: str, checking: bool) -> Iterator[tuple[int, dict[str, str]]]:
        """The rows with their cells stripped, wholly blank ones skipped. ``checking``: every
        limit is checked and no record built (the check pass); else the file has passed that
        check, so the records are built without checking again."""
        assert self._source is not None
        limits = self.limits
        text_formulas = self._source.text_formulas
        header: list[tuple[int, str]] | None = None
        unnamed: list[int] = []  # header cells left blank: their columns must stay empty
        fields = [c.field for c in COLUMNS[kind]]  # every field, "" where the file has no column
        width = 0
        empty: dict[str, str] = {}
        for row, raw in self._source.raw_rows():
            cells = [c.strip() for c in raw]
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            if header is None:
                _check_cells(row, cells, limits, text_formulas)
                header = _header(kind, row, cells)
                named = {i for i, _ in header}
                unnamed = [i for i in range(len(cells)) if i not in named]
                width = len(cells)
                empty = dict.fromkeys(fields, "")
                continue
            if not checking:
                record = empty.copy()
                n = len(cells)
                for i, field in header:
                    if i < n:
                        record[field] = cells[i]
                yield row, record
                continue
            if (
                len(cells) > limits.max_columns
                or max(map(len, cells)) > limits.max_cell_chars
                or (text_formulas and any(c[:1] in _FORMULA_START for c in cells))
            ):
                _check_cells(row, cells, limits, text_formulas)
            if row > limits.max_rows + 1:
                raise _too_many_rows(row, limits)
            if len(cells) > width or any(cells[i] for i in unnamed if i < len(cells)):
                blank = [*unnamed, *range(width, len(cells))]
                col = next(i for i in blank if i < len(cells) and cells[i]) + 1
                raise _refused(
                    HEADER_UNKNOWN,
                    f"Column {column_letter(col)} has data in row {row} but no header.",
                    row,
                    col,
                )
            yield row, empty
        if header is None:
            raise _refused(EMPTY_FILE, "The file has no header row and no data.")


def _too_many_rows(row: int, limits: ImportLimits) -> FileRefused:
    return _refused(
        TOO_MANY_ROWS,
        f"The sheet has data down to row {row:,}; an import reads at most "
        f"{limits.max_rows:,} rows below the header. Split it into smaller files.",
        row,
        max_rows=limits.max_rows,
    )


def _check_cells(row: int, cells: list[str], limits: ImportLimits, text_formulas: bool) -> None:
    if len(cells) > limits.max_columns:
        raise _refused(
            TOO_MANY_COLUMNS,
            f"Row {row} has data in column {column_letter(len(cells))}; an import reads at "
            f"most {limits.max_columns} columns.",
            row,
            len(cells),
        )
    for i, cell in enumerate(cells, 1):
        if len(cell) > limits.max_cell_chars:
            raise _refused(
                CELL_TOO_LONG,
                f"Cell {_cell_name(row, i)} holds {len(cell):,} characters; at most "
                f"{limits.max_cell_chars} are allowed.",
                row,
                i,
            )
        if text_formulas and cell and _formula_like(cell):
            raise _refused(
                FORMULA,
                f"Cell {_cell_name(row, i)} starts with '{cell[0]}' and would run as a formula "
                "in a spreadsheet. Remove the formula or the sign and upload again.",
                row,
                i,
            )


_FORMULA_START = frozenset("=@+-")
# A number or a phone number (+86 138-0000-0000) after a sign is data; a lone dash too.
_SIGNED_DATA = re.compile(r"[+-]+|[+-][0-9 ().-]*[0-9][0-9 ().-]*")


def _formula_like(cell: str) -> bool:
    first = cell[0]
    if first in "=@":
        return True
    return first in "+-" and _SIGNED_DATA.fullmatch(cell) is None


_HEADER_WORD = re.compile(r"[A-Za-z0-9_ ]{1,30}")
_HEADER_PARTS = re.compile(r"[\s()（）/、,，:：-]+")


def _quoted(cell: str) -> str:
    """A header cell in a message only when it reads as a header word (ASCII letters, digits,
    ``_``, spaces, and no run of digits) or names a known column: a roster without its header
    row has a person's name or number there, which a message never repeats."""
    if len(cell) > 60 or re.search(r"[0-9]{3}", cell):
        return ""
    for part in _HEADER_PARTS.split(cell):
        if part and _HEADER_WORD.fullmatch(part) is None and field_for_header(part) is None:
            return ""
    return f' "{cell}"'


def _header(kind: str, row: int, cells: list[str]) -> list[tuple[int, str]]:
    """``(index, field)`` of each header cell; refuses unknown, duplicate and missing ones."""
    columns = COLUMNS[kind]
    known = {c.field for c in columns}
    names = ", ".join(c.label for c in columns)
    fields = [field_for_header(c) if c else None for c in cells]
    if not any(f in known for f in fields):
        raise _refused(
            HEADER_MISSING,
            f"Row {row}, the first filled row, is not a header: it names none of the columns "
            f"({names}). Start from the template.",
            row,
        )
    seen: dict[str, int] = {}
    for i, (cell, field) in enumerate(zip(cells, fields, strict=True), 1):
        if cell and field not in known:
            raise _refused(
                HEADER_UNKNOWN,
                f"The header's column {column_letter(i)}{_quoted(cell)} is not a column of this "
                f"import. The columns are: {names}.",
                row,
                i,
            )
        if field is not None and field in seen:
            raise _refused(
                HEADER_DUPLICATE,
                f"The header names {field} twice (columns {column_letter(seen[field])} and "
                f"{column_letter(i)}).",
                row,
                i,
            )
        if field is not None:
            seen[field] = i
    missing = [c.label for c in columns if c.required and c.field not in seen]
    one_of = ONE_OF.get(kind, ())
    if one_of and not any(f in seen for f in one_of):
        missing.append(" or ".join(c.label for c in columns if c.field in one_of))
    if missing:
        raise _refused(
            HEADER_MISSING,
            f"The header lacks required columns: {', '.join(missing)}.",
            row,
            missing=missing,
        )
    return [(i - 1, f) for f, i in seen.items()]


# --- CSV -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_CHUNK = MiB


class _CsvSource:
    format = "csv"
    text_formulas = True

    def __init__(self, path: str) -> None:
        self.path = path
        self.encoding = "utf-8"
        self.delimiter = ","

    def prepare(self) -> None:
        self.encoding = self._encoding()
        with open(self.path, encoding=self.encoding, newline="") as f:
            start = f.read(64 * 1024).lstrip("\r\n")
        line = start.split("\n", 1)[0]
        counts = {d: line.count(d) for d in (",", "\t", ";")}
        best = max(counts, key=lambda d: counts[d])
        self.delimiter = best if counts[best] > counts[","] else ","

    def _encoding(self) -> str:
        """The first of the candidate encodings that decodes the whole file strictly."""
        with open(self.path, "rb") as f:
            head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        else:
            candidates = ["utf-8", "gb18030"]
        for encoding in candidates:
            decoder = codecs.getincrementaldecoder(encoding)("strict")
            try:
                with open(self.path, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        if _CONTROL.search(decoder.decode(chunk)):
                            raise _not_a_spreadsheet()
                    decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
        raise _refused(
            UNREADABLE_ENCODING,
            "The CSV file's text is in none of the encodings read (UTF-8, GB18030). Save it "
            "again as 'CSV UTF-8' and upload it again.",
        )

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        row = 0
        with open(self.path, encoding=self.encoding, errors="strict", newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter, strict=True)
            try:
                for row, record in enumerate(reader, 1):  # noqa: B007 - the error's row
                    yield row, record
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise _refused(
                        CELL_TOO_LONG, f"Row {row + 1} has a cell far too long.", row + 1
                    ) from None
                raise _refused(
                    NOT_A_SPREADSHEET,
                    f"Row {row + 1} is not valid CSV (a quote that is not closed or is misplaced).",
                    row + 1,
                ) from None

    def close(self) -> None:
        pass


# --- XLSX cells as text --------------------------------------------------------------------


def _seconds(value: time | datetime) -> int:
    whole = value.hour * 3600 + value.minute * 60 + value.second
    return whole + (1 if value.microsecond >= 500_000 else 0)


def _clock(total: int) -> str:
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def cell_text(value: object) -> str:
    """A spreadsheet value as the text an import row carries (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = format(value, ".15g")  # what Excel shows: 15 significant digits
        return format(float(text), "f").rstrip("0") if "e" in text else text
    if isinstance(value, datetime):
        total = _seconds(value)
        day = value.date() + timedelta(days=total // 86_400)
        if total % 86_400 == 0:
            return day.isoformat()
        return f"{day.isoformat()}T{_clock(total % 86_400)}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(min(_seconds(value), 86_399))
    if isinstance(value, timedelta):
        return _clock(round(value.total_seconds()))
    return str(value)


# --- XLSX -----------------------------------------------------------------------------------

_SMALL_PART = 4 * MiB  # rels and the workbook part


def read_small_part(zf: zipfile.ZipFile, name: str) -> Any:
    """A small XML part (rels, workbook), parsed without entities (defusedxml)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _not_a_spreadsheet("The file is a ZIP archive but not an Excel workbook.") from None
    if info.file_size > _SMALL_PART:
        raise _refused(FILE_TOO_LARGE, f"The workbook part {name} unpacks to too many bytes.")
    try:
        return fromstring(zf.read(name))
    except Exception:  # noqa: BLE001 - any parse failure means a damaged workbook
        raise _not_a_spreadsheet("The workbook is damaged (unreadable XML).") from None


def relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """``Id -> (Type, target path)`` of a part's relationships (OPC, ECMA-376 part 2, 9.3)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in zf.NameToInfo:
        return {}
    found = {}
    for rel in read_small_part(zf, rels):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
    return found


_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(sheetData|row|c|f)(?=[\s/>])([^>]*)>")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})([0-9]{1,7})["']""")
_ROW_REF = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,7})["']""")
_NAME = rb"<(?:[A-Za-z_][\w.-]*:)?"  # an element name with or without a prefix
_DATA_OPEN = re.compile(_NAME + rb"sheetData(?=[\s/>])[^>]*?(/?)>")
_DATA_CLOSE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>")
_FORMULA = re.compile(_NAME + rb"f[\s/>]")
# each cell tag: (column letters, row digits, "/" when empty), letters "" without a reference
_CELLS = re.compile(
    _NAME + rb"""c(?=[\s/>])(?:[^>]*?\sr\s*=\s*["']([A-Za-z]{1,3})([0-9]{1,7})["'])?[^>]*?(/?)>"""
)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def _first_sheet(zf: zipfile.ZipFile) -> tuple[str, str, str]:
    """``(name, part, workbook part)`` of the workbook's first sheet in workbook order
    (ECMA-376 part 1, 18.2.19 ``sheets``), found through the package's relationships as Excel
    does."""
    mimetype = zf.NameToInfo.get("mimetype")
    if mimetype and mimetype.file_size < 200 and b"opendocument" in zf.read(mimetype):
        raise _not_a_spreadsheet("This is an OpenDocument file (.ods), which is not read.")
    if any(info.flag_bits & 0x1 for info in zf.infolist()):
        raise _refused(
            ENCRYPTED, "The file is a password-protected ZIP archive, not a workbook. " + _SAVE_AS
        )
    main = [p for t, p in relationships(zf, "").values() if t.endswith("/officeDocument")]
    if not main:
        raise _not_a_spreadsheet("The file is a ZIP archive but not an Excel workbook.")
    part = main[0]
    if part.endswith(".bin"):
        raise _not_a_spreadsheet("This is an Excel binary workbook (.xlsb), which is not read.")
    if not part.endswith("workbook.xml"):
        raise _not_a_spreadsheet("This is an Office document (Word, PowerPoint?), not a workbook.")
    root = read_small_part(zf, part)
    sheet = next((e for e in root.iter() if str(e.tag).rsplit("}", 1)[-1] == "sheet"), None)
    if sheet is None:
        raise _not_a_spreadsheet("The workbook has no sheet.")
    rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
    kind, path = relationships(zf, part).get(rid, ("", ""))
    if not kind.endswith("/worksheet") or path not in zf.NameToInfo:
        raise _not_a_spreadsheet("The workbook's first sheet is not a worksheet (a chart?).")
    return sheet.get("name", ""), path, part


# --- shared strings (part 1, 18.4): each <si>'s text is the text of its <t> elements
_SI_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(si|t)(?=[\s/>])([^>]*)>")
_SIMPLE_SI = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_ESCAPES = re.compile(rb"&[^;&<]{1,10};|_x[0-9A-Fa-f]{4}_")


def _text_chars(raw: bytes) -> int:
    """Characters of XML text as read: an entity or an ``_xHHHH_`` escape is one."""
    found = _ESCAPES.findall(raw)
    return len(raw.decode("utf-8", "replace")) - sum(len(e) - 1 for e in found)


def _shared_parts(zf: zipfile.ZipFile, workbook: str) -> list[str]:
    """The shared-strings part named by the workbook's relationships, and the usual path."""
    parts = [p for t, p in relationships(zf, workbook).values() if t.endswith("/sharedStrings")]
    parts.append("xl/sharedStrings.xml")
    return [p for p in dict.fromkeys(parts) if p in zf.NameToInfo]


def _shared_lengths(zf: zipfile.ZipFile, workbook: str, limits: ImportLimits) -> array[int]:
    """The UTF-8 size of each shared string, in table order, streamed like the sheet; refuses a
    string longer than a cell may be. Two parts (a damaged package): the larger of each."""
    lengths: array[int] = array("Q")
    for part in _shared_parts(zf, workbook):
        found = _scan_shared(zf, part, limits)
        if len(found) > len(lengths):
            lengths, found = found, lengths
        for i, n in enumerate(found):
            lengths[i] = max(lengths[i], n)
    return lengths


def _long_string() -> FileRefused:
    return _refused(
        CELL_TOO_LONG, "A shared string of the workbook is longer than any cell may be."
    )


def _scan_shared(zf: zipfile.ZipFile, part: str, limits: ImportLimits) -> array[int]:
    lengths: array[int] = array("Q")
    longest = limits.max_cell_chars
    in_si = in_t = False
    size = chars = start = 0
    for buf in _buffers(zf, part, b"</si>"):
        if not in_si and b":si" not in buf:
            simple = _SIMPLE_SI.findall(buf)
            if len(simple) == buf.count(b"<si"):
                sizes = list(map(len, simple))
                if (
                    sizes
                    and max(sizes) > longest
                    and any(_text_chars(t) > longest for t in simple if len(t) > longest)
                ):
                    raise _long_string()
                lengths.extend(sizes)
                continue
        start = 0
        for m in _SI_TAG.finditer(buf):
            closing, name, attrs = m.groups()
            if in_t:
                text = buf[start : m.start()]
                size, chars = size + len(text), chars + _text_chars(text)
                in_t = False
            if name == b"si":
                if closing:
                    lengths.append(size)
                    in_si = False
                elif attrs.endswith(b"/"):
                    lengths.append(0)
                else:
                    in_si, size, chars = True, 0, 0
            elif in_si and not closing and not attrs.endswith(b"/"):
                in_t, start = True, m.end()
            if chars > longest:
                raise _long_string()
        if in_t:  # the text goes on in the next piece
            text = buf[start:]
            size, chars = size + len(text), chars + _text_chars(text)
            if chars > longest:
                raise _long_string()
    return lengths


# a cell of type "s" (a shared string) and the index its <v> holds: as most writers put it
# down, or in any form
_PLAIN_SHARED_CELL = re.compile(
    rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,5}")? t="s"><v>([0-9]{1,10})</v>'
)
_SHARED_CELL = re.compile(
    _NAME + rb"""c(?=\s)[^>]*?\st\s*=\s*["']s["'][^>]*>\s*""" + _NAME + rb"v\s*>\s*([0-9]{1,10})"
)


def _shared_text(buf: bytes, shared: array[int]) -> int:
    """The UTF-8 size of the shared strings the piece's cells take (an index past the table
    counts nothing: calamine reads no string for it)."""
    if not shared:
        return 0
    found = _PLAIN_SHARED_CELL.findall(buf)
    if len(found) != buf.count(b'"s"') or b"'s'" in buf:  # a type "s" written otherwise
        found = _SHARED_CELL.findall(buf)
    indexes = list(map(int, found))
    try:
        return sum(map(shared.__getitem__, indexes))
    except IndexError:
        return sum(shared[i] for i in indexes if i < len(shared))


def _too_much_text(limits: ImportLimits) -> FileRefused:
    return _refused(
        TOO_MUCH_TEXT,
        f"The sheet's cells repeat more than {_size(limits.max_text_bytes)} of text, far more "
        "than any import needs. Split it into smaller files.",
        max_text_bytes=limits.max_text_bytes,
    )


def _check_sizes(zf: zipfile.ZipFile, sheet_part: str, limits: ImportLimits) -> None:
    """Declared unpacked sizes (zipfile never inflates past them and checks each CRC)."""
    for info in zf.infolist():
        bound = limits.max_sheet_xml_bytes if info.filename == sheet_part else limits.max_part_bytes
        if info.file_size > bound:
            raise _refused(
                FILE_TOO_LARGE,
                f"The workbook unpacks to more than {_size(bound)} (part "
                f"{info.filename}), far more than any import needs. {_SAVE_AS}",
            )


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def _buffers(zf: zipfile.ZipFile, part: str, end: bytes = b">") -> Iterator[bytes]:
    """The part's bytes in pieces of about a MiB, each cut after a ``>``: since ``<`` never
    stands in XML text, no tag spans two pieces. ``end``: cut after the last such tag instead
    when the piece has one not too far back."""
    with zf.open(part) as fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            cut = buf.rfind(end) + len(end)
            if cut < len(end) or len(buf) - cut > _CHUNK:
                cut = buf.rfind(b">") + 1
            if len(buf) - cut > _CHUNK:
                raise _not_a_spreadsheet("The workbook is damaged (unreadable XML).")
            yield buf[:cut]
            tail = buf[cut:]
        yield tail


def _scan_sheet(
    zf: zipfile.ZipFile, part: str, limits: ImportLimits, shared: array[int] | None = None
) -> None:
    """Refuse a sheet with a formula cell (``<f>`` in ``sheetData``, part 1 18.3.1.40), filled
    cells past the row or column limits, or cells taking more shared-string text (``shared``:
    each string's size) than :attr:`ImportLimits.max_text_bytes`. The usual sheet (every cell
    with its ``r`` reference) is judged by whole-piece regular expressions; any doubt goes to
    the exact pass, which also says where the problem is."""
    shared = shared if shared is not None else array("Q")
    # a shared-string cell takes at least 16 bytes of XML (<c t="s"><v>0</v>): when even that
    # many cells of the longest string fit the budget, the cells need not be counted
    if max(shared, default=0) * (zf.getinfo(part).file_size // 16) <= limits.max_text_bytes:
        shared = array("Q")
    if not _plain_sheet(zf, part, limits, shared):
        _scan_sheet_exactly(zf, part, limits, shared)


def _plain_sheet(zf: zipfile.ZipFile, part: str, limits: ImportLimits, shared: array[int]) -> bool:
    """True when no cell holds a formula, every filled cell has a reference and all of them lie
    within the limits; False when the exact pass must look."""
    started = False
    text = 0
    for piece in _buffers(zf, part):
        buf = piece
        if not started:
            opened = _DATA_OPEN.search(buf)
            if opened is None:
                continue
            if opened.group(1):  # <sheetData/>: no cells at all
                return True
            buf, started = buf[opened.end() :], True
        closed = _DATA_CLOSE.search(buf) if b"sheetData" in buf else None
        if closed is not None:  # what follows (extLst's <xm:f>, ...) is no cell
            buf = buf[: closed.start()]
        if (b"<f" in buf or b":f" in buf) and _FORMULA.search(buf):
            return False
        text += _shared_text(buf, shared)
        if text > limits.max_text_bytes:
            raise _too_much_text(limits)
        if _refs_within(buf, limits):
            pass
        elif filled := [(col, row) for col, row, empty in _CELLS.findall(buf) if not empty]:
            if not all(col for col, _ in filled):
                return False
            if max(int(row) for _, row in filled) > limits.max_rows + 1:
                return False
            if max(_column_number(c) for c in {c for c, _ in filled}) > limits.max_columns:
                return False
        if closed is not None:
            return True
    return True


# What most writers (Excel, WPS, openpyxl) put down: every cell tag unprefixed, its reference
# first, in double quotes. A literal start lets the regular expressions skip ahead quickly.
_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_PLAIN_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')


def _refs_within(buf: bytes, limits: ImportLimits) -> bool:
    """True when every tag of the piece starting ``<c`` is a cell written the plain way and
    every cell, filled or not, lies within the limits: then so do the filled ones. False
    leaves it to the general expression (prefixes, other quoting, a styled blank beyond the
    limits)."""
    if b":c" in buf:
        return False
    rows = _PLAIN_ROW.findall(buf)
    if len(rows) != buf.count(b"<c"):
        return False
    if not rows:
        return True
    if max(map(int, rows)) > limits.max_rows + 1:
        return False
    return max(map(_column_number, set(_PLAIN_COLUMN.findall(buf)))) <= limits.max_columns


def _scan_sheet_exactly(
    zf: zipfile.ZipFile, part: str, limits: ImportLimits, shared: array[int]
) -> None:
    """The tag-by-tag pass. Cells are placed as calamine places them: by their ``r``
    reference, else after the previous one; an empty self-closed ``<c/>`` (a styled blank) does
    not count as filled."""
    row = col = 0
    in_data = False
    last_row = limits.max_rows + 1
    text = 0
    for buf in _buffers(zf, part):
        text += _shared_text(buf, shared)
        if text > limits.max_text_bytes:
            raise _too_much_text(limits)
        for m in _TAG.finditer(buf):
            closing, name, attrs = m.groups()
            if name == b"sheetData":
                in_data = not closing and not attrs.endswith(b"/")
                continue
            if closing or not in_data:  # <xm:f> of data validations is no cell formula
                continue
            if name == b"row":
                ref = _ROW_REF.search(attrs)
                row, col = (int(ref.group(1)) if ref else row + 1), 0
                continue
            if name == b"f":
                raise _refused(
                    FORMULA,
                    f"Cell {_cell_name(row, col)} holds a formula: paste its value "
                    "instead (Copy, then Paste Special > Values) and upload again.",
                    row,
                    col,
                )
            ref = _CELL_REF.search(attrs)
            if ref:
                col, row = _column_number(ref.group(1)), int(ref.group(2))
            else:
                col += 1
            if attrs.endswith(b"/"):
                continue
            if row > last_row:
                raise _too_many_rows(row, limits)
            if col > limits.max_columns:
                raise _refused(
                    TOO_MANY_COLUMNS,
                    f"Row {row} has data in column {column_letter(col)}; an import reads "
                    f"at most {limits.max_columns} columns.",
                    row,
                    col,
                )


def _bad_column(values: list[Any], pad: int) -> int | None:
    for i, value in enumerate(values, pad + 1):
        try:
            cell_text(value)
        except (OverflowError, ValueError):
            return i
    return None


def _unreadable(row: int, col: int | None = None) -> FileRefused:
    where = f"Cell {_cell_name(row, col)}" if col else f"A cell of row {row}"
    return _refused(
        UNREADABLE_CELL,
        f"{where} holds a value that cannot be read as a date, time or number (a duration "
        "of millions of hours?). Correct the cell or format it as text, and upload again.",
        row,
        col,
    )


class _XlsxSource:
    format = "xlsx"
    text_formulas = False  # a text cell is never evaluated; formula cells are found by the scan

    def __init__(self, path: str, limits: ImportLimits) -> None:
        self.path = path
        self.limits = limits
        self._book: Any = None
        self._sheet: Any = None

    def prepare(self) -> None:
        from python_calamine import CalamineWorkbook, PasswordError

        try:
            with zipfile.ZipFile(self.path) as zf:
                name, part, workbook = _first_sheet(zf)
                _check_sizes(zf, part, self.limits)
                shared = _shared_lengths(zf, workbook, self.limits)
                _scan_sheet(zf, part, self.limits, shared)
        except _DAMAGED:
            raise _not_a_spreadsheet("The workbook is damaged.") from None
        try:
            self._book = CalamineWorkbook.from_path(self.path)
            self._sheet = self._book.get_sheet_by_name(name)
        except PasswordError:
            raise _refused(ENCRYPTED, "The workbook is protected with a password.") from None
        except Exception:  # noqa: BLE001 - calamine's errors all mean "cannot be read"
            raise _not_a_spreadsheet("The workbook is damaged.") from None

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        """calamine converts as it iterates: a value no Python type holds (a duration of 1e10
        days under ``[h]:mm``) raises there, and is refused as that row's unreadable cell."""
        start = self._sheet.start
        if start is None:
            return
        # calamine 0.9 yields rows from row 1 but columns from the first filled one
        # (tests/imports/test_reading.py pins it)
        pad = [""] * start[1]
        row = 0
        try:
            for row, values in enumerate(self._sheet.iter_rows(), 1):  # noqa: B007
                try:
                    cells = [*pad, *(v if type(v) is str else cell_text(v) for v in values)]
                except (OverflowError, ValueError):
                    raise _unreadable(row, _bad_column(values, len(pad))) from None
                yield row, cells
        except (FileRefused, MemoryError):
            raise
        except (OverflowError, ValueError):
            raise _unreadable(row + 1) from None
        except Exception:  # noqa: BLE001 - whatever else calamine raises: a damaged workbook
            raise _not_a_spreadsheet("The workbook is damaged.") from None

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = self._sheet = None
