"""A fake notebook: cells are compiled under a linecache-registered file name and run in a namespace whose
``__name__`` is ``__main__``, as IPython does, so ``inspect.getsource`` works and objects defined in a cell
belong to no importable module."""

from __future__ import annotations

import linecache
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from wfb_jupyter.components import forget_components
from wfb_jupyter.storage import (
    Project,
    create_project,
    create_storage_engine,
    create_user,
    session_scope,
    upgrade_database,
)


class Notebook:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self._files: list[str] = []

    def run(self, cell: str) -> dict[str, Any]:
        source = textwrap.dedent(cell)
        filename = f"<ipython-input-{uuid.uuid4().hex[:8]}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        self._files.append(filename)
        exec(compile(source, filename, "exec"), self.namespace)
        return self.namespace

    def close(self) -> None:
        for filename in self._files:
            linecache.cache.pop(filename, None)


@pytest.fixture
def notebook() -> Iterator[Notebook]:
    book = Notebook()
    try:
        yield book
    finally:
        book.close()
        forget_components()


@pytest.fixture
def engine(tmp_path: object) -> Iterator[Engine]:
    engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def project(engine: Engine) -> Project:
    with session_scope(engine) as session:
        return create_project(session, create_user(session, "Alice").id, "etl")
