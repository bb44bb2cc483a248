"""The account (role ``learner``) that a learner's own tokens are issued to.

A learner record made by staff or an import has no account; the first federated sign-in or
token exchange for it creates one: no password, an address under ``.invalid`` (RFC 2606
section 2) that holds no personal data. The link is claimed with one conditional UPDATE, so
two exchanges for the same new learner at once end with one account, not a second one
overwriting the first (which would cut off the tokens already issued to it).
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlmodel import Session, col

from service.accounts.audit import record_audit
from service.accounts.models import Role, User
from service.core.errors import Forbidden
from service.training.models import Learner

ACCOUNT_DOMAIN = "federated.invalid"
ACCOUNT_CREATED = "federation.account_created"


class LearnerAccountUnusable(Forbidden):
    """The learner's account exists but is disabled (or is not a learner's account)."""

    def __init__(self) -> None:
        super().__init__("account-disabled", "This learner's account is disabled.")


class _Actor:
    """Audit actor: the new account itself (the entry is about its creation)."""

    def __init__(self, user_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.role = Role.learner


def learner_account(session: Session, learner: Learner) -> User:
    """The learner's active account, created when the record has none."""
    if learner.user_id is None:
        user = User(
            email=f"learner-{uuid.uuid4().hex}@{ACCOUNT_DOMAIN}",
            role=Role.learner,
            password_hash=None,
        )
        session.add(user)
        session.flush()
        claimed = session.execute(
            update(Learner)
            .where(col(Learner.id) == learner.id, col(Learner.user_id).is_(None))
            .values(user_id=user.id)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            record_audit(
                session,
                actor=_Actor(user.id),
                action=ACCOUNT_CREATED,
                subject_type="learner",
                subject_id=str(learner.id),
            )
        else:  # another request linked an account first: use that one
            session.delete(user)
            session.flush()
        session.refresh(learner)
    account = session.get(User, learner.user_id) if learner.user_id else None
    if account is None or not account.is_active or account.role != Role.learner:
        raise LearnerAccountUnusable()
    return account
