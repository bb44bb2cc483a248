"""Storing statements (xAPI 1.0.3 Communication §2.1.1-2.1.2, Data §2.3-2.4 / 9274.1.1 §9.3.3.1,
§5.1-5.2) and reading one back.

A request's statements are stored all or nothing: each is validated, the caller's scope checked,
ids assigned, and the LRS's properties set (``stored``, ``authority``, ``version``,
``timestamp``). A statement whose id is already stored is a no-op when it matches (Data §2.3.1
comparison) and a 409 otherwise; concurrent retries meet the unique ``statement_id`` and are
compared the same way, so nothing is ever stored twice. The rows, their agent and activity index
rows and the canonical activity definitions are written with one batched statement per table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.core.errors import BadRequest, Conflict, Forbidden, NotFound
from service.core.timeutil import utcnow
from service.lrs.access import LrsCaller
from service.lrs.attachments import attachment_hashes, check_attachments, save_parts
from service.lrs.cmi5_rules import after_store, check_batch
from service.lrs.identifiers import agent_key
from service.lrs.models import LrsStatement
from service.lrs.multipart import Part
from service.lrs.projection import on_voided, project_statements
from service.lrs.statement_activities import changed_definitions, seen_definitions
from service.lrs.statement_batch import Known, look_up, write
from service.lrs.statement_index import (
    activity_relations,
    agent_relations,
    comparison_hash,
    normalise_statement,
    normalise_uuid,
    object_key,
    voided_target,
)
from service.lrs.stored import StoredStatement
from service.lrs.validation import parse_timestamp, validate_statement

# 1.0.3 statements without a version are 1.0.0 (Data §2.4.10); 2.0 ones are 2.0.0
# (9274.1.1 §5.2.9).
DEFAULT_STATEMENT_VERSION = {"1.0.3": "1.0.0", "2.0.0": "2.0.0"}
# How often a batch is retried after losing a race on a statement id to a concurrent request.
_RACE_RETRIES = 3


@dataclass
class _Pending:
    statement: dict
    row: StoredStatement


def now_ms() -> datetime:
    """``stored`` has millisecond precision (Data §2.4.8, §4.5)."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_instant(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def store_statements(
    session: Session,
    statements: list,
    caller: LrsCaller,
    version: str,
    parts: dict[str, Part] | None = None,
    statement_id: str | None = None,
) -> list[str]:
    """Store a batch (POST) or one statement (PUT, ``statement_id`` given); the ids in order."""
    parts = parts or {}
    for statement in statements:
        validate_statement(statement, version)
        _check_scope(statement, caller)
    if statement_id is not None:
        wanted = normalise_uuid(statement_id)
        if wanted is None:
            raise BadRequest("xapi-statement-id", "statementId is not a UUID.")
        sent = statements[0].get("id")
        if sent is not None and normalise_uuid(sent) != wanted:
            raise BadRequest("xapi-statement-id", "statementId does not match the statement's id.")
        statements[0] = {**statements[0], "id": wanted}
    check_attachments(statements, parts, version)
    statements = [normalise_statement(s) for s in statements]
    # Validation has checked every id is a UUID.
    ids = [str(uuid.UUID(str(s["id"]))) if s.get("id") else str(uuid.uuid4()) for s in statements]
    if len(set(ids)) != len(ids):
        raise BadRequest("xapi-duplicate-id", "The batch holds two statements with the same id.")
    hashes = [comparison_hash(s) for s in statements]
    uploaded = {sha2.lower() for sha2 in parts}
    activity_ids = list(seen_definitions(statements))
    for _attempt in range(_RACE_RETRIES):
        known = look_up(session, ids, activity_ids)
        fresh = _not_yet_stored(ids, hashes, known)
        if not fresh:
            return ids
        check_batch(session, caller, [statements[i] for i in fresh])  # cmi5 session rules
        try:
            with session.begin_nested():
                pending = _insert(
                    session, statements, ids, hashes, fresh, caller, version, uploaded, known
                )
        except IntegrityError:
            continue  # a concurrent request stored one of these ids: compare again
        break
    else:  # pragma: no cover - only under sustained contention on the same ids
        raise Conflict("xapi-statement-conflict", "The statements are being stored concurrently.")
    save_parts(session, parts)
    # Projected before voiding, so a target voided in this same batch is reversed like any
    # other; one voided before it arrived feeds nothing.
    project_statements(session, [p.row for p in pending if not p.row.voided], caller)
    _apply_voiding(session, pending, caller)
    # What the LMS records in turn (cmi5 Satisfied), through this same path.
    for follow in after_store(session, caller, [p.row for p in pending]):
        store_statements(session, follow.statements, follow.caller, follow.version)
    return ids


def _check_scope(statement: dict, caller: LrsCaller) -> None:
    """A learner or launch token writes only its own actor's statements, a launch token only
    for its registration (xAPI Communication §4: the LRS may restrict by credentials)."""
    if caller.actor is not None and agent_key(statement.get("actor") or {}) != agent_key(
        caller.actor
    ):
        raise Forbidden("xapi-scope", "These credentials may only send their own statements.")
    if caller.registration is not None:
        context = statement.get("context") or {}
        if normalise_uuid(context.get("registration")) != str(caller.registration):
            raise Forbidden(
                "xapi-scope", "These credentials may only send statements for their registration."
            )


