"""How long a verifier may answer from memory what it read about our own keys and status lists.

Verifying one of our credentials reads two facts from the database: the signing key's status
(a compromise must show) and the status list's version (a revocation must show). Read on every
verification, they cost more than the signature check itself. They change rarely, so a process
may keep what it read for a few seconds (``FreshCache``), on two conditions:

- a change made in this process is seen at once: the writers (``status_list.set_status``,
  ``keys.mark_compromised``, ``keys.rotate_key``) call ``changed(session)``, which forgets every
  kept fact now and again when the transaction commits (so nothing read in between, from the
  database as it was before the commit, outlives it);
- a change made by another process (another API replica) is seen within the window, which
  ``SKILLS_VERIFY_CACHE_SECONDS`` sets (0: never kept).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

_lock = threading.Lock()
_generation = 0


def _bump(*_args: Any) -> None:
    global _generation
    with _lock:
        _generation += 1


def changed(session: Session) -> None:
    """A key's status or a status list changed in ``session``: forget what was kept, now and
    once more when the transaction commits."""
    _bump()
    event.listen(session, "after_commit", _bump, once=True)


class FreshCache:
    """Values kept for ``seconds`` (monotonic clock) and dropped by any ``changed`` call."""

    def __init__(self, max_entries: int = 1024):
        self._entries: OrderedDict[Any, tuple[Any, int, float]] = OrderedDict()
        self.max_entries = max_entries

    def get(self, key: Any) -> Any | None:
        with _lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            value, generation, expires = hit
            if generation != _generation or time.monotonic() >= expires:
                del self._entries[key]
                return None
            return value

    def put(self, key: Any, value: Any, seconds: float, generation: int) -> None:
        """Keep ``value`` if nothing changed since ``generation`` (read before the query)."""
        if seconds <= 0:
            return
        with _lock:
            if generation != _generation:
                return
            self._entries[key] = (value, generation, time.monotonic() + seconds)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def generation() -> int:
    """Read before querying a fact to keep; ``put`` refuses it if a change came in between."""
    with _lock:
        return _generation
