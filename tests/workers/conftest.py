"""Fixtures for worker and execution tests: a fresh SQLite database, a project, and a way to store builds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import Engine

from wfb_jupyter.builds import compile_and_store
from wfb_jupyter.executions import close_finished_executions
from wfb_jupyter.storage import (
    create_storage_engine,
    get_or_create_project,
    get_or_create_user,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
from wfb_jupyter.workers import ProjectWorkerManager

Build = Callable[..., int]


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'wfb.db'}"
    upgrade_database(url)
    engine = create_storage_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def project_id(engine: Engine) -> str:
    with session_scope(engine) as session:
        user = get_or_create_user(session, f"user-{uuid.uuid4().hex[:6]}")
        return get_or_create_project(session, user.id, "tests").id


@pytest.fixture
def build(engine: Engine, project_id: str) -> Build:
    def store(
        source: str, *, name: str | None = None, activate: bool = True, project: str | None = None
    ) -> int:
        with session_scope(engine) as session:
            built = compile_and_store(
                session, project or project_id, source, name=name, activate=activate
            )
            return built.stored.version

    return store


@pytest.fixture
def temporal(temporal_address: str) -> TemporalConnection:
    return TemporalConnection(TemporalSettings(temporal_address, "default"))


@pytest.fixture
async def manager(
    engine: Engine, temporal: TemporalConnection
) -> AsyncIterator[ProjectWorkerManager]:
    manager = ProjectWorkerManager(
        engine,
        connection=temporal,
        heartbeat_interval=0.5,
        version_check_interval=0.3,
        reconcile_interval=0.5,
        reconciler=close_finished_executions,
    )
    yield manager
    await manager.stop_all()
