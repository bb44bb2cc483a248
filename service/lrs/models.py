"""The LRS's tables: statements with the columns the query API filters on, the agents and
activities each statement relates to (for ``agent``/``activity`` filters, ``related_*`` too),
documents, activity definitions and attachment bodies.

``seq`` is the store's own order (a bigint identity); ``stored`` is what the spec orders by, so
the query indexes carry both. The full statement, as the LRS returns it, is ``content`` (JSONB on
PostgreSQL).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from service.core.columns import created_at

# bigint on PostgreSQL, INTEGER PRIMARY KEY (the rowid, so autoincrementing) on SQLite.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")
DOCUMENT_JSON = JSON().with_variant(JSONB(), "postgresql")


def _text(index: bool = False, nullable: bool = False) -> Any:
    return Field(default=None if nullable else ..., sa_type=Text, nullable=nullable, index=index)


class LrsStatement(SQLModel, table=True):
    """One stored statement (voiding statements included)."""

    __tablename__ = "lrs_statement"
    __table_args__ = (
        Index("ix_lrs_statement_stored", "stored", "seq"),
        Index("ix_lrs_statement_verb", "verb_id", "stored", "seq"),
        Index("ix_lrs_statement_registration", "registration", "stored", "seq"),
        Index("ix_lrs_statement_voids", "voids"),
        # A learner's or launch token's reads are scoped to its actor.
        Index("ix_lrs_statement_actor", "actor_key", "stored", "seq"),
        Index("ix_lrs_statement_enrollment", "enrollment_id"),
        # Statements with a StatementRef object, in query order: the query's StatementRef rule
        # (xAPI Communication §2.1.3) reads only these.
        Index(
            "ix_lrs_statement_refs",
            "stored",
            "seq",
            postgresql_where=text("object_type = 'StatementRef'"),
            sqlite_where=text("object_type = 'StatementRef'"),
        ),
    )
    seq: int | None = Field(default=None, sa_type=SEQ_TYPE, primary_key=True)
    statement_id: uuid.UUID = Field(unique=True)
    stored: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    timestamp: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    verb_id: str = _text()
    actor_key: str = _text()
    object_type: str = Field(max_length=20)
    # Activity id, agent key, or the target statement id of a StatementRef.
    object_key: str = _text()
    registration: uuid.UUID | None = None
    # A voiding statement names its target here; the target gets ``voided``.
    voids: uuid.UUID | None = None
    voided: bool = False
    content: dict = Field(default_factory=dict, sa_column=Column(DOCUMENT_JSON, nullable=False))
    comparison_hash: str = Field(max_length=64)
    attachment_hashes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stored_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    enrollment_id: uuid.UUID | None = Field(default=None, foreign_key="enrollment.id")


class LrsStatementAgent(SQLModel, table=True):
    """An agent (or identified group) a statement relates to. ``relation``: ``actor`` and
    ``object`` serve the plain ``agent`` filter; ``related`` (authority, instructor, team,
    group members, sub-statement parts) only ``related_agents=true``."""

    __tablename__ = "lrs_statement_agent"
    __table_args__ = (Index("ix_lrs_statement_agent_key", "agent_key", "stored", "seq"),)
    seq: int = Field(sa_type=SEQ_TYPE, primary_key=True)
    agent_key: str = Field(sa_type=Text, primary_key=True)
    relation: str = Field(max_length=10, primary_key=True)
    stored: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


class LrsStatementActivity(SQLModel, table=True):
    """An activity a statement relates to: ``object``, or ``related`` (context activities,
    sub-statement object) for ``related_activities=true``."""

    __tablename__ = "lrs_statement_activity"
    __table_args__ = (Index("ix_lrs_statement_activity_id", "activity_id", "stored", "seq"),)
    seq: int = Field(sa_type=SEQ_TYPE, primary_key=True)
    activity_id: str = Field(sa_type=Text, primary_key=True)
    relation: str = Field(max_length=10, primary_key=True)
    stored: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


class LrsActivity(SQLModel, table=True):
    """The LRS's canonical definition of an activity (``GET /xAPI/activities``), merged from the
    statements it has seen."""

    __tablename__ = "lrs_activity"
    activity_id: str = Field(sa_type=Text, primary_key=True)
    definition: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated: datetime = created_at()


class LrsDocument(SQLModel, table=True):
    """A State, Activity Profile or Agent Profile document. Missing key parts are stored as
    ``""`` so the unique key works alike on every database (NULLs are distinct in SQL)."""

    __tablename__ = "lrs_document"
    __table_args__ = (
        Index(
            "uq_lrs_document",
            "kind",
            "activity_id",
            "agent_key",
            "registration",
            "document_id",
            unique=True,
        ),
    )
    id: int | None = Field(default=None, sa_type=SEQ_TYPE, primary_key=True)
    kind: str = Field(max_length=20)  # state | activity_profile | agent_profile
    activity_id: str = Field(default="", sa_type=Text)
    agent_key: str = Field(default="", sa_type=Text)
    registration: str = Field(default="", max_length=36)
    document_id: str = Field(sa_type=Text)
    content_type: str = Field(max_length=255)
    content: bytes = Field(sa_type=LargeBinary, nullable=False)
    etag: str = Field(max_length=64)
    updated: datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)


class LrsAttachment(SQLModel, table=True):
    """An attachment body, stored once per sha2 in object storage (``storage_key``)."""

    __tablename__ = "lrs_attachment"
    sha2: str = Field(max_length=128, primary_key=True)
    content_type: str = Field(max_length=255)
    length: int = Field(sa_type=BigInteger)
    storage_key: str = Field(max_length=300)
    created_at: datetime = created_at()
