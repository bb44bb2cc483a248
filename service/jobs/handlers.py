"""Registry of job handlers by kind.

A handler runs inside the transaction that marks its job done, so a redelivered job finds
``done`` and changes nothing twice. Handlers must also be safe to re-run after a crash
between their work and that commit: they are written to be idempotent on their own keys.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

Handler = Callable[[Session, dict], None]
_HANDLERS: dict[str, Handler] = {}


class UnknownJobKind(LookupError):
    pass


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def get_handler(kind: str) -> Handler:
    load_handlers()
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def load_handlers() -> None:
    """Import the modules that register handlers (kept in one list so workers see them all)."""
    import service.issuing.completion_job  # noqa: F401
    import service.jobs.builtin  # noqa: F401
    import service.packages.jobs  # noqa: F401
    import service.tallies.jobs  # noqa: F401
