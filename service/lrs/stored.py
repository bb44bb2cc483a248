"""A statement as just stored: the columns the projection and voiding read, without an ORM
object (a batch is inserted with one executemany; building ORM objects cost more than the
insert)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass
class StoredStatement:
    seq: int
    statement_id: uuid.UUID
    stored: datetime
    timestamp: datetime
    actor_key: str
    registration: uuid.UUID | None
    voids: uuid.UUID | None
    voided: bool
    content: dict
    stored_by: uuid.UUID | None
    enrollment_id: uuid.UUID | None = None
