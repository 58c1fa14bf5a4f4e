"""The process-wide engine of each database, migrated to this version's schema on first use."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from wfb_jupyter.storage._engine import create_storage_engine
from wfb_jupyter.storage._migrations import upgrade_database

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str, *, upgrade: bool = True) -> Engine:
    """The process-wide engine for ``url``, migrated to the current schema.

    The first call for a URL creates the SQLite file's directory, configures the connection and applies any
    pending migrations; later calls return the same engine.
    """
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_storage_engine(url)
            if upgrade:
                try:
                    upgrade_database(engine)
                except BaseException:
                    engine.dispose()
                    raise
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, and processes about to fork)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
