"""What the LMS keeps of each SCO between sessions, and what it hands the next session.

SCORM leaves resume to the LMS: the SCO writes ``location``/``suspend_data`` and exits with
``suspend``, and the next session must find them, with ``entry`` = ``resume`` (1.2 RTE 3.4
cmi.core.entry, 2004 RTE 4.2.6 cmi.entry). ``total_time`` is the LMS's own sum of the session
times (1.2 cmi.core.total_time, 2004 RTE 4.2.24 cmi.total_time): the SCO only reports
``session_time``.

Decisions:

- ``entry`` is ``ab-initio`` for a SCO never committed, ``resume`` when its last session exited
  with ``suspend``, else ``""`` (both versions' vocabularies).
- location, suspend_data, statuses and score are handed back whatever the last exit was (a
  learner reopening a course finds their place); a new SCORM 2004 attempt with a fresh data
  model is not started. Objectives and interactions are not kept between sessions.
- A commit older than one already applied in the same runtime session (a lower ``sequence``)
  adds its time but does not overwrite the newer values.
- State recorded for another package version (a republished course) is not handed to the
  new version's SCOs: its suspend_data would describe another course.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from content.formats.model import SCORM_12, SCORM_2004
from content.models import PackageVersion
from service.core.timeutil import as_utc
from service.training.models import Enrollment, Learner, ScormRuntimeState
from service.training.scorm_runtime import (
    RESUME_ELEMENTS,
    RuntimeReading,
    format_cmi_timespan,
    format_iso_duration,
)

_VERSIONS = {SCORM_12: "1.2", SCORM_2004: "2004"}


def lock_state(session: Session, enrollment_id: uuid.UUID, sco_id: str) -> ScormRuntimeState | None:
    return session.exec(
        select(ScormRuntimeState)
        .where(ScormRuntimeState.enrollment_id == enrollment_id, ScormRuntimeState.sco_id == sco_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def record_commit(
    session: Session,
    *,
    enrollment_id: uuid.UUID,
    sco_id: str,
    version: str,
    values: Mapping[str, str],
    reading: RuntimeReading,
    added_centiseconds: int,
    runtime_session: str | None,
    sequence: int | None,
    package_version_id: uuid.UUID | None,
    now: datetime,
) -> ScormRuntimeState:
    """Fold one accepted commit into the SCO's state (flushed; the caller commits).

    The caller holds the learner's lock, so two commits of one SCO never interleave here."""
    state = lock_state(session, enrollment_id, sco_id)
    if state is None:
        state = ScormRuntimeState(
            enrollment_id=enrollment_id, sco_id=sco_id, version=version, created_at=now
        )
    state.total_centiseconds += max(added_centiseconds, 0)
    stale = (
        runtime_session is not None
        and state.runtime_session == runtime_session
        and sequence is not None
        and state.sequence is not None
        and sequence <= state.sequence
    )
    if not stale:
        if state.version != version or (
            package_version_id is not None and state.package_version_id != package_version_id
        ):
            kept: dict = {}  # another version's values describe another course
        else:
            kept = dict(state.cmi_values or {})
        for element in RESUME_ELEMENTS[version]:
            if element in values:
                kept[element] = values[element]
        state.cmi_values = kept
        state.version = version
        if package_version_id is not None:
            state.package_version_id = package_version_id
        state.status = reading.status or state.status
        state.success = reading.success or state.success
        if reading.score is not None:
            state.score = reading.score
        state.runtime_session = runtime_session
        state.sequence = sequence
        state.last_commit_at = now
    state.updated_at = now
    session.add(state)
    session.flush()
    return state


def states_of(session: Session, enrollment_id: uuid.UUID) -> list[ScormRuntimeState]:
    return list(
        session.exec(
            select(ScormRuntimeState)
            .where(ScormRuntimeState.enrollment_id == enrollment_id)
            .order_by(ScormRuntimeState.created_at, ScormRuntimeState.sco_id)
        ).all()
    )


def runtime_summary(session: Session, enrollment_id: uuid.UUID) -> list[dict]:
    """Per SCO, what was last committed (for the enrolment's page)."""
    return [
        {
            "sco_id": state.sco_id,
            "status": state.status,
            "success": state.success,
            "score": state.score,
            "location": _location(state),
            "total_time_seconds": state.total_centiseconds / 100,
            "last_commit_at": as_utc(state.last_commit_at) if state.last_commit_at else None,
        }
        for state in states_of(session, enrollment_id)
    ]


def _location(state: ScormRuntimeState) -> str | None:
    key = "cmi.core.lesson_location" if state.version == "1.2" else "cmi.location"
    return (state.cmi_values or {}).get(key) or None


#: a SCO whose status is one of these has been completed (1.2 RTE 3.4.2: passed and failed
#: imply completed; 2004 RTE 4.2.4 completion_status)
_DONE = {"completed", "passed", "failed"}


@dataclass(frozen=True)
class CourseOutcome:
    completed: bool
    passed: bool | None
    score: float | None


