"""account security: lockout periods, session and API-key generations

Revision ID: 0008_account_security
Revises: 0007_launch_sessions
Create Date: 2026-11-30 17:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0008_account_security"
down_revision: str | None = "0007_launch_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
        )
    # Accounts locked under the old rule (locked until an admin unlocked them, at the default
    # of 10 failures) stay locked for one lock period under the new one.
    user = sa.table(
        "user",
        sa.column("failed_logins", sa.Integer()),
        sa.column("locked_until", sa.DateTime(timezone=True)),
        sa.column("lockouts", sa.Integer()),
    )
    op.execute(
        user.update()
        .where(user.c.failed_logins >= 10)
        .values(locked_until=datetime.now(UTC) + timedelta(minutes=15), lockouts=1)
    )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("token_generation")
        batch_op.drop_column("lockouts")
        batch_op.drop_column("locked_until")
