"""Values too large for the Temporal history, stored by key (claim checks): the payloads, their bytes in parts,
and which executions used them (for retention).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payloads",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=300), nullable=False),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_payloads")),
    )
    op.create_index(op.f("ix_payloads_last_used_at"), "payloads", ["last_used_at"])
    op.create_table(
        "payload_chunks",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"],
            ["payloads.key"],
            name=op.f("fk_payload_chunks_key_payloads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "part", name=op.f("pk_payload_chunks")),
    )
    op.create_table(
        "payload_uses",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("temporal_workflow_id", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"],
            ["payloads.key"],
            name=op.f("fk_payload_uses_key_payloads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "temporal_workflow_id", name=op.f("pk_payload_uses")),
    )
    op.create_index(
        op.f("ix_payload_uses_temporal_workflow_id"), "payload_uses", ["temporal_workflow_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payload_uses_temporal_workflow_id"), table_name="payload_uses")
    op.drop_table("payload_uses")
    op.drop_table("payload_chunks")
    op.drop_index(op.f("ix_payloads_last_used_at"), table_name="payloads")
    op.drop_table("payloads")
