"""Publishing domain events for webhooks, in the transaction of the change they report.

``publish`` records an outbox job (``EVENT_JOB``) beside the change: it commits with the change
or not at all, so an event is never lost and never reported for a rolled-back change. The
webhooks domain handles the job (fan-out to its endpoints); this module lives in the jobs layer
so that every domain may call it without importing webhooks.

To keep hot paths (enrolment, completion) cheap, ``publish`` first asks whether any active
endpoint subscribes to the event type: one indexed query, registered by the webhooks domain
through the composition root (``service.wiring``), answered from the database each time (no
cross-process cache, so a subscription counts from its commit on). Without that registration
every event is recorded, which is safe: the fan-out then finds nobody to send to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from service.core.timeutil import utcnow
from service.jobs.outbox import enqueue

EVENT_JOB = "webhooks.event"

SubscriberCheck = Callable[[Session, str], bool]
_subscribers: list[SubscriberCheck] = []


def on_subscriber_check(check: SubscriberCheck) -> None:
    """``check(session, event_type)``: whether anyone may receive the event (one per process)."""
    _subscribers[:] = [check]


def publish(
    session: Session,
    event_type: str,
    data: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
) -> None:
    """Record ``event_type`` with ``data`` (ids and states only: never ID numbers, phones or
    names) for delivery after commit. ``organization_id``: whose event it is (who may see it);
    when None the webhooks domain works it out from ``data`` where it can."""
    if _subscribers and not _subscribers[0](session, event_type):
        return
    enqueue(
        session,
        EVENT_JOB,
        {
            "event_id": uuid.uuid4().hex,
            "type": event_type,
            "data": data,
            "organization_id": str(organization_id) if organization_id else None,
            "occurred_at": utcnow().isoformat(),
        },
    )
