"""Errors the training rules raise most often, phrased once."""

from __future__ import annotations

from service.core.errors import Conflict, NotFound
from service.training.states import InvalidTransition


def not_found(what: str) -> NotFound:
    return NotFound("not-found", f"{what} was not found.")


def invalid_transition(exc: InvalidTransition) -> Conflict:
    """Names the current state, so a client can tell a race from a mistake."""
    return Conflict(
        "invalid-state-transition",
        f"The enrollment is {exc.current}; it cannot change to {exc.target}.",
        current_state=exc.current,
        target_state=exc.target,
    )
