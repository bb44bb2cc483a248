"""Parsing the body of ``POST /api/v1/employer/checks`` into the items to check.

- JSON ``{"items": [...]}``: each item a string (a compact JWT, a credential id, a share link or
  its bare code) or an object with one of ``token``, ``credential_id``, ``share`` or ``image``
  (base64 PNG/SVG) and an optional ``reference`` (the employer's candidate reference).
- ``multipart/form-data`` with one CSV/XLSX file: the column headed credential/证书 holds the
  credentials (else the column whose first cells read as credentials; none: 422
  ``no-credential-column``); a column headed reference/候选人 is the reference; any other
  columns are carried into the report. A first row that already holds a credential is data,
  not a header. Parsing (sheets, JSON, base64) runs in a worker thread, off the event loop.
  The file is read by the imports reader (``service.imports.reading``), with its refusals
  (not a spreadsheet, encrypted, legacy .xls, damaged, formulas in XLSX, limits).
- ``multipart/form-data`` with several files (or one PNG/SVG): each is a baked image; its file
  name is its reference.

Past ``SKILLS_EMPLOYER_CHECK_MAX_ITEMS`` items the request is refused whole (413
``too-many-items``); a wrongly shaped item is a 422 naming its index. Nothing is stored before
the body has been read in full.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from service.api.problems import Problem
from service.api.request_bodies import read_bounded
from service.core.settings import Settings
from service.imports.reading import FileRefused, ImportLimits, column_letter, open_table
from service.issuing.employer_checks import (
    CREDENTIAL_ID,
    IMAGE,
    SHARE_LINK,
    TOKEN,
    CheckItem,
    classify,
    share_code_of,
    text_item,
)
from service.issuing.service import normalise_credential_id

CREDENTIAL_HEADERS = {
    "credential",
    "credentials",
    "credential id",
    "credential_id",
    "token",
    "share link",
    "证书",
    "证书编号",
    "凭证",
    "微证书",
    "分享链接",
}
REFERENCE_HEADERS = {
    "reference",
    "candidate",
    "candidate reference",
    "candidate_reference",
    "候选人",
    "候选人编号",
    "应聘者",
    "参考号",
}
MAX_REFERENCE = 500
MAX_CELL_CHARS = 16_384  # a credential JWT is a few KB; a baked image is never in a cell
MAX_COLUMNS = 20
SAMPLE_ROWS = 20  # data rows looked at to find the credential column of an unnamed sheet
_PNG = b"\x89PNG"


@dataclass
class Parsed:
    items: list[CheckItem]
    source: str  # json | csv | xlsx | images
    file_name: str = ""

    def fingerprint(self) -> dict[str, Any]:
        """What Idempotency-Key compares: the items themselves (a multipart boundary changes
        on every retry, the content does not)."""
        digest = hashlib.sha256()
        for item in self.items:
            value = item.value if isinstance(item.value, bytes) else item.value.encode()
            meta = json.dumps([item.kind, item.reference, item.extra, item.problem])
            digest.update(hashlib.sha256(value).digest() + meta.encode())
        return {"source": self.source, "items": len(self.items), "sha256": digest.hexdigest()}


def too_many(cap: int) -> Problem:
    return Problem(
        413, "too-many-items", f"A check holds at most {cap} credentials; split it.", limit=cap
    )


async def parse_checks(request: Request, settings: Settings) -> Parsed:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("application/json", "multipart/form-data"):
        raise Problem(
            415,
            "unsupported-media-type",
            'Send {"items": [...]} as JSON, or a CSV/XLSX file or badge images as multipart.',
        )
    body = await read_bounded(request, settings.employer_check_max_upload_bytes)
    cap = settings.employer_check_max_items
    if media_type == "application/json":
        # Up to 10 MB of JSON and base64 images: parsed off the event loop, like the sheets.
        parsed = Parsed(await run_in_threadpool(_json_items, settings, body, cap), "json")
    else:
        parsed = await _multipart(request, settings, body, cap)
    if not parsed.items:
        raise Problem(422, "no-items", "There is nothing to check.")
    if len(parsed.items) > cap:
        raise too_many(cap)
    return parsed


# ---- JSON ---------------------------------------------------------------------------------


def _json_items(settings: Settings, body: bytes, cap: int) -> list[CheckItem]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "bad-json", "The body is not JSON.") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise Problem(422, "validation-error", 'Send {"items": [...]}.')
    if len(items) > cap:
        raise too_many(cap)
    return [_json_item(settings, index, item) for index, item in enumerate(items)]


def _bad_item(index: int) -> Problem:
    return Problem(
        422,
        "validation-error",
        f"items[{index}] must be a token, credential id or share link (text), or an object "
        'with one of "token", "credential_id", "share" or "image" and an optional "reference".',
        index=index,
    )


def _json_item(settings: Settings, index: int, item: Any) -> CheckItem:
    if isinstance(item, str) and item.strip():
        return text_item(settings, item)
    if not isinstance(item, dict):
        raise _bad_item(index)
    reference = item.get("reference", "")
    given = [k for k in ("token", "credential_id", "share", "image") if k in item]
    if (
        len(given) != 1
        or set(item) - {given[0], "reference"}
        or not isinstance(reference, str)
        or len(reference) > MAX_REFERENCE
        or not isinstance(item[given[0]], str)
        or not item[given[0]].strip()
    ):
        raise _bad_item(index)
    key, value = given[0], item[given[0]].strip()
    if key == "token":
        return CheckItem(TOKEN, value, reference)
    if key == "credential_id":
        normalised = normalise_credential_id(value)
        if normalised is None:
            raise _bad_item(index)
        return CheckItem(CREDENTIAL_ID, normalised, reference)
    if key == "share":
        code = share_code_of(settings, value)
        if code is None:
            return CheckItem(SHARE_LINK, value, reference, problem="not_a_share_link")
        return CheckItem(SHARE_LINK, code, reference)
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return CheckItem(IMAGE, b"", reference, problem="bad_base64")
    return CheckItem(IMAGE, data, reference)


# ---- multipart ----------------------------------------------------------------------------


async def _single(data: bytes):
    yield data


async def _multipart(request: Request, settings: Settings, body: bytes, cap: int) -> Parsed:
    parser = MultiPartParser(request.headers, _single(body), max_files=cap + 1, max_fields=20)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        if "Too many files" in exc.message:
            raise too_many(cap) from None
        raise Problem(400, "bad-multipart", f"The form cannot be read: {exc.message}") from None
    try:
        files = [
            (v.filename or "", await v.read())
            for _, v in form.multi_items()
            if isinstance(v, UploadFile)
        ]
    finally:
        await form.close()
    if not files:
        raise Problem(422, "file-missing", "Send a CSV/XLSX file or badge images as form parts.")
    if len(files) == 1 and not _looks_like_image(files[0][1]):
        name, data = files[0]
        # Reading a 10 MB workbook takes seconds: never on the event loop (every other request
        # of this worker would wait).
        return await run_in_threadpool(_sheet, settings, name, data, cap)
    if len(files) > cap:
        raise too_many(cap)
    items = [CheckItem(IMAGE, data, name[:MAX_REFERENCE]) for name, data in files]
    return Parsed(items, "images")


def _looks_like_image(data: bytes) -> bool:
    head = data[:512].removeprefix(b"\xef\xbb\xbf").lstrip()
    return data.startswith(_PNG) or head.startswith(b"<")


# ---- CSV / XLSX ---------------------------------------------------------------------------


def _sheet(settings: Settings, name: str, data: bytes, cap: int) -> Parsed:
    limits = ImportLimits(
        max_bytes=settings.employer_check_max_upload_bytes,
        max_rows=cap,
        max_columns=MAX_COLUMNS,
        max_cell_chars=MAX_CELL_CHARS,
    )
    fd, path = tempfile.mkstemp(suffix=".upload")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        with open_table(path, limits) as table:
            rows = _rows(table)
            source = table.format
    except FileRefused as refusal:
        if refusal.code == "too-many-rows":
            raise too_many(cap) from None
        raise Problem(422, refusal.code, refusal.detail, **refusal.extra) from None
    finally:
        os.unlink(path)
    return Parsed(_sheet_items(settings, rows, cap), source, name[:200])


def _rows(table: Any) -> list[list[str]]:
    """The sheet's non-blank rows as stripped text, after the imports reader's checks of the
    whole file (format, encryption, ZIP bomb, formula cells, limits)."""
    return [cells for _row, cells in table.plain_rows()]


def _credential_column(settings: Settings, rows: list[list[str]]) -> tuple[int, bool] | None:
    """(the credential column, whether the first row is a header), or None when no column holds
    credentials. A header names the column (``CREDENTIAL_HEADERS``); a first row whose first
    cell is already a credential is data; otherwise the column whose cells in the first data
    rows read as credentials (a token, an id or one of our share links)."""
    first = rows[0]
    named = next((i for i, c in enumerate(first) if c.lower() in CREDENTIAL_HEADERS), None)
    if named is not None:
        return named, True
    if first and _is_credential(settings, first[0]):
        return 0, False
    sample = rows[1 : SAMPLE_ROWS + 1] or rows
    width = max(len(r) for r in rows)
    hits = [
        sum(1 for r in sample if column < len(r) and _is_credential(settings, r[column]))
        for column in range(width)
    ]
    best = max(range(width), key=lambda c: (hits[c], -c))
    if hits[best] == 0:
        return None
    return best, not (best < len(first) and _is_credential(settings, first[best]))


def _is_credential(settings: Settings, text: str) -> bool:
    """A credential id, one of our share links (or its code), what looks like a compact JWS
    (three dot-separated parts, RFC 7515 section 7.1) or a JSON credential."""
    kind, value = classify(settings, text)
    return kind != TOKEN or (value.count(".") == 2 and " " not in value) or value[:1] == "{"


def _no_credential_column() -> Problem:
    names = ", ".join(sorted(CREDENTIAL_HEADERS))
    return Problem(
        422,
        "no-credential-column",
        "No column holds credentials: head the credential column with one of "
        f"{names} (or put a token, credential id or share link in the first column).",
        accepted_headers=sorted(CREDENTIAL_HEADERS),
    )


def _sheet_items(settings: Settings, rows: list[list[str]], cap: int) -> list[CheckItem]:
    if not rows:
        raise Problem(422, "empty-file", "The file holds no credentials.")
    found = _credential_column(settings, rows)
    if found is None:
        raise _no_credential_column()
    column, has_header = found
    first = rows[0]
    header = [c.lower() for c in first]
    names = list(first) if has_header else [column_letter(i + 1) for i in range(len(first))]
    reference = next((i for i, h in enumerate(header) if h in REFERENCE_HEADERS), None)
    if not has_header:
        reference = None
    data = rows[1:] if has_header else rows
    if len(data) > cap:
        raise too_many(cap)
    width = max(len(r) for r in rows)
    for i in range(len(names), width):
        names.append(column_letter(i + 1))
    items = []
    for cells in data:
        cells = cells + [""] * (width - len(cells))
        extra = {
            (names[i] or column_letter(i + 1)): cells[i]
            for i in range(width)
            if i not in (column, reference)
        }
        ref = cells[reference][:MAX_REFERENCE] if reference is not None else ""
        if not cells[column]:
            items.append(CheckItem(TOKEN, "", ref, extra, problem="empty_cell"))
        else:
            items.append(text_item(settings, cells[column], ref, extra))
    return items
