"""Per-version isolation (issue 13): a version that cannot load, stored by hand straight into
``workflow_compiled_code``, is reported with its reason while the project's other workflows keep serving;
and a start of a stored version that is not active has the worker load it first (item 16)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from wfb_jupyter.executions import VersionNotServedError, start_execution, wait_for_result
from wfb_jupyter.storage import CompiledCode, activate_version, session_scope, worker_statuses
from wfb_jupyter.workers import serve_for_start

pytestmark = pytest.mark.timeout(120)

ECHO = """
name: %s
input:
  n: {type: integer, default: 0}
steps:
  - id: one
    call: echo
    with: {value: "${input.n}%s"}
output: ${steps.one.result}
"""

BROKEN = {
    "syntax": "def broken(:\n",
    "import": "import no_such_module_anywhere\n",
    "class": "WORKFLOW_TYPE = 'x'\n",
    "nesting": "x = " + "[" * 250 + "]" * 250 + "\n",
}


def store_by_hand(engine, workflow_type: str, code: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(CompiledCode)
            .where(CompiledCode.workflow_type == workflow_type)
            .values(workflow_code=code)
        )


@pytest.mark.parametrize("kind", sorted(BROKEN))
async def test_a_broken_version_is_reported_and_the_good_ones_keep_serving(
    engine, project_id, build, manager, temporal, kind: str
) -> None:
    build(ECHO % ("good", ""))
    build(ECHO % ("bad", ""))
    store_by_hand(engine, "bad.v1", BROKEN[kind])
    status = await manager.start_worker_for_project(project_id)
    assert status.loaded_versions == ["good.v1"]
    assert "cannot load bad v1" in status.failed_versions["bad.v1"]

    client = await temporal.get_client()
    run = await start_execution(engine, client, project_id, "good", {"n": 7})
    assert await wait_for_result(engine, client, run, timeout=30) == 7

    # What `%wfb workers` and the worker panel read: the row says which version and why.
    with session_scope(engine) as session:
        (row,) = worker_statuses(session, project_id)
    assert row.status == "running" and row.loaded_versions == ["good.v1"]
    assert "cannot load bad v1" in row.failed_versions["bad.v1"]
    assert "cannot load bad v1" in row.describe()
    # A start of the broken version is refused with the reason rather than left to hang.
    with pytest.raises(VersionNotServedError, match="cannot load bad v1"):
        await start_execution(engine, client, project_id, "bad")


async def test_a_version_stored_broken_while_the_worker_runs_is_set_aside(
    engine, project_id, build, manager, temporal
) -> None:
    build(ECHO % ("good", ""))
    await manager.start_worker_for_project(project_id)
    build(ECHO % ("other", ""))
    store_by_hand(engine, "other.v1", BROKEN["syntax"])
    await manager.refresh_project(project_id)
    status = manager.status(project_id)
    assert status.loaded_versions == ["good.v1"] and list(status.failed_versions) == ["other.v1"]
    client = await temporal.get_client()
    run = await start_execution(engine, client, project_id, "good", {"n": 3})
    assert await wait_for_result(engine, client, run, timeout=30) == 3


async def test_a_start_of_a_version_that_is_not_active_loads_it_first(
    engine, project_id, build, manager, temporal
) -> None:
    # Item 16: with v2 active, a start of v1 hung ("not registered on this worker") until a restart.
    build(ECHO % ("two", "-v1"))
    build(ECHO % ("two", "-v2"))
    status = await manager.start_worker_for_project(project_id)
    assert status.loaded_versions == ["two.v2"]
    client = await temporal.get_client()

    async def load(workflow_id: int, version: int) -> None:  # what the Runs service hands a start
        await serve_for_start(engine, project_id, workflow_id, version)

    run = await asyncio.wait_for(
        start_execution(engine, client, project_id, "two", {"n": 1}, version=1, load_version=load),
        20,
    )
    assert await wait_for_result(engine, client, run, timeout=30) == "1-v1"
    assert "two.v1" in manager.status(project_id).loaded_versions


async def test_a_start_refuses_a_version_no_worker_of_its_process_can_load(
    engine, project_id, build, manager, temporal, monkeypatch
) -> None:
    build(ECHO % ("two", "-v1"))
    build(ECHO % ("two", "-v2"))
    await manager.start_worker_for_project(project_id)
    # As if the worker ran in another process: nothing here can ask it to load v1 (no load_version).
    from wfb_jupyter.executions import _start

    monkeypatch.setattr(_start, "_VERSION_PICKUP_WAIT", 1.0)
    client = await temporal.get_client()
    with pytest.raises(VersionNotServedError, match="not the active version"):
        await start_execution(engine, client, project_id, "two", version=1)
    with session_scope(engine) as session:
        (workflow_id,) = session.scalars(
            select(CompiledCode.workflow_id).where(CompiledCode.workflow_type == "two.v1")
        )
        activate_version(session, workflow_id, 1)
    await manager.refresh_project(project_id)
    run = await start_execution(engine, client, project_id, "two", version=1)
    assert await wait_for_result(engine, client, run, timeout=30) == "0-v1"