def course_outcome(
    session: Session, enrollment_id: uuid.UUID, version: PackageVersion
) -> CourseOutcome | None:
    """The course's status rolled up from its SCOs' states, for a package of several SCOs.

    SCORM 1.2 defines no rollup and full 2004 Simple Sequencing rollup is out of scope, so the
    rule is the one LMSs apply without sequencing: the course is completed when every SCO is,
    passed when every SCO is completed and every verdict reported is passed (at least one),
    failed when a SCO's last verdict is failed. Its score is the mean of the SCOs' scores.
    None for a single-SCO package: its own commit is the course's result.
    """
    scos = [u["id"] for u in version.all_units() if u.get("launch") and u.get("kind") == "sco"]
    if len(scos) < 2:
        return None
    states = {
        state.sco_id: state
        for state in states_of(session, enrollment_id)
        if state.package_version_id in (None, version.id)
    }
    mine = [states.get(sco) for sco in scos]
    completed = all(s is not None and (s.status in _DONE or s.success == "passed") for s in mine)
    verdicts = [s.success for s in mine if s is not None and s.success in ("passed", "failed")]
    passed: bool | None = None
    if "failed" in verdicts:
        passed = False
    elif verdicts and completed:
        passed = True
    scores = [s.score for s in mine if s is not None and s.score is not None]
    score = round(sum(scores) / len(scores), 2) if scores else None
    return CourseOutcome(completed, passed, score)


def scorm_version(version: PackageVersion | None) -> str | None:
    """``"1.2"``/``"2004"`` for a SCORM package version, None for any other format."""
    return _VERSIONS.get(version.format) if version is not None else None


def runtime_values(
    session: Session,
    enrollment: Enrollment,
    learner: Learner,
    version: PackageVersion | None,
) -> dict:
    """The values the player preloads into each SCO of ``version`` before its Initialize,
    named as the data model flattens them (``cmi.core.lesson_location``...)."""
    scorm = scorm_version(version)
    if version is None or scorm is None:
        return {"version": None, "scos": {}}
    states = {state.sco_id: state for state in states_of(session, enrollment.id)}
    scos: dict[str, dict] = {}
    units = [unit for unit in version.all_units() if unit.get("launch")]
    for unit in units:
        state = states.get(unit["id"])
        if state is None and len(units) == 1:
            state = states.get("")  # committed by a client that did not name its SCO
        if state is not None and (
            state.version != scorm or (state.package_version_id not in (None, version.id))
        ):
            state = None
        values = _learner_values(scorm, learner) | _unit_values(scorm, unit)
        values |= _state_values(scorm, state)
        scos[unit["id"]] = {
            "values": values,
            "last_commit_at": (
                as_utc(state.last_commit_at).isoformat()
                if state is not None and state.last_commit_at
                else None
            ),
        }
    return {"version": scorm, "scos": scos}


def _learner_values(scorm: str, learner: Learner) -> dict[str, str]:
    # The learner's subject id: the same pseudonymous id credentials use, never an ID number.
    if scorm == "1.2":
        return {
            "cmi.core.student_id": str(learner.subject_id),
            "cmi.core.student_name": learner.name,
            "cmi.core.credit": "credit",
            "cmi.core.lesson_mode": "normal",
        }
    return {
        "cmi.learner_id": str(learner.subject_id),
        "cmi.learner_name": learner.name,
        "cmi.credit": "credit",
        "cmi.mode": "normal",
    }


def _unit_values(scorm: str, unit: dict) -> dict[str, str]:
    """What the manifest says for the item: adlcp:datafromlms and its mastery score (stored as
    a fraction: 1.2's adlcp:masteryscore / 100, 2004's minNormalizedMeasure)."""
    out: dict[str, str] = {}
    if unit.get("launch_data"):
        out["cmi.launch_data"] = unit["launch_data"]
    mastery = unit.get("mastery_score")
    if mastery is not None:
        if scorm == "1.2":
            out["cmi.student_data.mastery_score"] = f"{float(mastery) * 100:g}"
        else:
            out["cmi.scaled_passing_score"] = f"{float(mastery):g}"
    return out


def _state_values(scorm: str, state: ScormRuntimeState | None) -> dict[str, str]:
    entry_key = "cmi.core.entry" if scorm == "1.2" else "cmi.entry"
    if state is None:
        return {entry_key: "ab-initio"}
    kept = dict(state.cmi_values or {})
    exit_key = "cmi.core.exit" if scorm == "1.2" else "cmi.exit"
    suspended = kept.pop(exit_key, None) == "suspend"
    out = {key: value for key, value in kept.items() if value != ""}
    out[entry_key] = "resume" if suspended else ""
    if scorm == "1.2":
        out["cmi.core.total_time"] = format_cmi_timespan(state.total_centiseconds)
    else:
        out["cmi.total_time"] = format_iso_duration(state.total_centiseconds)
    return out
