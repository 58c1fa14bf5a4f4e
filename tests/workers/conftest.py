"""Fixtures for worker and execution tests: a fresh SQLite database, a project, and a way to store builds;
for the multi-worker tests a fresh PostgreSQL schema and a fleet of ``wfb worker`` processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from fleet_support import Fleet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL schema of its own (dropped after the test), as a URL other processes can
    use; skipped without ``WFB_TEST_DATABASE_URL``."""
    base_url = os.environ.get("WFB_TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(
            "multi-worker tests need PostgreSQL: WFB_TEST_DATABASE_URL is not set "
            "(source .ci/setup-postgres.sh to start a local server and set it)"
        )
    schema = f"wfb_fleet_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        upgrade_database(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_storage_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_project_id(pg_engine: Engine) -> str:
    with session_scope(pg_engine) as session:
        user = get_or_create_user(session, f"user-{uuid.uuid4().hex[:6]}")
        return get_or_create_project(session, user.id, "fleet").id


@pytest.fixture
def fleet(tmp_path, postgres_url: str, temporal_address: str) -> Iterator[Fleet]:
    """Launches ``wfb worker`` processes on the PostgreSQL schema; kills whichever still run at the end."""
    fleet = Fleet(tmp_path, postgres_url, temporal_address)
    try:
        yield fleet
    finally:
        fleet.stop_all()
