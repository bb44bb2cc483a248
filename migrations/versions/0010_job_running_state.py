"""jobs: a running state with a lease, so a crashed worker's job is redelivered promptly

Revision ID: 0010_job_running_state
Revises: 0009_org_status_and_consent
Create Date: 2026-11-30 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_job_running_state"
down_revision: str | None = "0009_org_status_and_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A job a worker held goes back to "sent": the relay hands it over again.
    op.execute("UPDATE outbox_job SET status = 'sent' WHERE status = 'running'")
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("started_at")
