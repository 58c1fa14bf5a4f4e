"""Database fixtures: every storage test runs on SQLite and, when ``WFB_TEST_DATABASE_URL`` is set, on
PostgreSQL too, each time in a fresh database (a temporary file; a uuid-named schema on PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from storage_fixtures import migrated_engine

from wfb_jupyter.compiler import CompiledWorkflow
from wfb_jupyter.storage import (
    Project,
    create_project,
    create_user,
    session_scope,
)

POSTGRES_SKIP_REASON = (
    "PostgreSQL variant not run: WFB_TEST_DATABASE_URL is not set "
    "(source .ci/setup-postgres.sh to start a local server and set it)"
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A URL of an empty database of the parametrised backend, removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/wfb.db"
        return
    base_url = os.environ.get("WFB_TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"wfb_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with migrated_engine(database_url) as engine:
        yield engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end of the test (so constraint violations surface)."""
    with session_scope(engine) as session:
        yield session


@pytest.fixture
def project(engine: Engine) -> Project:
    with session_scope(engine) as session:
        user = create_user(session, "Alice")
        return create_project(session, user.id, "ETL jobs")


@pytest.fixture
def compiled() -> Callable[..., CompiledWorkflow]:
    """A factory of compiled builds whose definition (and so checksum) is named by ``definition``."""

    def build(name: str = "orders", version: int = 1, definition: str = "a") -> CompiledWorkflow:
        return CompiledWorkflow(
            name=name,
            version=version,
            workflow_type=f"{name}_v{version}",
            workflow_class=f"{name.title()}V{version}",
            module_name=f"wfb_generated.{name}_v{version}",
            workflow_code=f"# workflow {name} {definition} v{version}\n",
            activities_code="# activities\n",
            worker_code="# worker\n",
            requirements="temporalio>=1.35\n",
            manifest={"name": name, "version": version, "definition": definition},
            checksum=f"sha-{name}-{definition}",
            build_id=f"build-{name}-{definition}-{version}",
            definition_source=f"steps: [{definition}]",
            compiler_version="0.1.0",
        )

    return build
