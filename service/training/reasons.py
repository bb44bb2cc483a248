"""A machine-readable reason, shared by the subsidy rules and the hours guards.

Both report *every* failing rule with a stable ``code`` (for clients and statistics) and a human
``message`` (for people). Messages never contain personal data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    """Why something was refused: a stable code plus an explanation for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
