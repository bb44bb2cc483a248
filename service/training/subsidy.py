"""All subsidy rules for subsidised enrollments, in one place.

The rules (DESIGN.md, Domain / Enrollments), each with a stable reason code:

- ``annual_limit_reached``: at most ``max_per_year`` subsidised trainings per person per calendar
  year (the year of the candidate enrollment);
- ``occupation_level_already_subsidised``: the same occupation at the same level is subsidised
  once in a lifetime;
- ``lower_level_after_higher``: no lower level of an occupation once a higher one was subsidised.
  Levels run 5 (初级工, lowest) .. 1 (高级技师, highest), so "lower" means a *larger* number.

Every failing rule is reported, not only the first, so a learner or trainer sees all obstacles
at once. The decision carries the rules version and a snapshot of the parameters so a recorded
decision can be explained later even after the parameters change.

Which prior subsidised enrollments count (decision): only ``completed`` ones, for every rule.
A subsidy is claimed when a training is completed, so that is when a slot is used. Counting
enrolments instead let anyone who could enrol a person (or the person's own abandoned or failed
attempts) use up the slots without a subsidy ever being paid. Consequently an enrolment may be
granted while other granted enrolments are still open; the decision is re-checked at completion
(:mod:`.completion`), and a completion that would exceed a rule completes *unsubsidised*, with
the reasons recorded next to the enrolment decision.

The status sets are parameters, so a different policy is a settings change, not a code change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.training.occupations import level_name
from service.training.reasons import Reason
from service.training.states import EnrollmentState

RULES_VERSION = "2026.1"  # slots are used by completed trainings

ANNUAL_LIMIT_REACHED = "annual_limit_reached"
OCCUPATION_LEVEL_ALREADY_SUBSIDISED = "occupation_level_already_subsidised"
LOWER_LEVEL_AFTER_HIGHER = "lower_level_after_higher"

_COMPLETED = frozenset({EnrollmentState.COMPLETED})


class SubsidyRules(BaseModel):
    """Parameters of the subsidy rules; load from settings or data, defaults are the city's."""

    model_config = ConfigDict(frozen=True)

    max_per_year: int | None = Field(default=3, ge=1, description="None means no annual limit")
    one_per_occupation_level: bool = True
    no_lower_level_after_higher: bool = True
    annual_limit_statuses: frozenset[EnrollmentState] = _COMPLETED
    same_level_statuses: frozenset[EnrollmentState] = _COMPLETED
    lower_level_statuses: frozenset[EnrollmentState] = _COMPLETED


@dataclass(frozen=True, slots=True)
class SubsidyCandidate:
    """The enrollment asking for a subsidy."""

    occupation_code: str
    level: int
    year: int

    def __post_init__(self) -> None:
        level_name(self.level)  # raises ValueError outside 1..5


@dataclass(frozen=True, slots=True)
class PriorSubsidy:
    """Another *subsidised* enrollment of the same person and its current state."""

    occupation_code: str
    level: int
    year: int
    status: EnrollmentState


@dataclass(frozen=True, slots=True)
class SubsidyDecision:
    granted: bool
    reasons: tuple[Reason, ...]
    rules_version: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "granted": self.granted,
            "reasons": [r.as_dict() for r in self.reasons],
            "rules_version": self.rules_version,
            "params": self.params,
        }


def _params_snapshot(rules: SubsidyRules) -> dict[str, Any]:
    snapshot = rules.model_dump()
    for key, value in snapshot.items():
        if isinstance(value, frozenset):
            snapshot[key] = sorted(str(v) for v in value)
    return snapshot


def decide(
    rules: SubsidyRules, candidate: SubsidyCandidate, history: Iterable[PriorSubsidy]
) -> SubsidyDecision:
    """Decide whether ``candidate`` may be subsidised given the person's subsidised history."""
    history = [h for h in history if h.status != EnrollmentState.WITHDRAWN]
    reasons: list[Reason] = []

    if rules.max_per_year is not None:
        used = sum(
            1
            for h in history
            if h.year == candidate.year and h.status in rules.annual_limit_statuses
        )
        if used >= rules.max_per_year:
            reasons.append(
                Reason(
                    ANNUAL_LIMIT_REACHED,
                    f"already {used} subsidised trainings in {candidate.year}; "
                    f"the limit is {rules.max_per_year} per calendar year",
                )
            )

    same_occupation = [h for h in history if h.occupation_code == candidate.occupation_code]

    if rules.one_per_occupation_level and any(
        h.level == candidate.level and h.status in rules.same_level_statuses
        for h in same_occupation
    ):
        reasons.append(
            Reason(
                OCCUPATION_LEVEL_ALREADY_SUBSIDISED,
                f"occupation {candidate.occupation_code} at level {candidate.level} "
                f"({level_name(candidate.level)}) was already subsidised",
            )
        )

    if rules.no_lower_level_after_higher:
        higher = [
            h.level
            for h in same_occupation
            if h.level < candidate.level and h.status in rules.lower_level_statuses
        ]
        if higher:
            top = min(higher)
            reasons.append(
                Reason(
                    LOWER_LEVEL_AFTER_HIGHER,
                    f"occupation {candidate.occupation_code} was already subsidised at level "
                    f"{top} ({level_name(top)}), higher than the requested level "
                    f"{candidate.level} ({level_name(candidate.level)})",
                )
            )

    return SubsidyDecision(
        granted=not reasons,
        reasons=tuple(reasons),
        rules_version=RULES_VERSION,
        params=_params_snapshot(rules),
    )
