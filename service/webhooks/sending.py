"""One attempt at a delivery: claim, sign, post, record; then schedule the next or give up.

The handler of ``fanout.SEND_JOB``. Exactly one success per delivery, even when a worker dies:

1. **Claim.** Under the delivery's row lock the attempt row is written and the delivery marked
   ``sending``, and that is *committed before the request leaves*. The outbox job's lease keeps
   every other worker off the job meanwhile; ``SKILLS_WEBHOOK_TIMEOUT_SECONDS`` (at most 30 s)
   bounds the whole attempt (name lookup, connects, the answer), well inside the shortest
   lease (60 s), so a live attempt always ends inside it. The owner's right to the event is
   checked again (``fanout.still_visible``): none left, the delivery fails ``not-visible``.
2. **Send.** Signed per Standard Webhooks ("Signature scheme"): ``webhook-id`` is the message
   id, the same for every attempt and redelivery, so a receiver that got a request whose answer
   was lost drops the copy; redirects are refused, not followed; the target is checked again
   (DNS can change since it was saved).
3. **Record.** Under the row lock again; a delivery that already succeeded keeps its one
   success. A worker killed between 1 and 3 leaves the delivery ``sending``: the relay re-runs
   the job after its lease, the next run closes the open attempt as ``interrupted`` and sends
   again with the same ``webhook-id`` (unless that was the schedule's last attempt: then the
   delivery fails ``interrupted``). Whatever goes wrong inside ``post`` is the attempt's
   outcome (``internal-error`` at worst), never the job's, so no delivery stays ``sending``.

A failed attempt (no 2xx, a timeout, a refused target) schedules the next by a new outbox job
at ``available_at`` (``SKILLS_WEBHOOK_RETRY_SCHEDULE``); the job runner's own retries are for
crashes, not for receivers saying no. When the schedule runs out the delivery fails, and
``SKILLS_WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES`` failed deliveries in a row (no success in
between) disable the endpoint, with an audit event and a warning in the log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import update
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from service.accounts.audit import record_audit
from service.core.db import is_postgres
from service.core.observability.logging import scrub
from service.core.settings import Settings, get_settings
from service.core.timeutil import as_utc, utcnow
from service.webhooks.endpoints import current_secrets, lock_endpoint
from service.webhooks.fanout import queue_send, still_visible
from service.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from service.webhooks.targets import TargetRefused, check_target

log = logging.getLogger("skills.webhooks")
EXCERPT_BYTES = 500
USER_AGENT = "lifelong-skills-webhooks/1"
FINISHED = (DeliveryStatus.succeeded, DeliveryStatus.failed)


@dataclass
class Outcome:
    succeeded: bool
    status_code: int | None = None
    duration_ms: int | None = None
    excerpt: str | None = None
    error: str | None = None  # a class of failure: timeout, connect-error, http-status, ...


def _locked(session: Session, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def body_of(message: WebhookMessage) -> str:
    """The request body (Standard Webhooks "Payload structure"): type, timestamp, data."""
    occurred = as_utc(message.occurred_at).isoformat().replace("+00:00", "Z")
    document = {"type": message.event_type, "timestamp": occurred, "data": message.data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def signed_headers(message_id: str, body: str, secrets: list[str], at: datetime) -> dict:
    signatures = " ".join(Webhook(s).sign(message_id, at, body) for s in secrets)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def post(settings: Settings, url: str, body: str, headers: dict) -> Outcome:
    """One request, within ``SKILLS_WEBHOOK_TIMEOUT_SECONDS`` in all (name lookup, connect,
    TLS, sending, the answer), tried at each checked address in turn while connecting fails.
    Never raises: whatever goes wrong is this attempt's outcome, so a claimed delivery is
    always recorded."""
    started = time.monotonic()
    deadline = started + settings.webhook_timeout_seconds
    headers = {**headers, "accept-encoding": "identity"}  # the excerpt is stored as text
    try:
        try:
            addresses = check_target(settings, url, deadline)
        except TargetRefused:
            return Outcome(False, duration_ms=_ms(started), error="target-not-allowed")
        except TimeoutError:
            return Outcome(False, duration_ms=_ms(started), error="timeout")
        if addresses is None:  # a trusted host (tests, development): connected to by name
            return _exchange(url, body, headers, {}, started, deadline)
        outcome = Outcome(False, error="connect-error")
        for address in addresses:  # connect to an address checked, not to a second DNS answer
            request_url, host_header, sni = _pinned(url, address)
            outcome = _exchange(
                request_url,
                body,
                {**headers, "host": host_header},
                {"sni_hostname": sni},  # TLS still names and verifies the host itself
                started,
                deadline,
            )
            if outcome.error != "connect-error":
                break
        return outcome
    except Exception as exc:  # noqa: BLE001 - the attempt's failure, never the job's
        # the class only: a message may carry the URL, whose path or query can hold a secret
        log.warning("webhook attempt broke in the sender", extra={"error_type": type(exc).__name__})
        return Outcome(False, duration_ms=_ms(started), error="internal-error")


class _Overdue(Exception):
    """The attempt's total time ran out while the answer was still coming."""


