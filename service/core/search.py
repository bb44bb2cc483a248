"""Text search in the database: what a person types is matched as typed.

``%`` and ``_`` are LIKE wildcards (SQL:2016 8.5 <like predicate>): a search for "100%" must
not match every row. Every "contains" search goes through :func:`contains_text`, which escapes
them and the escape character itself (SQLAlchemy's ``autoescape``, rendered as
``LIKE ... ESCAPE '/'`` on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from typing import Any


def contains_text(column: Any, text: str) -> Any:
    """``column`` contains ``text`` literally (case rules are the database's)."""
    return column.contains(text, autoescape=True)
