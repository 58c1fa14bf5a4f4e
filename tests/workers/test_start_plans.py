"""Start plans are remembered for a second: an activation in this process is seen at once, one made elsewhere
within the second."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from wfb_jupyter.executions import UnknownWorkflowError, start_execution, wait_for_result
from wfb_jupyter.storage import activate_version, get_workflow_by_name, session_scope

GREET = """
name: greet
steps:
  - id: hello
    call: echo
    with: {value: "%s"}
output: ${steps.hello.result}
"""


def _workflow_id(engine, project_id: str) -> int:
    with session_scope(engine) as session:
        return get_workflow_by_name(session, project_id, "greet").id


async def _two_versions_served(engine, project_id, build, manager, temporal) -> Any:
    """v1 and v2 stored, v2 active and served, and a start that remembered its plan; returns the client."""
    build(GREET % "one")
    build(GREET % "two")
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    assert (await start_execution(engine, client, project_id, "greet")).version == 2
    return client


async def test_an_activation_in_this_process_is_seen_by_the_next_start(
    engine, project_id, build, manager, temporal
) -> None:
    client = await _two_versions_served(engine, project_id, build, manager, temporal)
    with session_scope(engine) as session:
        activate_version(session, _workflow_id(engine, project_id), 1)
    ref = await start_execution(engine, client, project_id, "greet")
    assert ref.version == 1
    assert await wait_for_result(engine, client, ref, timeout=30) == "one"


async def test_an_activation_by_another_process_is_seen_within_a_second(
    engine, project_id, build, manager, temporal
) -> None:
    client = await _two_versions_served(engine, project_id, build, manager, temporal)
    # Another process flips the flags: this process's activation counter does not move.
    other = create_engine(engine.url)
    with other.begin() as connection:
        connection.execute(
            text("UPDATE workflow_compiled_code SET is_active = 0 WHERE version = 2")
        )
        connection.execute(
            text("UPDATE workflow_compiled_code SET is_active = 1 WHERE version = 1")
        )
    other.dispose()
    await asyncio.sleep(1.1)
    ref = await start_execution(engine, client, project_id, "greet")
    assert ref.version == 1
    assert await wait_for_result(engine, client, ref, timeout=30) == "one"


async def test_a_start_of_an_unknown_workflow_is_refused_after_a_remembered_plan(
    engine, project_id, build, manager, temporal
) -> None:
    """Plans are remembered per workflow and version: another name still gets its own error."""
    build(GREET % "one")
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    await start_execution(engine, client, project_id, "greet")
    with pytest.raises(UnknownWorkflowError, match="no workflow named 'gret'.*'greet'"):
        await start_execution(engine, client, project_id, "gret")