def _exchange(
    url: str, body: str, headers: dict, extensions: dict, started: float, deadline: float
) -> Outcome:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Outcome(False, duration_ms=_ms(started), error="timeout")
    # httpx's timeouts bound each phase and each read, not the whole: a receiver dripping a
    # byte at a time would hold the worker for ever. The deadline is checked as the answer is
    # read, and a timer closes the client at the deadline for a request stuck before that.
    client = httpx.Client(timeout=httpx.Timeout(remaining), follow_redirects=False, trust_env=False)
    timer = threading.Timer(remaining, client.close)
    timer.daemon = True
    timer.start()
    try:
        with (
            client,
            client.stream(
                "POST", url, content=body.encode(), headers=headers, extensions=extensions
            ) as response,
        ):
            excerpt = b""
            for chunk in response.iter_bytes():  # decoded, whatever the receiver sent
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
                if time.monotonic() >= deadline:
                    raise _Overdue
    except (httpx.TimeoutException, _Overdue):
        return Outcome(False, duration_ms=_ms(started), error="timeout")
    except Exception as exc:
        if time.monotonic() >= deadline:  # the timer closed the client under the request
            return Outcome(False, duration_ms=_ms(started), error="timeout")
        if isinstance(exc, httpx.HTTPError):  # any other failure to get an answer
            return Outcome(False, duration_ms=_ms(started), error=_transport_error(exc))
        raise
    finally:
        timer.cancel()
    code = response.status_code
    text = _printable(excerpt[:EXCERPT_BYTES].decode("utf-8", "replace"))
    if 200 <= code < 300:
        return Outcome(True, code, _ms(started), text)
    error = "redirect-refused" if 300 <= code < 400 else "http-status"
    return Outcome(False, code, _ms(started), text, error)


def _printable(text: str) -> str | None:
    """The excerpt as it may be stored and shown: scrubbed, without NUL or other control
    characters (PostgreSQL refuses NUL in text), line breaks and tabs kept."""
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return scrub(kept)[:EXCERPT_BYTES] or None


