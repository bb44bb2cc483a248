"""Offset pagination shared by every list endpoint: nothing returns an unbounded list; and the
rule for the text filters lists take (``PLAIN_TEXT``)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

T = TypeVar("T")
MAX_LIMIT = 200

# Text filters hold what a person can type: no C0/C1 control characters (NUL among them, which
# PostgreSQL cannot store and SQLite cuts a LIKE pattern at). Refused as a 422 while the query
# is parsed, so a streamed response never starts on a bad filter. Use as ``pattern=PLAIN_TEXT``.
PLAIN_TEXT = r"^[^\x00-\x1f\x7f-\x9f]*$"


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Items per page (max 200)"),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, stmt, params: PageParams) -> tuple[list, int]:
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = session.exec(stmt.limit(params.limit).offset(params.offset)).all()
    return list(rows), int(total)


def page_of(session: Session, stmt, params: PageParams) -> Page:
    """One page of ``stmt``'s rows with the total, as every list endpoint answers."""
    items, total = paginate(session, stmt, params)
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)
