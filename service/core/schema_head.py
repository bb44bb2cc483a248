"""Is the database at this version's newest migration? Answered without importing Alembic.

`skills serve` asks this on every start of the embedded default; importing Alembic and loading
every migration script to learn "nothing to do" cost most of a second. The answer here rests on
two rules every migration in ``migrations/versions`` keeps, which a test holds:

- file names sort in the order the migrations apply (``0001_...``, ``0002_...``);
- the chain is linear: each migration's ``down_revision`` is the previous file's ``revision``.

So the head is the ``revision`` of the last file, and a database whose ``alembic_version`` holds
exactly that is up to date. Anything else (no table, another revision, several rows) is left to
Alembic.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"', re.MULTILINE)


@cache
def shipped_head() -> str:
    """The ``revision`` of the newest migration file."""
    newest = max(VERSIONS.glob("[0-9]*.py"))
    found = _REVISION.search(newest.read_text(encoding="utf-8"))
    if found is None:
        raise RuntimeError(f"{newest.name} declares no revision")
    return found.group(1)


def at_head(engine: Engine) -> bool:
    """True when the database's only Alembic revision is :func:`shipped_head`."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return False  # no schema yet, or unreachable: Alembic will say which
    return [r[0] for r in rows] == [shipped_head()]
