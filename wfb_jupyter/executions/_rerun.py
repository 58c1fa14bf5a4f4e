"""Re-running a run from a step, on Temporal's ResetWorkflowExecution.

The reset point is found from the run's history by step id (see ``_history``), never asked of the user as an
event id. The new run keeps the workflow id and the workflow type, so it runs the code of the original's
version; the steps whose work all came before the point keep their results and are not run again. It is
recorded like any run, with ``rerun_of`` (the original's row) and ``from_step``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from wfb_jupyter import errors
from wfb_jupyter.executions._errors import ExecutionError, ExecutionNotFoundError
from wfb_jupyter.executions._history import RunHistory, read_history
from wfb_jupyter.executions._start import ExecutionRef, VersionLoader, watch_run
from wfb_jupyter.storage import (
    ExecutionStart,
    find_execution,
    get_compiled_code,
    read_scope,
    record_rerun,
    run_write,
)


class RerunStepError(ExecutionError, errors.InputError):
    """The step to re-run from is not one the run can start from again."""

    def __init__(self, reason: str, choices: Sequence[str]) -> None:
        self.choices = list(choices)
        listing = ", ".join(self.choices) or "none (no step of it has run)"
        super().__init__(f"{reason}; steps it can re-run from: {listing}")


class RerunRunningError(ExecutionError, errors.StateError):
    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(
            f"execution {workflow_id!r} is still running: re-run it once it has ended, or re-run it now "
            "with force (its current run is then terminated)"
        )


@dataclass(frozen=True)
class Rerun:
    """A re-run that started: the new run, the step it started from, and what it keeps."""

    ref: ExecutionRef
    original_run_id: str
    step: str
    kept_steps: tuple[str, ...]  # ran before the reset point: not run again
    repeated_steps: tuple[str, ...]  # ran at or after it in the original: run again (with ``step``)
    terminated_original: bool = False


@dataclass(frozen=True)
class _Original:
    row_id: int
    workflow_db_id: int
    input: Any
    schedule_id: str | None
    steps: list[str]
    parents: dict[str, str]


def _original(engine: Engine, ref: ExecutionRef) -> _Original:
    with read_scope(engine) as session:
        row = find_execution(session, ref.workflow_id, ref.run_id)
        if row is None:
            raise ExecutionNotFoundError(ref.workflow_id, ref.project_id)
        manifest = get_compiled_code(session, row.workflow_id, row.version).manifest
        return _Original(
            row.id,
            row.workflow_id,
            row.input,
            row.schedule_id,
            list(manifest.get("steps", [])),
            dict(manifest.get("step_parents", {})),
        )


async def run_history(client: Client, ref: ExecutionRef) -> tuple[RunHistory, bool]:
    """The run's steps as its history shows them, and whether it is still running."""
    handle = client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
    try:
        description = await handle.describe()
        events = [event async for event in handle.fetch_history_events()]
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise ExecutionNotFoundError(ref.workflow_id, ref.project_id) from None
        raise
    summaries = await _timer_summaries(client, events)
    running = description.status == WorkflowExecutionStatus.RUNNING
    return read_history(events, ref.workflow_id, summaries), running


async def _timer_summaries(client: Client, events: list[HistoryEvent]) -> dict[int, str]:
    timers = [
        event
        for event in events
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        and event.HasField("user_metadata")
        and event.user_metadata.HasField("summary")
    ]
    if not timers:
        return {}
    decoded = await client.data_converter.decode(
        [event.user_metadata.summary for event in timers], [str] * len(timers)
    )
    return {event.event_id: str(text) for event, text in zip(timers, decoded, strict=True)}


async def rerun_execution(
    engine: Engine,
    client: Client,
    ref: ExecutionRef,
    from_step: str | None = None,
    *,
    force: bool = False,
    reason: str = "",
    watch: bool = True,
    load_version: VersionLoader | None = None,
) -> Rerun:
    """Reset ``ref``'s run to just before ``from_step`` (default: the step that failed) and record the run
    that follows. A run that is still running is refused unless ``force`` (its current run then ends
    ``terminated``)."""
    original = await asyncio.to_thread(_original, engine, ref)
    history, running = await run_history(client, ref)
    if running and not force:
        raise RerunRunningError(ref.workflow_id)
    choices = history.choices(original.steps, original.parents)
    step = from_step or history.failed_step
    if step is None:
        raise RerunStepError(
            f"no step of {ref.workflow_id!r} failed, so there is no failed step to re-run from; "
            "choose the step to start from",
            choices,
        )
    span = history.span(step, original.parents)
    if span is None:
        why = (
            f"step {step!r} has not run in {ref.workflow_id!r}"
            if step in original.steps
            else f"{ref.workflow_name!r} v{ref.version} has no step {step!r}"
        )
        raise RerunStepError(why, choices)
    kept, repeated = history.kept_and_repeated(span.reset_event_id)
    if load_version is not None:  # the version may not be active any more: have a worker serve it
        await load_version(original.workflow_db_id, ref.version)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=ref.workflow_id, run_id=ref.run_id),
            reason=reason or f"wfb: re-run from step {step}",
            workflow_task_finish_event_id=span.reset_event_id,
            request_id=str(uuid.uuid4()),
        )
    )
    new = ExecutionRef(
        ref.project_id, ref.workflow_name, ref.version, ref.workflow_id, response.run_id
    )
    start = ExecutionStart(
        original.workflow_db_id,
        ref.version,
        ref.workflow_id,
        response.run_id,
        input=original.input,
        schedule_id=original.schedule_id,
        rerun_of=original.row_id,
        from_step=step,
    )
    await asyncio.to_thread(run_write, engine, lambda session: record_rerun(session, start))
    if watch:
        watch_run(engine, client, new)
    return Rerun(new, ref.run_id, step, tuple(kept), tuple(repeated), terminated_original=running)
