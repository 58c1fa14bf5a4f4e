"""Every statistics test runs on SQLite and, when ``WFB_TEST_DATABASE_URL`` is set, on PostgreSQL too, each in
a fresh database (a temporary file; a uuid-named schema on PostgreSQL), like the storage tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from stats_seeding import Seeder

from wfb_jupyter.storage import (
    create_project,
    create_storage_engine,
    get_or_create_user,
    session_scope,
    upgrade_database,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_storage_engine(f"sqlite:///{tmp_path}/wfb.db")
        upgrade_database(engine)
        yield engine
        engine.dispose()
        return
    base_url = os.environ.get("WFB_TEST_DATABASE_URL")
    if not base_url:
        pytest.skip("PostgreSQL variant not run: WFB_TEST_DATABASE_URL is not set")
    schema = f"wfb_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_storage_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_project(engine: Engine) -> Callable[[str], Seeder]:
    def make(name: str = "etl") -> Seeder:
        with session_scope(engine) as session:
            user = get_or_create_user(session, "alice")
            project = create_project(session, user.id, name)
            return Seeder(engine, project.id)

    return make


@pytest.fixture
def seeder(make_project: Callable[[str], Seeder]) -> Seeder:
    return make_project("etl")
