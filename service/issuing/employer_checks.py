"""Employers' credential checks at hiring scale: many credentials in one request, one row each.

Every item goes through ``service.issuing.verification.Verifier``, the one verification path,
so a row's result and checks are what ``POST /api/v1/verify`` answers for the same input:

- a compact JWT (or a JSON credential) and a baked PNG/SVG image: ``Verifier.verify``;
- a credential id (``urn:uuid:...`` or a bare uuid): ``Verifier.verify_id``;
- a share link (``<public base>/c/<code>``) or its bare code: the shared credential, verified by
  its id as above; an unknown or withdrawn share is ``not_found`` (reason ``unknown_share`` or
  ``share_withdrawn``).

An item with no readable credential is ``unreadable`` (with the verifier's reason), an unknown id
``not_found``, exactly as in ``POST /api/v1/verify/batch``. The run and its rows are stored for
the employer's organization (``employer_models``); the token or image itself is not.

A run may name up to a thousand other issuers, each fetched with its own timeouts, so it has a
time budget (``SKILLS_EMPLOYER_CHECK_SECONDS``): past it, no other issuer's key, Profile or
status list is fetched and such a row is ``inconclusive`` with reason ``time_budget_spent``
(our own credentials still verify from the database). Verification reads through its own
session, which on PostgreSQL runs in autocommit mode, so no transaction stays open across
those fetches; the run is stored afterwards (``store_run``).
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from credentials.report import CHECK_ORDER, VerificationReport
from credentials.verify import KeyUnavailable
from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.core.db import is_postgres
from service.core.errors import NotFound
from service.core.settings import Settings
from service.issuing.employer_models import EmployerCheckRow, EmployerCheckRun
from service.issuing.service import normalise_credential_id
from service.issuing.shares import ShareNotFound, ShareWithdrawn, open_share
from service.issuing.verification import Verifier, is_unreadable

TOKEN = "token"  # noqa: S105 - an input kind, not a secret
CREDENTIAL_ID = "credential_id"
SHARE_LINK = "share_link"
IMAGE = "image"
INPUT_KINDS = (TOKEN, CREDENTIAL_ID, SHARE_LINK, IMAGE)
RESULTS = (
    "valid",
    "revoked",
    "suspended",
    "expired",
    "invalid",
    "inconclusive",
    "unreadable",
    "not_found",
)
# A share code as new_share_code makes it (token_urlsafe(16): 22 characters); a JWT has dots.
_SHARE_CODE = re.compile(r"[A-Za-z0-9_-]{16,64}")
BUDGET_SPENT = "time_budget_spent"
# C0 and C1 control characters (NUL among them, which PostgreSQL refuses in text and jsonb).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class CheckItem:
    """One credential to check. ``problem``: why the input could not even be read (then the
    row is ``unreadable`` with that reason and nothing is verified)."""

    kind: str
    value: str | bytes
    reference: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def share_code_of(settings: Settings, text: str) -> str | None:
    """The code of one of our share links (absolute, under our public base URL) or of a bare
    code; None for anything else (another site's link is not one of our shares)."""
    if text.lower().startswith(("https://", "http://")):
        try:
            parts, base = urlsplit(text), urlsplit(settings.public_base_url)
        except ValueError:
            return None
        if parts.netloc.lower() != base.netloc.lower():
            return None
        prefix = base.path.rstrip("/") + "/c/"
        if not parts.path.startswith(prefix):
            return None
        code = parts.path[len(prefix) :].rstrip("/")
        return code if _SHARE_CODE.fullmatch(code) else None
    return text if _SHARE_CODE.fullmatch(text) else None


def classify(settings: Settings, text: str) -> tuple[str, str]:
    """(input kind, value) of a text item: a credential id (normalised), a share code, else a
    token (which the verifier reads, or reports unreadable)."""
    stripped = text.strip()
    credential_id = normalise_credential_id(stripped)
    if credential_id is not None:
        return CREDENTIAL_ID, credential_id
    code = share_code_of(settings, stripped)
    if code is not None:
        return SHARE_LINK, code
    return TOKEN, stripped


def text_item(
    settings: Settings, text: str, reference: str = "", extra: dict[str, str] | None = None
) -> CheckItem:
    kind, value = classify(settings, text)
    problem = "no_credential" if not value else None
    return CheckItem(kind, value, reference, dict(extra or {}), problem)


# ---- checking ---------------------------------------------------------------------------------


def _not_found(reason: str, credential_id: str | None = None) -> dict[str, Any]:
    return {
        "result": "not_found",
        "reason": reason,
        "checks": [],
        "credential": {"id": credential_id},
    }


def _line(report: VerificationReport) -> dict[str, Any]:
    out = report.to_dict()
    if is_unreadable(report):
        out["result"] = "unreadable"
    return out


def _verify(session: Session, verifier: Verifier, item: CheckItem) -> dict[str, Any]:
    """The verifier's answer for one item, shaped as a line of ``verify_batch``."""
    if item.problem is not None:
        return {"result": "unreadable", "reason": item.problem, "checks": [], "credential": {}}
    if item.kind == CREDENTIAL_ID:
        report = verifier.verify_id(str(item.value))
        return (
            _not_found("unknown_credential_id", str(item.value))
            if report is None
            else _line(report)
        )
    if item.kind == SHARE_LINK:
        try:
            opened = open_share(session, str(item.value))
        except ShareNotFound:
            return _not_found("unknown_share")
        except ShareWithdrawn:
            return _not_found("share_withdrawn")
        report = verifier.verify_id(opened.credential.credential_id)
        if report is None:  # pragma: no cover - a share always names a stored credential
            return _not_found("unknown_credential_id")
        return _line(report)
    return _line(verifier.verify(item.value))


def _row(index: int, item: CheckItem, line: dict[str, Any]) -> dict[str, Any]:
    cred = line.get("credential") or {}
    return {
        "index": index,
        "input_kind": item.kind,
        "reference": _text(item.reference),
        "extra": {_text(k, 200): _text(v, 16_384) for k, v in item.extra.items()},
        "result": line["result"],
        "reason": _text(line.get("reason"), 80),
        "checks": [
            {"name": c["name"], "outcome": c["outcome"], "reason": _text(c["reason"], 1000)}
            for c in line.get("checks") or []
        ],
        "credential_id": plain_text(cred.get("id"), 200) or None,
        "achievement": plain_text(cred.get("achievement_name") or cred.get("name")) or None,
        "issuer": plain_text(cred.get("issuer_name") or cred.get("issuer_id")) or None,
        "issued": plain_text(cred.get("valid_from"), 40) or None,
    }


def plain_text(value: Any, limit: int = 500) -> str | None:
    """Text that comes from anyone (a submitted credential's names, a candidate reference, a
    sheet's cells): control characters become a space, then bounded; None if not text. Stored
    rows and reports never hold a NUL (PostgreSQL would refuse the whole run) or a line break
    that a report reader would take for a new row."""
    if not isinstance(value, str):
        return None
    return _CONTROL.sub(" ", value[: limit * 2]).strip()[:limit]


def _text(value: Any, limit: int = 500) -> str:
    return plain_text(value, limit) or ""


class _BudgetedVerifier(Verifier):
    """The one verifier, with a deadline on other issuers: past ``deadline`` (monotonic
    seconds) each lookup goes to a verifier with foreign fetching off, which still reads our
    own keys and status lists from the database and refuses anything else (the credential is
    then inconclusive, as with ``SKILLS_VERIFY_FETCH_FOREIGN=false``); ``skipped`` records that
    a lookup was refused for the item being verified."""

    def __init__(self, session: Session, settings: Settings, deadline: float):
        super().__init__(session, settings)
        self.deadline = deadline
        self.skipped = False
        if not settings.verify_fetch_foreign:
            return  # nothing foreign is fetched anyway
        offline = Verifier(session, settings.model_copy(update={"verify_fetch_foreign": False}))
        self.key_resolver = self._switch(self.key_resolver, offline.key_resolver)
        self.status_fetcher = self._switch(self.status_fetcher, offline.status_fetcher)
        self.issuer_keys = self._switch(self.issuer_keys, offline.issuer_keys)
        self.fetch_json = self._switch(self.fetch_json, offline.fetch_json)

    def _switch(self, online: Any, offline: Any) -> Any:
        def call(*args: Any) -> Any:
            if time.monotonic() < self.deadline:
                return online(*args)
            try:
                return offline(*args)
            except (KeyUnavailable, PermissionError):  # how "not fetched: foreign" is raised
                self.skipped = True
                raise

        return call


def _reading_engine(session: Session) -> Engine:
    """The engine for verification's reads. On PostgreSQL in autocommit mode: a read there
    opens no transaction, so none stays open while other issuers are fetched. SQLite reads
    outside a transaction already (``service.core.db``), and its own handling must stay."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if is_postgres(engine):
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def check_items(session: Session, settings: Settings, items: list[CheckItem]) -> list[dict]:
    """One row per item, in order. One ``Verifier`` for all, so a key or status list cited
    by many credentials is fetched once. Reads through a session of its own on the same
    database (``_reading_engine``), released after every item; ``session`` is only its bind.
    The caller should not hold a transaction open on ``session`` meanwhile."""
    deadline = time.monotonic() + settings.employer_check_seconds
    rows = []
    with Session(_reading_engine(session), expire_on_commit=False) as reader:
        verifier = _BudgetedVerifier(reader, settings, deadline)
        for index, item in enumerate(items):
            verifier.skipped = False
            line = _verify(reader, verifier, item)
            if verifier.skipped and line["result"] == "inconclusive":
                line = {**line, "reason": BUDGET_SPENT}
            rows.append(_row(index, item, line))
            reader.expire_all()  # keep the identity map small
            reader.commit()  # nothing was written: this gives the connection back to the pool
    return rows


# ---- runs -------------------------------------------------------------------------------------


def run_checks(
    session: Session,
    settings: Settings,
    principal: Principal,
    organization_id: uuid.UUID,
    items: list[CheckItem],
    *,
    source: str,
    file_name: str = "",
) -> tuple[EmployerCheckRun, list[EmployerCheckRow]]:
    """Check ``items`` and store the run for ``organization_id`` (the caller commits)."""
    return store_run(
        session,
        principal,
        organization_id,
        check_items(session, settings, items),
        source=source,
        file_name=file_name,
    )


def store_run(
    session: Session,
    principal: Principal,
    organization_id: uuid.UUID,
    rows: list[dict[str, Any]],
    *,
    source: str,
    file_name: str = "",
) -> tuple[EmployerCheckRun, list[EmployerCheckRow]]:
    """Store checked ``rows`` (``check_items``) as a run for ``organization_id`` (the caller
    commits)."""
    counts = Counter(r["result"] for r in rows)
    run = EmployerCheckRun(
        organization_id=organization_id,
        created_by=principal.user_id,
        source=source,
        file_name=_text(file_name, 200),
        total=len(rows),
        counts={result: counts.get(result, 0) for result in RESULTS},
    )
    session.add(run)
    session.flush()
    stored = [
        EmployerCheckRow(
            run_id=run.id,
            position=r["index"],
            input_kind=r["input_kind"],
            reference=r["reference"],
            extra=r["extra"],
            result=r["result"],
            reason=r["reason"],
            checks=r["checks"],
            credential_id=r["credential_id"],
            achievement=r["achievement"],
            issuer=r["issuer"],
            issued=r["issued"],
        )
        for r in rows
    ]
    session.add_all(stored)
    record_audit(
        session,
        actor=principal,
        action="employer.check",
        subject_type="employer_check_run",
        subject_id=str(run.id),
        detail=f"items={len(rows)}",
    )
    session.flush()
    return run, stored


def list_runs(session: Session, organization_id: uuid.UUID, limit: int, offset: int):
    query = select(EmployerCheckRun).where(EmployerCheckRun.organization_id == organization_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    runs = session.exec(
        query.order_by(EmployerCheckRun.created_at.desc(), EmployerCheckRun.id)  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    ).all()
    return list(runs), int(total)


def get_run(
    session: Session, organization_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[EmployerCheckRun, list[EmployerCheckRow]]:
    """Another organization's run is "not found" (its existence is not told)."""
    run = session.get(EmployerCheckRun, run_id)
    if run is None or run.organization_id != organization_id:
        raise NotFound("not-found", "Check run was not found.")
    rows = session.exec(
        select(EmployerCheckRow)
        .where(EmployerCheckRow.run_id == run.id)
        .order_by(EmployerCheckRow.position)  # type: ignore[arg-type]
    ).all()
    return run, list(rows)


def row_out(row: EmployerCheckRow) -> dict[str, Any]:
    return {
        "index": row.position,
        "input_kind": row.input_kind,
        "reference": row.reference,
        "extra": row.extra,
        "result": row.result,
        "reason": row.reason,
        "checks": row.checks,
        "credential_id": row.credential_id,
        "achievement": row.achievement,
        "issuer": row.issuer,
        "issued": row.issued,
    }


def run_out(run: EmployerCheckRun) -> dict[str, Any]:
    return {
        "id": str(run.id),
        "source": run.source,
        "file_name": run.file_name,
        "total": run.total,
        "counts": run.counts,
        "created_at": run.created_at,
        "created_by": str(run.created_by),
        "report_csv": f"/api/v1/employer/checks/{run.id}/report.csv",
        "report_xlsx": f"/api/v1/employer/checks/{run.id}/report.xlsx",
    }


# ---- the report -------------------------------------------------------------------------------

REPORT_COLUMNS = (
    "index",
    "input_kind",
    "reference",
    "result",
    "reason",
    *CHECK_ORDER,
    "credential_id",
    "achievement",
    "issuer",
    "issued",
)


def extra_columns(rows: list[EmployerCheckRow]) -> list[str]:
    """The uploaded sheet's further columns, in their order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        for name in row.extra:
            seen.setdefault(name, None)
    return list(seen)


def report_rows(rows: list[EmployerCheckRow]):
    """Header, then one line per row (the writer neutralises formula-like text)."""
    extras = extra_columns(rows)
    yield [*REPORT_COLUMNS, *extras]
    for row in rows:
        outcomes: dict[str, str] = {}
        for check in row.checks:
            outcomes.setdefault(check["name"], check["outcome"])
        yield [
            row.position,
            row.input_kind,
            row.reference,
            row.result,
            row.reason,
            *(outcomes.get(name, "") for name in CHECK_ORDER),
            row.credential_id or "",
            row.achievement or "",
            row.issuer or "",
            row.issued or "",
            *(str(row.extra.get(name, "")) for name in extras),
        ]
