"""Domain errors: plain exceptions with a stable code and a message safe to show.

Domain code raises these; it knows nothing of HTTP. The API maps each kind to a status in one
place (``service.api.problems``). ``detail`` never carries personal data; ``extra`` members are
machine-readable facts a client may switch on (a current state, a limit).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra


class BadRequest(DomainError):
    """The request is malformed in a way no schema could see (a header, a protocol rule)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""


class Conflict(DomainError):
    """The request clashes with the current state (a transition, a duplicate, a lock)."""


class PreconditionFailed(DomainError):
    """A conditional request's precondition (``If-Match``, ``If-None-Match``) does not hold."""


class Gone(DomainError):
    """The thing existed and was deliberately withdrawn."""


class Unavailable(DomainError):
    """Something the request needs is not there yet (a signing key, a service)."""


class TooLarge(DomainError):
    """The request carries more than a limit allows."""


class Invalid(DomainError):
    """The values are well-formed but break a rule (reference data, dates, subsidy)."""
