"""``GET /xAPI/statements`` without an id: the filters, their StatementRef rule, and the pages
(xAPI 1.0.3 Communication §2.1.3, Data §2.5 / 9274.1.1 §9.3.3.1, §5.3).

Each filter is an index lookup: ``verb`` and ``registration`` are statement columns, ``agent``
and ``activity`` semi-joins on the side tables; every query orders by ``(stored, seq)`` and reads
``limit + 1`` rows, so the first page is an index scan however many statements there are.
Statements that target a matching statement by StatementRef match too, recursively up to
:data:`REF_HOPS` deep (§2.1.3 "Filter Conditions for StatementRefs"); time and limit apply to the
targeting statement itself.
Voided statements are never listed (§2.1.4), though they still count as targets.

The next page (``more``) is an opaque token: the query and the last position, encrypted with a
key derived from the master key, bound to the caller, so agent filters (which name people)
never appear in a URL.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Select, and_, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Session

from service.core.errors import BadRequest
from service.core.timeutil import as_utc
from service.lrs.access import LrsCaller
from service.lrs.identifiers import agent_key
from service.lrs.models import LrsStatement, LrsStatementActivity, LrsStatementAgent
from service.lrs.statement_format import FORMATS
from service.lrs.validation import is_iri, parse_agent_param, parse_registration, parse_timestamp

PAGE_MAX = 200
# How deep the StatementRef rule follows a chain (a targets b targets c ...): far beyond what
# clients build (a confirmation of a comment on a result), and bounded so a query stays cheap.
REF_HOPS = 5
MORE_TTL_SECONDS = 24 * 3600
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId"})
SHAPE_PARAMS = frozenset({"format", "attachments"})
FILTER_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "ascending",
    }
)
KNOWN_PARAMS = SINGLE_PARAMS | SHAPE_PARAMS | FILTER_PARAMS | {"more"}
CODE = "xapi-query"

_S = LrsStatement.metadata.tables["lrs_statement"]
_AGENT = LrsStatementAgent.metadata.tables["lrs_statement_agent"]
_ACTIVITY = LrsStatementActivity.metadata.tables["lrs_statement_activity"]


@dataclass
class StatementQuery:
    agent: str | None = None  # the agent key, never the agent's JSON
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = PAGE_MAX
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    after: list = field(default_factory=list)  # [stored ISO, seq] of the last row returned

    @property
    def filtered(self) -> bool:
        return any((self.agent, self.verb, self.activity, self.registration))


@dataclass
class SingleRequest:
    statement_id: str
    voided: bool
    format: str
    attachments: bool


def _bool(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise BadRequest(CODE, f"{name} must be true or false.")
    return raw == "true"


def _format(params: Mapping[str, str]) -> str:
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise BadRequest(CODE, "format must be ids, exact or canonical.")
    return fmt


def parse_params(params: Mapping[str, str]) -> StatementQuery | SingleRequest | str:
    """The request: one statement, a query, or a ``more`` token (returned as the string)."""
    unknown = set(params) - KNOWN_PARAMS
    if unknown:
        raise BadRequest(CODE, f"Unknown parameter: {sorted(unknown)[0][:40]}.")
    if "more" in params:
        if len(params) > 1:
            raise BadRequest(CODE, "more takes no other parameter.")
        return params["more"]
    single = SINGLE_PARAMS & set(params)
    if single:
        if len(single) > 1 or set(params) - single - SHAPE_PARAMS:
            raise BadRequest(
                CODE, "statementId or voidedStatementId go only with format and attachments."
            )
        (name,) = single
        return SingleRequest(
            params[name], name == "voidedStatementId", _format(params), _bool(params, "attachments")
        )
    q = StatementQuery(format=_format(params), attachments=_bool(params, "attachments"))
    if "agent" in params:
        key = agent_key(parse_agent_param(params["agent"], "agent"))
        if key is None:
            raise BadRequest(CODE, "agent must be an Agent or identified Group.")
        q.agent = key
    for name in ("verb", "activity"):
        if name in params:
            if not is_iri(params[name]):
                raise BadRequest(CODE, f"{name} must be an IRI.")
            setattr(q, name, params[name])
    if "registration" in params:
        q.registration = str(parse_registration(params["registration"]))
    for name in ("since", "until"):
        if name in params:
            setattr(q, name, parse_timestamp(params[name]).isoformat())
    q.related_activities = _bool(params, "related_activities")
    q.related_agents = _bool(params, "related_agents")
    q.ascending = _bool(params, "ascending")
    if "limit" in params:
        raw = params["limit"]
        if not raw.isdigit():
            raise BadRequest(CODE, "limit must be a non-negative integer.")
        q.limit = min(int(raw), PAGE_MAX) or PAGE_MAX
    return q


# ---- the more token -----------------------------------------------------------------------------


def encode_more(q: StatementQuery, caller: LrsCaller, key: bytes) -> str:
    payload = {"q": asdict(q), "u": str(caller.principal.user_id), "t": int(time.time())}
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(payload).encode(), b"lrs-statements-more")
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decode_more(token: str, caller: LrsCaller, key: bytes) -> StatementQuery:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = AESGCM(key).decrypt(raw[:12], raw[12:], b"lrs-statements-more")
        payload = json.loads(data)
        q = StatementQuery(**payload["q"])
    except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError):
        raise BadRequest(CODE, "The more link is not valid.") from None
    if payload.get("u") != str(caller.principal.user_id):
        raise BadRequest(CODE, "The more link belongs to other credentials.")
    if time.time() - payload.get("t", 0) > MORE_TTL_SECONDS:
        raise BadRequest(CODE, "The more link has expired; query again.")
    return q


# ---- the SQL ------------------------------------------------------------------------------------


def _statement_id_of(session: Session, text_expr: Any) -> Any:
    """The text id in ``object_key`` as the ``statement_id`` column stores it (a uuid on
    PostgreSQL, 32 hex digits on SQLite), so the join uses the unique index."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.nullif(text_expr, ""), PG_UUID(as_uuid=True))
    return func.replace(text_expr, "-", "")