def _not_yet_stored(ids: list[str], hashes: list[str], known: Known) -> list[int]:
    """Indexes of the statements not stored yet; 409 when a stored one differs."""
    fresh = []
    for index, (sid, digest) in enumerate(zip(ids, hashes, strict=True)):
        stored = known.hashes.get(sid)
        if stored is None:
            fresh.append(index)
        elif stored != digest:
            raise Conflict(
                "xapi-statement-conflict",
                f"A different statement with id {sid} is already stored.",
            )
    return fresh


def _insert(
    session: Session,
    statements: list[dict],
    ids: list[str],
    hashes: list[str],
    fresh: list[int],
    caller: LrsCaller,
    version: str,
    uploaded: set[str],
    known: Known,
) -> list[_Pending]:
    stored = now_ms()
    stored_text = format_instant(stored)
    pending = []
    rows = []
    agents: list[dict] = []
    activities: list[dict] = []
    for index in fresh:
        received = statements[index]
        statement = {k: v for k, v in received.items() if v is not None}
        statement["id"] = ids[index]
        statement["authority"] = caller.authority
        statement["stored"] = stored_text
        statement.setdefault("version", DEFAULT_STATEMENT_VERSION.get(version, version))
        if "timestamp" in statement:
            timestamp = parse_timestamp(statement["timestamp"])
        else:
            timestamp, statement["timestamp"] = stored, stored_text
        kind, key = object_key(statement)
        context = statement.get("context") or {}
        registration = normalise_uuid(context.get("registration"))
        target = voided_target(statement)
        actor = agent_key(statement["actor"]) or ""
        row = {
            "statement_id": uuid.UUID(ids[index]),
            "stored": stored,
            "timestamp": timestamp,
            "verb_id": statement["verb"]["id"],
            "actor_key": actor,
            "object_type": kind,
            "object_key": key,
            "registration": uuid.UUID(registration) if registration else None,
            "voids": target,
            "voided": target is None and _may_void(known.voiders.get(ids[index], []), actor),
            "content": statement,
            "comparison_hash": hashes[index],
            # Only bodies sent with this statement are served with it: a statement naming
            # another's sha2 (with a fileUrl) must not fetch that body.
            "attachment_hashes": [h for h in attachment_hashes(statement) if h in uploaded],
            "stored_by": caller.principal.user_id,
            "enrollment_id": None,
        }
        rows.append(row)
        pending.append(statement)
        sid = row["statement_id"]
        agents += [
            {"statement_id": sid, "agent_key": key, "relation": rel}
            for key, rel in sorted(agent_relations(statement))
        ]
        activities += [
            {"statement_id": sid, "activity_id": aid, "relation": rel}
            for aid, rel in sorted(activity_relations(statement))
        ]
    definitions = changed_definitions(seen_definitions(pending), known.definitions)
    seqs = write(session, rows, agents, activities, definitions, utcnow())
    return [
        _Pending(
            statement,
            StoredStatement(
                seq=seq,
                statement_id=row["statement_id"],
                stored=stored,
                timestamp=row["timestamp"],
                actor_key=row["actor_key"],
                registration=row["registration"],
                voids=row["voids"],
                voided=row["voided"],
                content=statement,
                stored_by=row["stored_by"],
            ),
        )
        for statement, row, seq in zip(pending, rows, seqs, strict=True)
    ]


def _may_void(voiders: list[tuple[str, bool]], actor_key: str) -> bool:
    """A statement may arrive after the statement voiding it, and is voided from the start, but
    only by a voider allowed to void it (unrestricted credentials, or the same actor), so
    nobody can pre-void another person's statement. ``voiders``: (actor key, unrestricted)."""
    return any(unrestricted or actor == actor_key for actor, unrestricted in voiders)


def _apply_voiding(session: Session, pending: list[_Pending], caller: LrsCaller) -> None:
    """Mark each target voided (Data §2.3.2). A voiding statement cannot itself be voided, and a
    target not stored yet is voided when it arrives (:func:`_may_void`)."""
    voiding = {p.row.voids: p.row for p in pending if p.row.voids is not None}
    if not voiding:
        return
    targets = session.exec(
        select(LrsStatement).where(col(LrsStatement.statement_id).in_(list(voiding)))
    ).all()
    hit = []
    for target in targets:
        if target.voids is not None or target.voided:
            continue
        if not visible_to(target, caller):
            raise Forbidden("xapi-scope", "These credentials may not void that statement.")
        hit.append(target)
    if not hit:
        return
    for target in hit:
        target.voided = True
    session.flush()
    for target in hit:
        on_voided(session, target, voiding[target.statement_id])


def visible_to(row: LrsStatement, caller: LrsCaller) -> bool:
    """Whether the caller's scope covers this stored statement."""
    if caller.actor is not None and row.actor_key != agent_key(caller.actor):
        return False
    return caller.registration is None or row.registration == caller.registration


def get_statement(
    session: Session, statement_id: str, caller: LrsCaller, *, voided: bool
) -> LrsStatement:
    """One statement by ``statementId`` (never a voided one) or ``voidedStatementId`` (only a
    voided one), xAPI Communication §2.1.4; 404 otherwise, 403 outside the caller's scope."""
    sid = normalise_uuid(statement_id)
    if sid is None:
        raise BadRequest("xapi-statement-id", "The statement id is not a UUID.")
    row = session.exec(
        select(LrsStatement).where(LrsStatement.statement_id == uuid.UUID(sid))
    ).first()
    if row is None or row.voided != voided:
        raise NotFound("xapi-statement-not-found", "No such statement.")
    if not visible_to(row, caller):
        raise Forbidden("xapi-scope", "These credentials may not read that statement.")
    return row
