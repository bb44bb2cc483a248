"""cmi5 moveOn: when an AU, a block and the course are satisfied (cmi5 9.3.9, 10 moveOn,
13.1.4 moveOn), as pure functions of the course structure and what each AU reported.

- An AU meets its moveOn when: NotApplicable, always; Completed, once completed; Passed, once
  passed; CompletedAndPassed, both; CompletedOrPassed, either; and whatever its moveOn when the
  LMS waived it (cmi5 9.3.7: "the AU requirements were met by means other than completing").
  A Completed AU whose moveOn is Passed is therefore not met.
- A block is satisfied when every AU in it (nested blocks included) meets its moveOn; the course
  when every AU of the course does (cmi5 9.3.9).
- The course counts as *passed* for training when it is satisfied and it holds an AU judged on
  passing (moveOn Passed, CompletedAndPassed or CompletedOrPassed) that was passed or waived
  (a Waived statement has success true, cmi5 9.5.2); otherwise the verdict stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

NOT_APPLICABLE = "NotApplicable"
PASSED = "Passed"
COMPLETED = "Completed"
COMPLETED_AND_PASSED = "CompletedAndPassed"
COMPLETED_OR_PASSED = "CompletedOrPassed"
_JUDGED = frozenset({PASSED, COMPLETED_AND_PASSED, COMPLETED_OR_PASSED})


@dataclass(frozen=True)
class AuState:
    completed: bool = False
    passed: bool = False
    waived: bool = False


NOTHING = AuState()


def au_met(move_on: str | None, state: AuState | None) -> bool:
    state = state or NOTHING
    if state.waived:
        return True
    rule = move_on or NOT_APPLICABLE
    if rule == NOT_APPLICABLE:
        return True
    if rule == COMPLETED:
        return state.completed
    if rule == PASSED:
        return state.passed
    if rule == COMPLETED_AND_PASSED:
        return state.completed and state.passed
    if rule == COMPLETED_OR_PASSED:
        return state.completed or state.passed
    return False  # an unknown rule is never met (the ingest refuses them anyway)


def au_done(move_on: str | None, state: AuState | None) -> bool:
    """Whether the learner has finished the AU, so the LMS launches it in Review mode (cmi5 10
    launchMode): its moveOn met by what it reported or a waiver; an AU whose moveOn is
    NotApplicable is met from the start, so for it only a reported completion or pass counts."""
    state = state or NOTHING
    if (move_on or NOT_APPLICABLE) == NOT_APPLICABLE:
        return state.completed or state.passed or state.waived
    return au_met(move_on, state)


def aus(units: list) -> Iterator[dict]:
    for unit in units or []:
        if unit.get("kind") == "au":
            yield unit
        yield from aus(unit.get("children") or [])


def _blocks_post_order(units: list) -> Iterator[dict]:
    for unit in units or []:
        if unit.get("kind") == "block":
            yield from _blocks_post_order(unit.get("children") or [])
            yield unit


@dataclass
class Satisfaction:
    """What the moveOn rules say now (not what was already recorded)."""

    blocks: list[dict] = field(default_factory=list)  # satisfied blocks, inner ones first
    course: bool = False
    passed: bool | None = None


def evaluate(units: list, states: dict[str, AuState]) -> Satisfaction:
    """Blocks and course satisfied by ``states`` (publisher AU id -> what the AU reported)."""

    def met(au: dict) -> bool:
        return au_met(au.get("move_on"), states.get(au["id"]))

    out = Satisfaction()
    out.blocks = [b for b in _blocks_post_order(units) if all(met(a) for a in aus([b]))]
    every = list(aus(units))
    out.course = bool(every) and all(met(a) for a in every)
    if out.course:
        judged = [a for a in every if a.get("move_on") in _JUDGED]
        if any(
            (states.get(a["id"]) or NOTHING).passed or (states.get(a["id"]) or NOTHING).waived
            for a in judged
        ):
            out.passed = True
    return out