def _filters(t: Any, q: StatementQuery) -> list:
    """The non-time filters on statement table ``t``."""
    conds: list = []
    if q.verb:
        conds.append(t.c.verb_id == q.verb)
    if q.registration:
        conds.append(t.c.registration == uuid.UUID(q.registration))
    if q.agent:
        relations = ["actor", "object"] + (["related"] if q.related_agents else [])
        conds.append(
            exists().where(
                _AGENT.c.seq == t.c.seq,
                _AGENT.c.agent_key == q.agent,
                _AGENT.c.relation.in_(relations),
            )
        )
    if q.activity:
        relations = ["object"] + (["related"] if q.related_activities else [])
        conds.append(
            exists().where(
                _ACTIVITY.c.seq == t.c.seq,
                _ACTIVITY.c.activity_id == q.activity,
                _ACTIVITY.c.relation.in_(relations),
            )
        )
    return conds


def _window(t: Any, q: StatementQuery, caller: LrsCaller) -> list:
    """What applies to the returned statement itself: not voided, time, position, scope."""
    conds: list = [t.c.voided == literal(False)]
    if q.since:
        conds.append(t.c.stored > datetime.fromisoformat(q.since))
    if q.until:
        conds.append(t.c.stored <= datetime.fromisoformat(q.until))
    if q.after:
        position = (datetime.fromisoformat(q.after[0]), int(q.after[1]))
        row = tuple_(t.c.stored, t.c.seq)
        conds.append(row > position if q.ascending else row < position)
    if caller.actor is not None:
        conds.append(t.c.actor_key == (agent_key(caller.actor) or ""))
    if caller.registration is not None:
        conds.append(t.c.registration == caller.registration)
    return conds


def _page(t: Any, q: StatementQuery, *conds: Any) -> Select:
    order = (t.c.stored, t.c.seq) if q.ascending else (t.c.stored.desc(), t.c.seq.desc())
    return (
        select(t.c.seq, t.c.stored, t.c.content, t.c.attachment_hashes)
        .where(*conds)
        .order_by(*order)
        .limit(q.limit + 1)
    )


def _reaches_match(session: Session, t: Any, q: StatementQuery, hops: int) -> Any:
    """``t``'s StatementRef target matches the filters, or (``hops`` deep) targets one that
    does. A unique-index lookup per hop; the target may be voided."""
    target = _S.alias(f"ref_target_{hops}")
    matches = and_(*_filters(target, q))
    if hops > 1:
        deeper = and_(
            target.c.object_type == "StatementRef", _reaches_match(session, target, q, hops - 1)
        )
        matches = or_(matches, deeper)
    return exists().where(
        target.c.statement_id == _statement_id_of(session, t.c.object_key), matches
    )


def _targeting(session: Session, q: StatementQuery, caller: LrsCaller) -> Select:
    """Statements in the window whose StatementRef chain reaches a statement matching the
    filters: read in query order through ``ix_lrs_statement_refs``, so this stops after a page
    too. Chains are followed :data:`REF_HOPS` statements deep."""
    return _page(
        _S,
        q,
        _S.c.object_type == "StatementRef",
        _reaches_match(session, _S, q, REF_HOPS),
        *_window(_S, q, caller),
    )


@dataclass
class Page:
    statements: list[dict]
    attachment_hashes: list[str]
    more: StatementQuery | None


def run_query(session: Session, q: StatementQuery, caller: LrsCaller) -> Page:
    direct = _page(_S, q, *_window(_S, q, caller), *_filters(_S, q))
    rows = list(session.execute(direct).all())
    if q.filtered:
        seen = {r.seq for r in rows}
        rows += [
            r for r in session.execute(_targeting(session, q, caller)).all() if r.seq not in seen
        ]
        rows.sort(key=lambda r: (as_utc(r.stored), r.seq), reverse=not q.ascending)
    page = rows[: q.limit]
    more = None
    if len(rows) > q.limit:
        last = page[-1]
        more = StatementQuery(**{**asdict(q), "after": [as_utc(last.stored).isoformat(), last.seq]})
    hashes = sorted({h for r in page for h in (r.attachment_hashes or [])})
    return Page([r.content for r in page], hashes, more)
