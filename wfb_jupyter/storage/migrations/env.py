"""Alembic environment: always driven from ``wfb_jupyter.storage.upgrade_database`` with a live connection."""

from __future__ import annotations

from alembic import context

from wfb_jupyter.storage.orm import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `wfb db upgrade` or wfb_jupyter.storage.upgrade_database(), "
        "which pass the connection to use"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot alter most constraints in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
