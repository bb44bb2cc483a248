"""Attendance rows: classroom or online sessions into the hours ledger, set-based.

A batch costs a fixed handful of queries whatever its size: the offerings named, the people's
enrollments in them (found by ID number fingerprint, within the import's organization), then one
:func:`service.training.ledger.record_entries` call, which applies the ledger's rules (daily cap,
overlaps, offering dates, online share) and makes every write idempotent by (source, external
id). The external id is ``<organization id>:<key>``, the key being the row's ``row_key`` cell
or else a digest of what the row says (never the ID number itself), so re-importing a sheet,
also with its dates written another way, answers ``duplicate``.

A person not registered and a person not enrolled in the offering get one answer
(``not-enrolled``): an attendance sheet is no way to learn whether a number is registered.
Dates and times are the city's wall-clock time (Asia/Shanghai).
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ARRAY, any_, bindparam
from sqlmodel import Session, select

from service.accounts.access import Principal
from service.core.db import is_postgres, planned_for_its_values
from service.core.errors import DomainError
from service.core.timeutil import CITY_TZ
from service.imports.rows import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    Record,
    RowOutcome,
    RowRefused,
    optional,
    refusal,
    required,
    valid_id_number,
)
from service.training.hours_rules import HoursSource
from service.training.learners import cipher
from service.training.ledger import EntryIn, EntryResult, record_entries
from service.training.models import Enrollment, Learner, Offering

ROW_KEY_MAX = 160  # the external id (at most 200) is "<uuid>:" plus the key
ONLINE_WORDS = frozenset({"online", "线上", "网络", "在线"})
OFFLINE_WORDS = frozenset({"classroom", "offline", "面授", "线下"})

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})")
_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_MIDNIGHT = re.compile(r"[T ]0{1,2}:00(:00(\.0+)?)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Parsed:
    row: int
    fingerprint: str
    offering_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    online: bool
    key: str


def parse_date(text: str) -> date:
    """``YYYY-MM-DD``, ``YYYY/MM/DD`` (also ``2026/3/1``), ``YYYYMMDD``, ``2026年3月1日``; a
    spreadsheet datetime at midnight is read as its date."""
    value = unicodedata.normalize("NFKC", text).strip()
    head, sep, rest = value.partition("T") if "T" in value else value.partition(" ")
    if sep and _MIDNIGHT.fullmatch(sep + rest):
        value = head
    match = _DATE.fullmatch(value) or _CN_DATE.fullmatch(value)
    if match is None:
        raise RowRefused("invalid-date", "The date is not a date such as 2026-03-01.")
    year, month, day = (int(g) for g in match.groups() if g is not None)
    try:
        return date(year, month, day)
    except ValueError:
        raise RowRefused("invalid-date", "The date is not a calendar date.") from None


def parse_time(text: str, name: str) -> timedelta:
    """``HH:MM`` or ``HH:MM:SS`` as the time since midnight; ``24:00`` is the end of the day."""
    match = _TIME.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        raise RowRefused("invalid-time", f"The {name} time is not a time such as 08:30.")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if (hour > 23 and (hour, minute, second) != (24, 0, 0)) or minute > 59 or second > 59:
        raise RowRefused("invalid-time", f"The {name} time is not a time of day.")
    return timedelta(hours=hour, minutes=minute, seconds=second)


def parse_mode(text: str) -> bool:
    """Online or not: classroom/面授/线下 are offline; online/线上/网络 are online."""
    word = unicodedata.normalize("NFKC", text).strip().casefold()
    if word in ONLINE_WORDS:
        return True
    if word in OFFLINE_WORDS:
        return False
    raise RowRefused("invalid-mode", "The mode is neither classroom (面授) nor online (线上).")


def _at(day: date, since_midnight: timedelta) -> datetime:
    return datetime.combine(day, time(0), CITY_TZ) + since_midnight


def _row_key(cells: dict[str, str]) -> str | None:
    key = optional(cells, "row_key")
    if key is None:
        return None
    if len(key) > ROW_KEY_MAX or _CONTROL.search(key):
        raise RowRefused(
            "invalid-row-key",
            f"The row key must be at most {ROW_KEY_MAX} characters, without control characters.",
        )
    return key


class _Reader:
    """Reads the rows of one import. A sheet names the same people, offerings, dates and times
    over and over, so each distinct cell text is checked (and a number fingerprinted) once; the
    memory is kept from batch to batch of the import (:func:`_reader_for`), up to a bound."""

    def __init__(self, import_id: uuid.UUID, now: datetime) -> None:
        self.import_id = import_id
        self.pii = cipher()
        self.now = now
        self._memo: dict[tuple[str, str], object] = {}

    def _once(self, what: str, text: str, parse):
        key = (what, text)
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = parse(text)
            except (DomainError, RowRefused) as exc:
                hit = exc
            self._memo[key] = hit
        if isinstance(hit, Exception):
            raise hit.with_traceback(None)
        return hit

    def _fingerprint(self, text: str) -> str:
        return self.pii.fingerprint(valid_id_number(text))

    def parse(self, row: int, cells: dict[str, str]) -> _Parsed:
        fingerprint = self._once("id", required(cells, "id_number"), self._fingerprint)
        offering_id = self._once("offering", required(cells, "offering_id"), _offering_id)
        day = self._once("date", required(cells, "date"), parse_date)
        start = self._once("start", required(cells, "start"), _start_time)
        end = self._once("end", required(cells, "end"), _end_time)
        online = self._once("mode", required(cells, "mode"), parse_mode)
        started_at, ended_at = _at(day, start), _at(day, end)
        if ended_at > self.now:  # attendance is of sessions held: a future date is a typo
            raise RowRefused("session-in-future", "The session ends in the future.")
        key = _row_key(cells) or _digest(fingerprint, offering_id, started_at, ended_at, online)
        return _Parsed(row, fingerprint, offering_id, started_at, ended_at, online, key)


MEMO_ENTRIES = 20_000  # distinct cell texts remembered from batch to batch (a few MB)
_readers = threading.local()  # a worker thread runs one import at a time


def _reader_for(import_id: uuid.UUID, now: datetime) -> _Reader:
    """The import's reader, kept by the thread between its batches: what a cell says does not
    depend on the database, so a dry run keeps it too. Started afresh past the bound."""
    reader = getattr(_readers, "reader", None)
    if reader is None or reader.import_id != import_id or len(reader._memo) > MEMO_ENTRIES:
        reader = _readers.reader = _Reader(import_id, now)
    reader.now = now
    return reader


def forget_reader() -> None:
    """Drop this thread's reader: its memory holds ID numbers, so it goes when the import
    stops (finished, refused or failed)."""
    _readers.reader = None


def _offering_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise RowRefused("invalid-offering-id", "offering_id is not a valid id.") from None


def _start_time(text: str) -> timedelta:
    start = parse_time(text, "start")
    if start >= timedelta(days=1):
        raise RowRefused("invalid-time", "A session cannot start at 24:00.")
    return start


def _end_time(text: str) -> timedelta:
    return parse_time(text, "end")


def _digest(fingerprint, offering_id, started_at, ended_at, online) -> str:
    """What the row says, as normalised values (a date written 2026/3/1 or 2026-03-01 is the
    same row); the fingerprint rather than the number, so the key reveals nothing."""
    text = "|".join(
        (
            fingerprint,
            str(offering_id),
            started_at.isoformat(),
            ended_at.isoformat(),
            "online" if online else "offline",
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _among(session: Session, column, values):
    """``IN``; on PostgreSQL ``= ANY(:array)``, one parameter whatever the batch's size."""
    values = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _offering_orgs(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = session.exec(
        select(Offering.id, Offering.organization_id).where(_among(session, Offering.id, ids))
    ).all()
    return dict(rows)


def _enrollments(session: Session, parsed: list[_Parsed], organization_id: uuid.UUID) -> dict:
    """``(fingerprint, offering id) -> enrollment id`` for the batch's people, in one query
    limited to the organization's offerings."""
    rows = session.exec(
        select(Learner.id_fingerprint, Enrollment.offering_id, Enrollment.id)
        .join(Enrollment, Enrollment.learner_id == Learner.id)
        .join(Offering, Offering.id == Enrollment.offering_id)
        .where(
            _among(session, Learner.id_fingerprint, {p.fingerprint for p in parsed}),
            _among(session, Enrollment.offering_id, {p.offering_id for p in parsed}),
            Offering.organization_id == organization_id,
        )
    ).all()
    return {(fp, offering_id): enrollment_id for fp, offering_id, enrollment_id in rows}


def _ledger_outcome(row: int, result: EntryResult, first_ids: dict[str, str]) -> RowOutcome:
    entry_id = str(result.entry_id) if result.entry_id else first_ids.get(result.external_id)
    if result.status == ACCEPTED:
        return RowOutcome(row, ACCEPTED, entity_id=entry_id)
    if result.status == DUPLICATE:
        return RowOutcome(
            row,
            DUPLICATE,
            "already-recorded",
            "This session is already recorded; nothing was changed.",
            entry_id,
        )
    reason = result.reasons[0] if result.reasons else {"code": "rejected", "message": ""}
    return RowOutcome(row, REJECTED, reason["code"], reason["message"] or "The ledger refused it.")


def apply_attendance(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    records: list[Record],
    *,
    import_id: uuid.UUID,
    now: datetime,
) -> list[RowOutcome]:
    """Rows that cannot be read or matched are rejected first; the rest go to the ledger in
    one call, limited to the organization's enrollments."""
    reader = _reader_for(import_id, now)
    answers: dict[int, RowOutcome] = {}
    parsed: list[tuple[int, _Parsed]] = []
    for index, (row, cells) in enumerate(records):
        try:
            parsed.append((index, reader.parse(row, cells)))
        except (DomainError, RowRefused) as exc:
            answers[index] = refusal(row, exc)

    owners: dict[uuid.UUID, uuid.UUID] = {}
    enrolled: dict = {}
    if parsed:
        with planned_for_its_values(session):  # hundreds of fingerprints: see the ledger
            owners = _offering_orgs(session, {p.offering_id for _, p in parsed})
            enrolled = _enrollments(session, [p for _, p in parsed], organization_id)
    entries: list[tuple[int, _Parsed, EntryIn]] = []
    for index, p in parsed:
        owner = owners.get(p.offering_id)
        if owner is None:
            answers[index] = RowOutcome(
                p.row, REJECTED, "unknown-offering", "The offering does not exist."
            )
        elif owner != organization_id:
            answers[index] = RowOutcome(
                p.row,
                REJECTED,
                "offering-not-yours",
                "The offering belongs to another organization.",
            )
        elif (enrollment_id := enrolled.get((p.fingerprint, p.offering_id))) is None:
            answers[index] = RowOutcome(
                p.row, REJECTED, "not-enrolled", "The person is not enrolled in this offering."
            )
        else:
            entry = EntryIn(
                enrollment_id=enrollment_id,
                source=HoursSource.IMPORT,
                external_id=f"{organization_id}:{p.key}",
                started_at=p.started_at.astimezone(UTC),  # as the ledger stores them
                ended_at=p.ended_at.astimezone(UTC),
                online=p.online,
            )
            entries.append((index, p, entry))

    if entries:
        results = record_entries(
            session,
            [e for _, _, e in entries],
            recorded_by=principal.user_id,
            organization_id=organization_id,
            now=now,
        )
        first_ids = {r.external_id: str(r.entry_id) for r in results if r.entry_id is not None}
        for (index, p, _), result in zip(entries, results, strict=True):
            answers[index] = _ledger_outcome(p.row, result, first_ids)
    return [answers[i] for i in range(len(records))]
