from __future__ import annotations

import asyncio

import pytest

from wfb_jupyter.executions import (
    ExecutionFailedError,
    InvalidInputError,
    NoWorkerError,
    start_execution,
    wait_for_result,
)
from wfb_jupyter.storage import list_activity_attempts, list_executions, list_workers, session_scope

GREETING = """
name: greet
input:
  who: {type: string, default: world}
steps:
  - id: shout
    call: echo
    with: {value: "${input.who}"}
output: ${steps.shout.result}
"""


async def test_start_run_record_stop(engine, project_id, build, manager, temporal) -> None:
    build(GREETING)
    status = await manager.start_worker_for_project(project_id)
    assert status.status == "running"
    assert status.loaded_versions == ["greet.v1"]
    again = await manager.start_worker_for_project(project_id)
    assert again.worker_id == status.worker_id  # reused, not a second worker

    client = await temporal.get_client()
    ref = await start_execution(engine, client, project_id, "greet", {"who": "notebook"})
    assert ref.version == 1
    assert await wait_for_result(engine, client, ref, timeout=30) == "notebook"

    await manager.stop_worker_for_project(project_id)
    with session_scope(engine) as session:
        (execution,) = list_executions(session, project_id=project_id)
        attempts = list_activity_attempts(session, ref.workflow_id)
        (worker,) = list_workers(session, project_id)
    assert execution.status == "completed"
    assert execution.duration_ms is not None
    assert [(a.step_id, a.component, a.status) for a in attempts] == [
        ("shout", "echo", "completed")
    ]
    assert worker.status == "stopped"


async def test_refuses_without_worker_and_bad_input(engine, project_id, build, temporal) -> None:
    build(GREETING)
    client = await temporal.get_client()
    with pytest.raises(NoWorkerError, match="no worker serves project"):
        await start_execution(engine, client, project_id, "greet", {})
    with pytest.raises(InvalidInputError, match="unknown input field 'nobody'"):
        await start_execution(engine, client, project_id, "greet", {"nobody": 1})
    _ = ExecutionFailedError
    await asyncio.sleep(0)


async def test_unknown_workflow_version_and_project_are_named(
    engine, project_id, build, temporal
) -> None:
    from wfb_jupyter.executions import UnknownWorkflowError
    from wfb_jupyter.storage import NotFoundError

    build(GREETING)
    client = await temporal.get_client()
    with pytest.raises(
        UnknownWorkflowError, match=r"no workflow named 'gret' .*\(workflows: 'greet'\)"
    ):
        await start_execution(engine, client, project_id, "gret")
    with pytest.raises(
        UnknownWorkflowError, match=r"'greet' has no version 7 .*stored versions: 1"
    ):
        await start_execution(engine, client, project_id, "greet", version=7)
    with pytest.raises(NotFoundError, match="nowhere"):
        await start_execution(engine, client, "nowhere", "greet")
