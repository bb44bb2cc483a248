"""The verification report: one entry per check, and an overall result.

Check names: ``signature``, ``key_provenance``, ``shape``, ``validity``, ``status``. A check has
one entry, or one per rule it found broken (e.g. ``shape`` with ``jti_missing`` and
``sub_missing``), so a reader sees every rule that failed, not only the first.
Outcomes: ``passed``, ``failed``, ``skipped``, ``inconclusive``, and ``warning`` (something a
standard says must not fail the credential, shown anyway: unknown JOSE header members of another
issuer's token, RFC 7515 §4).
Results: ``valid``, ``invalid``, ``revoked``, ``suspended``, ``expired``, ``not_yet_valid``,
``inconclusive``. A report is ``valid`` only when every check passed or was skipped for a reason
that does not weaken it (no status entry), never when something could not be checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CHECK_ORDER = ("signature", "key_provenance", "shape", "validity", "status")


@dataclass
class Check:
    name: str
    outcome: str
    reason: str
    message: str


@dataclass
class VerificationReport:
    result: str
    reason: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] = field(default_factory=dict)
    source: str = "jwt"  # jwt | json | png | svg

    @property
    def valid(self) -> bool:
        return self.result == "valid"

    def check(self, name: str) -> Check | None:
        """The first entry of ``name`` (its failure, when it failed)."""
        return next((c for c in self.checks if c.name == name), None)

    def entries(self, name: str) -> list[Check]:
        return [c for c in self.checks if c.name == name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "reason": self.reason,
            "source": self.source,
            "checks": [asdict(c) for c in self.checks],
            "credential": self.credential,
        }


class Checks:
    """Collects check entries; fills any check never run as ``skipped``, in the canonical order."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[Check]] = {}

    def add(self, name: str, outcome: str, reason: str = "", message: str = "") -> None:
        self._by_name.setdefault(name, []).append(Check(name, outcome, reason or outcome, message))

    def get(self, name: str) -> Check | None:
        entries = self._by_name.get(name)
        return entries[0] if entries else None

    def outcome(self, name: str) -> str | None:
        check = self.get(name)
        return check.outcome if check else None

    def ordered(self, skipped_reason: str) -> list[Check]:
        out: list[Check] = []
        for name in CHECK_ORDER:
            out.extend(
                self._by_name.get(name)
                or [Check(name, "skipped", skipped_reason, "not checked: " + skipped_reason)]
            )
        return out
