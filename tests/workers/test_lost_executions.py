"""An execution the Temporal server no longer knows (its state deleted, or it ran on a server that is gone) is
``lost``: no outcome, no duration, left out of statistics, and still described from its record."""

from __future__ import annotations

import uuid
from datetime import timedelta

from wfb_jupyter.executions import (
    ExecutionFailedError,
    close_finished_executions,
    describe_execution,
    start_execution,
    wait_for_result,
)
from wfb_jupyter.executions._start import ExecutionRef
from wfb_jupyter.statistics import execution_summary
from wfb_jupyter.storage import (
    ExecutionStart,
    find_execution,
    get_project,
    get_workflow_by_name,
    record_execution_starts,
    session_scope,
)
from wfb_jupyter.storage._types import utc_now

HELLO = """
name: hello
steps:
  - {id: greet, call: echo, with: {value: hi}}
output: ${steps.greet.result}
"""


def forgotten_run(
    engine, project_id: str, workflow_id: str, minutes_ago: float = 37
) -> ExecutionRef:
    """A row for a run that Temporal never had (as after its state was deleted)."""
    run_id = str(uuid.uuid4())
    with session_scope(engine) as session:
        workflow = get_workflow_by_name(session, project_id, "hello")
        assert workflow is not None
        started = utc_now() - timedelta(minutes=minutes_ago)
        record_execution_starts(
            session, [ExecutionStart(workflow.id, 1, workflow_id, run_id, started_at=started)]
        )
    return ExecutionRef(project_id, "hello", 1, workflow_id, run_id)


async def test_reconciliation_marks_a_forgotten_run_lost_and_statistics_leave_it_out(
    engine, project_id, build, manager, temporal
) -> None:
    build(HELLO)
    await manager.start_worker_for_project(project_id)
    client = await temporal.get_client()
    done = await start_execution(engine, client, project_id, "hello")
    assert await wait_for_result(engine, client, done) == "hi"
    forgotten_run(engine, project_id, "hello-forgotten")

    assert await close_finished_executions(engine, client, project_id, min_age=0) == 1
    with session_scope(engine) as session:
        record = find_execution(session, "hello-forgotten")
        assert record is not None
        assert (record.status, record.duration_ms, record.closed_at) == ("lost", None, None)
        assert "no longer knows this execution" in (record.error or "")
        project = get_project(session, project_id)
        assert (project.execution_count, project.execution_success_count) == (1, 1)
        summary = execution_summary(session, project_id, ("workflow",))
    assert summary["executions"].tolist() == [1]  # the completed run only
    assert summary["running"].tolist() == [0]
    assert summary["p95_ms"].max() < 30_000  # not 37 minutes of "duration" until someone noticed


async def test_status_and_wait_of_a_forgotten_run_read_its_record(
    engine, project_id, build, temporal
) -> None:
    build(HELLO)
    client = await temporal.get_client()
    ref = forgotten_run(engine, project_id, "hello-gone")
    state = await describe_execution(engine, client, ref)
    assert (state.workflow_id, state.status, state.duration_ms) == ("hello-gone", "lost", None)
    assert state.started_at is not None and state.error
    try:
        await wait_for_result(engine, client, ref)
    except ExecutionFailedError as failure:
        assert failure.status == "lost"
    else:
        raise AssertionError("waiting for a lost run must not pretend it completed")
