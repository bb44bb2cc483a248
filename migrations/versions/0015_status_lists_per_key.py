"""status lists per key: each status list belongs to the signing key whose credentials it
holds (``cred_status_list.kid``) and is signed by that key, so a verifier checking a list with
the credential's key succeeds (Bitstring Status List v1.0 §2.2; VC-JOSE-COSE §3.1).

Existing lists keep their id (and so their URL). Each is given the key that signed the newest
credential pointing at it, unless that key is compromised; a list with no such credential goes
to the issuer's newest active key. A list left without a key (none fits) stays NULL and is
signed by the issuer's active key, as before. New indexes are drawn only from lists of the
signing key, so lists of a retired key receive no new credentials.

Revision ID: 0015_status_lists_per_key
Revises: 0014_cmi5_lms
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_status_lists_per_key"
down_revision: str | None = "0014_cmi5_lms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cred_status_list", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kid", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_cred_status_list_kid"), ["kid"], unique=False)

    bind = op.get_bind()
    lists = bind.execute(sa.text("SELECT id, issuer_id FROM cred_status_list")).all()
    for list_id, issuer_id in lists:
        kid = bind.execute(
            sa.text(
                "SELECT c.kid FROM cred_credential c JOIN cred_signing_key k ON k.kid = c.kid "
                "WHERE (c.revocation_list_id = :lid OR c.suspension_list_id = :lid) "
                "AND k.status <> 'compromised' ORDER BY c.issued_at DESC LIMIT 1"
            ),
            {"lid": list_id},
        ).scalar()
        if kid is None:
            kid = bind.execute(
                sa.text(
                    "SELECT kid FROM cred_signing_key WHERE issuer_id = :iss "
                    "AND status = 'active' ORDER BY created_at DESC LIMIT 1"
                ),
                {"iss": issuer_id},
            ).scalar()
        if kid is not None:
            bind.execute(
                sa.text("UPDATE cred_status_list SET kid = :kid WHERE id = :lid"),
                {"kid": kid, "lid": list_id},
            )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ drops columns in place): a batch copy of the table would
    # trip the foreign keys of cred_credential and cred_status_allocation that point at it.
    op.drop_index("ix_cred_status_list_kid", table_name="cred_status_list")
    op.drop_column("cred_status_list", "kid")
