"""Job handler: ``tallies.reconcile`` (queued by beat, the API or an operator).

The reconcile works in its own transactions (a consistent snapshot, then increments), not in
the runner's session: a redelivered job simply runs another reconcile, which is idempotent.
"""

from __future__ import annotations

from sqlmodel import Session

from service.tallies import reconcile
from service.tallies.tasks import RECONCILE_JOB


def reconcile_job(session: Session, payload: dict) -> None:
    reconcile.run(session.get_bind(), trigger=str(payload.get("trigger", "job")))


HANDLERS = {RECONCILE_JOB: reconcile_job}
