"""inactive organizations and learner consent: enrolment proofs, audited group changes

Revision ID: 0009_org_status_and_consent
Revises: 0008_account_security
Create Date: 2026-11-30 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_org_status_and_consent"
down_revision: str | None = "0008_account_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # organization.is_active exists since 0001; only the consent records are new.
    with op.batch_alter_table("learner") as batch:
        batch.add_column(sa.Column("registered_by_organization_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_learner_registered_by_organization",
            "organization",
            ["registered_by_organization_id"],
            ["id"],
        )
    with op.batch_alter_table("enrollment") as batch:
        batch.add_column(
            sa.Column("consent_proof", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollment") as batch:
        batch.drop_column("consent_proof")
    with op.batch_alter_table("learner") as batch:
        batch.drop_constraint("fk_learner_registered_by_organization", type_="foreignkey")
        batch.drop_column("registered_by_organization_id")
