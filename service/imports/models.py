"""An import's run and the outcome of each of its rows.

The counters and ``rows_done`` are written in the same transaction as the rows' effects and
outcomes, so what ``GET /imports/{id}`` shows is always what the database holds, and a worker
killed mid-file resumes after the last committed batch without doing a row twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.core.columns import created_at, timestamp, uuid_pk


class ImportKind(StrEnum):
    LEARNERS = "learners"
    ENROLLMENTS = "enrollments"
    ATTENDANCE = "attendance"


class ImportStatus(StrEnum):
    queued = "queued"  # stored, waiting for a worker
    checking = "checking"  # the whole file is being checked before any row is used
    running = "running"  # rows are being applied, batch by batch
    done = "done"
    refused = "refused"  # the file itself was refused (format, limits, formulas): nothing written
    failed = "failed"  # the job gave up after its retries (an operator's matter)


FINISHED = frozenset({ImportStatus.done, ImportStatus.refused, ImportStatus.failed})


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    id: uuid.UUID = uuid_pk()
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default=ImportStatus.queued, max_length=20)
    dry_run: bool = False
    filename: str = Field(default="", max_length=200)
    size: int = 0
    sha256: str = Field(max_length=64)
    object_key: str | None = Field(default=None, max_length=300)
    file_format: str | None = Field(default=None, max_length=10)
    rows_total: int | None = None
    rows_done: int = 0  # data rows processed, in file order
    last_row: int = 0  # the spreadsheet row number of the last row processed (resume point)
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    refusal_code: str | None = Field(default=None, max_length=60)
    refusal_message: str | None = Field(default=None, max_length=500)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")  # None: the CLI
    created_role: str = Field(max_length=20)  # the role the uploader had: the job acts as that
    created_at: datetime = created_at()
    started_at: datetime | None = timestamp()
    finished_at: datetime | None = timestamp()


class ImportRow(SQLModel, table=True):
    """One input row's outcome, with its cells as the report shows them (ID numbers and phones
    masked), so the report needs neither the source file (deleted when the import finishes)
    nor a decryption."""

    __tablename__ = "import_row"
    import_id: uuid.UUID = Field(foreign_key="import_run.id", primary_key=True)
    row: int = Field(primary_key=True)
    outcome: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=60)
    message: str | None = Field(default=None, max_length=500)
    entity_id: str | None = Field(default=None, max_length=64)
    cells: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
