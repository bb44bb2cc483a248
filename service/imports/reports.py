"""An import's report: every input row with its outcome and reason, as CSV or XLSX.

Built from the stored outcomes (``import_row``), whose cells were masked when stored, so a
report never shows a whole ID number or phone, and works after the source file was deleted.
Text cells go through :mod:`service.core.spreadsheet`: a name that looks like a formula opens
as text. Each report opens its own database session (the body is produced after the request
handler has returned) and reads the rows in pages, so a 100,000-row report is never in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlmodel import Session, select

from service.core.db import get_engine
from service.core.spreadsheet import csv_stream, xlsx_stream
from service.imports.columns import COLUMNS
from service.imports.models import ImportRow

PAGE = 2000
OUTCOME_HEADERS = ("行号 (row)", "结果 (outcome)", "原因代码 (reason)", "说明 (message)")
OUTCOME_WORDS = {
    "accepted": "成功 accepted",
    "duplicate": "重复 duplicate",
    "rejected": "拒绝 rejected",
}


def header(kind: str) -> list[str]:
    return [*OUTCOME_HEADERS, *(f"{c.zh} ({c.en})" for c in COLUMNS[kind])]


def report_rows(import_id: uuid.UUID, kind: str) -> Iterator[list]:
    fields = [c.field for c in COLUMNS[kind]]
    yield header(kind)
    after = 0
    with Session(get_engine()) as session:
        while True:
            page = session.exec(
                select(ImportRow)
                .where(ImportRow.import_id == import_id, ImportRow.row > after)
                .order_by(ImportRow.row)  # type: ignore[arg-type]
                .limit(PAGE)
            ).all()
            if not page:
                return
            for item in page:
                yield [
                    item.row,
                    OUTCOME_WORDS.get(item.outcome, item.outcome),
                    item.reason or "",
                    item.message or "",
                    *(item.cells.get(f, "") for f in fields),
                ]
            after = page[-1].row


def report_csv(import_id: uuid.UUID, kind: str) -> Iterator[bytes]:
    return csv_stream(report_rows(import_id, kind))


def report_xlsx(import_id: uuid.UUID, kind: str) -> Iterator[bytes]:
    return xlsx_stream("report", report_rows(import_id, kind))
