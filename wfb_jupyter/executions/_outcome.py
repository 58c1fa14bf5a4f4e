"""How a Temporal run ended, in the words the ``workflow_executions`` table uses, and recording it there."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from wfb_jupyter.conversion import describe_value
from wfb_jupyter.executions._writes import write_close
from wfb_jupyter.storage import ExecutionClose, open_runs_started_before, read_scope, utc_now


@dataclass(frozen=True)
class Outcome:
    """``result`` is the value itself (a DataFrame comes back a DataFrame); its record holds a JSON summary."""

    status: str
    result: Any = None
    error: str | None = None


STATUS_NAMES = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "running",  # the chain goes on in a new run
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}


LOST = Outcome(
    "lost",
    error="the Temporal server no longer knows this execution (its history was deleted, or it ran on "
    "another server); how it ended is unknown",
)

# The runs whose end this process is waiting for (watchers started with them): reconciliation skips them.
watched_runs: dict[tuple[str, str], asyncio.Task[Any]] = {}


def failure_text(error: BaseException) -> str:
    """The chain of causes, outermost first: ``activity 'charge' failed: card declined``."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 6:
        message = str(current).strip() or type(current).__name__
        if not parts or message not in parts[-1]:
            parts.append(message)
        current = current.__cause__
    return ": ".join(parts)


async def await_outcome(
    client: Client, handle: WorkflowHandle[Any, Any], timeout: float | None = None
) -> Outcome:
    """Wait for the run (following continue-as-new) to close, and say how it ended."""
    try:
        result = await asyncio.wait_for(handle.result(follow_runs=True), timeout)
    except WorkflowFailureError as failure:
        description = await handle.describe()
        if description.status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
            # The chain ended in a later run: its status is the chain's.
            latest = client.get_workflow_handle(handle.id)
            description = await latest.describe()
        status = STATUS_NAMES.get(description.status, "failed") if description.status else "failed"
        cause = failure.cause if failure.cause is not None else failure
        return Outcome("failed" if status == "running" else status, error=failure_text(cause))
    return Outcome("completed", result=result)


async def record_outcome(
    engine: Engine,
    workflow_id: str,
    run_id: str,
    outcome: Outcome,
    closed_at: datetime | None = None,
) -> None:
    """Close the run's row; ``closed_at`` is when it ended (default: now, for a run seen ending)."""
    await write_close(
        engine,
        ExecutionClose(
            workflow_id,
            run_id,
            outcome.status,
            result=describe_value(outcome.result),
            error=outcome.error,
            closed_at=closed_at or utc_now(),
        ),
    )


async def close_finished_executions(
    engine: Engine, client: Client, project_id: str, *, min_age: float = 2.0, concurrency: int = 16
) -> int:
    """Bring open execution rows of the project up to date with Temporal; returns how many were closed.

    Run by every project worker, so a run whose starter (a kernel) is gone still gets its final record.
    """

    def open_runs() -> list[tuple[str, str]]:
        with read_scope(engine) as session:
            runs = open_runs_started_before(
                session, project_id, utc_now() - timedelta(seconds=min_age)
            )
        # This process records the end of the runs it watches itself.
        return [run for run in runs if run not in watched_runs]

    runs = await asyncio.to_thread(open_runs)
    gate = asyncio.Semaphore(concurrency)

    async def settle(workflow_id: str, run_id: str) -> bool:
        async with gate:
            handle = client.get_workflow_handle(workflow_id, run_id=run_id)
            try:
                description = await handle.describe()
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                # Its state was deleted, or it ran on a server that is gone: it will never finish here.
                outcome = LOST
                await record_outcome(engine, workflow_id, run_id, outcome)
                return True
            if description.status in (None, WorkflowExecutionStatus.RUNNING):
                return False
            outcome = await await_outcome(client, handle, timeout=30)
            # When it ended, not now: a round comes seconds later, and a scheduled run, whose start is
            # Temporal's too, would otherwise count the wait in its duration.
            await record_outcome(engine, workflow_id, run_id, outcome, description.close_time)
            return True

    settled = await asyncio.gather(*(settle(*run) for run in runs), return_exceptions=True)
    return sum(1 for done in settled if done is True)
