"""Helpers shared by the storage tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from wfb_jupyter.storage import create_storage_engine, upgrade_database


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """An engine on ``url`` with the schema in place, disposed of at the end."""
    engine = create_storage_engine(url)
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()
