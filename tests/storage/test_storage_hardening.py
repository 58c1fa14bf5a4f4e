"""Storage faults of issue 13, item 12: a clear error instead of alembic's own, or of an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from wfb_jupyter.storage import (
    DatabaseUnavailableError,
    StorageError,
    create_storage_engine,
    current_revision,
    upgrade_database,
)


def test_two_rows_in_alembic_version_give_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wfb.db'}"
    upgrade_database(url)
    engine = create_storage_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version VALUES ('abc123')"))
        for action in (lambda: current_revision(engine), lambda: upgrade_database(engine)):
            with pytest.raises(StorageError, match="records several schema revisions"):
                action()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(url: str) -> None:
    # The worker's thread opened its own connection and saw an empty database ("no such table").
    with pytest.raises(DatabaseUnavailableError, match="in-memory SQLite database"):
        create_storage_engine(url)
