"""The learner a personal (``/me``) request is about, with the platform's use of
``X-Learner-Id`` audited and committed at once.

Routers own the transaction. A read never commits, so the audit row of its acting use is
committed here, before the route does anything else; a write (``reading=False``) carries the
row in its own transaction, which saves a round trip on the hot enrolment path.
"""

from __future__ import annotations

from sqlmodel import Session

from service.accounts.access import Principal
from service.accounts.models import Role
from service.core.settings import Settings, get_settings
from service.training.access import acting_learner
from service.training.models import Learner


def personal_learner(
    session: Session,
    principal: Principal,
    learner_header: str | None,
    settings: Settings | None = None,
    *,
    reading: bool = True,
) -> Learner:
    settings = settings or get_settings()
    learner = acting_learner(
        session, principal, learner_header, header_allowed=settings.platform_acts_by_header
    )
    if reading and principal.role == Role.platform:
        session.commit()
    return learner
