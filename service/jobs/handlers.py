"""Registry of job handlers by kind.

The job runner knows handlers only through this registry; the composition root
(``service.wiring``) registers every domain's handlers at start-up, so this package imports no
domain. A handler runs inside the transaction that marks its job done, so a redelivered job
finds ``done`` and changes nothing twice. Handlers must also be safe to re-run after a crash
between their work and that commit: they are written to be idempotent on their own keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlmodel import Session

Handler = Callable[[Session, dict], None]
_HANDLERS: dict[str, Handler] = {}


class UnknownJobKind(LookupError):
    pass


def register_handlers(handlers: Mapping[str, Handler]) -> None:
    """Adds ``{kind: handler}``; registering the same handler again is harmless."""
    for kind, handler in handlers.items():
        known = _HANDLERS.get(kind)
        if known is not None and known is not handler:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _HANDLERS[kind] = handler


def get_handler(kind: str) -> Handler:
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None