def _pinned(url: str, address: str) -> tuple[str, str, str]:
    """(the URL with ``address`` for its host, the Host header, the TLS server name); the
    name IDNA-encoded (RFC 5891) for both, as they travel in ASCII."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    port = f":{parts.port}" if parts.port else ""
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, literal + port, parts.path, parts.query, ""))
    return pinned, (f"[{host}]" if ":" in host else host) + port, host


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connect-error"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol-error"
    return "transport-error"


def send(session: Session, payload: dict) -> None:
    """The job handler: one attempt at ``payload["delivery_id"]``."""
    settings = get_settings()
    delivery_id = uuid.UUID(payload["delivery_id"])
    claimed = _claim(session, settings, delivery_id)
    if claimed is None:
        return
    attempt_id, url, body, headers = claimed
    session.commit()  # the claim is visible before the request leaves (see the module's 1.)
    outcome = post(settings, url, body, headers)
    _record(session, settings, delivery_id, attempt_id, outcome)


def _locked_pair(
    session: Session, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery | None, WebhookEndpoint | None]:
    """The delivery and its endpoint under row locks, the endpoint's first: the order deleting
    an endpoint takes them in (``endpoints.remove``), so the two never wait on each other."""
    found = session.get(WebhookDelivery, delivery_id)
    if found is None:
        return None, None
    endpoint = lock_endpoint(session, found.endpoint_id)
    return _locked(session, delivery_id), endpoint


def _finish_failed(session: Session, delivery: WebhookDelivery, error: str) -> None:
    delivery.status = DeliveryStatus.failed
    delivery.failed_at = utcnow()
    delivery.last_error = error
    delivery.next_attempt_at = None
    session.add(delivery)


def _claim(session: Session, settings: Settings, delivery_id: uuid.UUID):
    delivery, endpoint = _locked_pair(session, delivery_id)
    if delivery is None or delivery.status in FINISHED:
        return None  # deleted with its endpoint, or done: never sent twice
    message = session.get(WebhookMessage, delivery.message_id)
    now = utcnow()
    if endpoint is None or message is None or not endpoint.active:
        _finish_failed(session, delivery, "endpoint-disabled")
        return None
    if delivery.status == DeliveryStatus.sending:  # its worker died mid-request
        close_open_attempts(session, delivery, now)
        if delivery.attempts > len(settings.webhook_retry_schedule):
            # the last attempt of the schedule was the one interrupted: no more sends
            _finish_failed(session, delivery, "interrupted")
            _count_failed_delivery(session, settings, endpoint, now)
            return None
    if not still_visible(session, endpoint, message.data or {}):
        # the owner, its organization or (an employer's) the share is gone since the fan-out
        _finish_failed(session, delivery, "not-visible")
        return None
    delivery.attempts += 1
    delivery.status = DeliveryStatus.sending
    delivery.next_attempt_at = None
    attempt = WebhookAttempt(delivery_id=delivery.id, number=delivery.attempts, started_at=now)
    session.add_all([delivery, attempt])
    session.flush()
    body = body_of(message)
    headers = signed_headers(message.id, body, current_secrets(settings, endpoint), now)
    return attempt.id, endpoint.url, body, headers


def close_open_attempts(session: Session, delivery: WebhookDelivery, now: datetime) -> None:
    """Attempts left open by a worker that died (or a send job that gave up) end
    ``interrupted``."""
    for open_attempt in session.exec(
        select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == delivery.id, col(WebhookAttempt.finished_at).is_(None)
        )
    ).all():
        open_attempt.finished_at = now
        open_attempt.error = "interrupted"
        session.add(open_attempt)


def _record(
    session: Session,
    settings: Settings,
    delivery_id: uuid.UUID,
    attempt_id: uuid.UUID,
    outcome: Outcome,
) -> None:
    delivery, endpoint = _locked_pair(session, delivery_id)
    attempt = session.get(WebhookAttempt, attempt_id)
    if delivery is None or attempt is None or endpoint is None:  # deleted meanwhile
        return
    now = utcnow()
    attempt.finished_at = now
    attempt.status_code = outcome.status_code
    attempt.duration_ms = outcome.duration_ms
    attempt.response_excerpt = outcome.excerpt
    attempt.error = outcome.error
    session.add(attempt)
    if delivery.status in FINISHED or delivery.attempts != attempt.number:
        # another run took the delivery over (a lease that ran out under a live worker): the
        # answer is kept on the attempt, the delivery's state is that run's
        if outcome.succeeded:
            attempt.error = "superseded"
        return
    if outcome.succeeded:
        attempt.succeeded = True
        delivery.status = DeliveryStatus.succeeded
        delivery.succeeded_at = now
        delivery.last_error = None
        session.add(delivery)
        session.execute(
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint.id)
            .values(failed_deliveries_in_a_row=0)
        )
        return
    delivery.last_error = outcome.error
    log.info(
        "webhook attempt failed",
        extra={
            "delivery_id": str(delivery.id),
            "attempt": attempt.number,
            "error": outcome.error,
            "status_code": outcome.status_code,
        },
    )
    schedule = settings.webhook_retry_schedule
    if delivery.attempts <= len(schedule):
        delivery.status = DeliveryStatus.pending
        queue_send(session, delivery, now + timedelta(seconds=schedule[delivery.attempts - 1]))
        session.add(delivery)
        return
    delivery.status = DeliveryStatus.failed
    delivery.failed_at = now
    session.add(delivery)
    _count_failed_delivery(session, settings, endpoint, now)


def _count_failed_delivery(
    session: Session, settings: Settings, endpoint: WebhookEndpoint, now: datetime
) -> None:
    """One more failed delivery in a row, counted in the database (``n = n + 1`` under the
    endpoint's row lock): concurrent final attempts each count."""
    session.flush()
    session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint.id)
        .values(failed_deliveries_in_a_row=col(WebhookEndpoint.failed_deliveries_in_a_row) + 1)
    )
    session.refresh(endpoint)
    limit = settings.webhook_disable_after_failed_deliveries
    if not endpoint.active or endpoint.failed_deliveries_in_a_row < limit:
        return
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"Disabled after {endpoint.failed_deliveries_in_a_row} deliveries in a row failed "
        "for their whole retry schedule; fix the receiver, then PATCH active=true."
    )
    session.add(endpoint)
    record_audit(
        session,
        actor=None,
        action="webhook.endpoint.disabled",
        subject_type="webhook_endpoint",
        subject_id=str(endpoint.id),
        detail=f"failed_deliveries={endpoint.failed_deliveries_in_a_row}",
    )
    log.warning(
        "webhook endpoint disabled: its deliveries keep failing",
        extra={"endpoint_id": str(endpoint.id), "failed": endpoint.failed_deliveries_in_a_row},
    )
