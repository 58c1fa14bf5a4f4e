"""Steering runs that exist: result, state, signal, query, cancel, terminate."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from wfb_jupyter.executions._errors import (
    ExecutionClosedError,
    ExecutionError,
    ExecutionFailedError,
    ExecutionNotFoundError,
    StillRunningError,
)
from wfb_jupyter.executions._outcome import (
    LOST,
    STATUS_NAMES,
    Outcome,
    await_outcome,
    record_outcome,
)
from wfb_jupyter.executions._start import ExecutionRef, watcher_of
from wfb_jupyter.storage import (
    find_execution,
    get_compiled_code,
    get_workflow_by_name,
    session_scope,
)

_PROGRESS_QUERY = "progress"
_QUERY_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True)
class ExecutionState:
    workflow_id: str
    run_id: str
    status: str
    result: Any = None
    error: str | None = None
    progress: dict[str, Any] | None = None
    pending_activities: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    closed_at: datetime | None = None
    duration_ms: int | None = None
    note: str | None = None  # for the user: why the run may not be moving (no worker serves it)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.status, self.result, self.error)


async def wait_for_result(
    engine: Engine, client: Client, ref: ExecutionRef, timeout: float | None = None
) -> Any:
    """Block (on the runtime loop) until the run closes; its result, or ``ExecutionFailedError``."""
    watcher = watcher_of(ref)
    try:
        outcome = await asyncio.wait_for(asyncio.shield(watcher), timeout) if watcher else None
        if outcome is None:  # no watcher here, or it gave up: ask Temporal directly
            outcome = await await_outcome(client, _handle(client, ref), timeout)
            await record_outcome(engine, ref.workflow_id, ref.run_id, outcome)
    except asyncio.TimeoutError:
        raise StillRunningError(ref.workflow_id, timeout or 0.0) from None
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise translate(error, ref) from error
        outcome = (await _lost_state(engine, ref)).outcome
    if outcome.status != "completed":
        raise ExecutionFailedError(ref.workflow_id, outcome.status, outcome.error)
    return outcome.result


async def describe_execution(
    engine: Engine, client: Client, ref: ExecutionRef, *, progress_when_closed: bool = False
) -> ExecutionState:
    """The run's state; its progress query is asked while it runs (and, with ``progress_when_closed``,
    after it ended too: a worker then replays its history to answer, as for drawing a finished run)."""
    handle = _handle(client, ref)
    try:
        description = await handle.describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise translate(error, ref) from error
        return await _lost_state(engine, ref)
    status = STATUS_NAMES.get(description.status, "running") if description.status else "running"
    outcome = Outcome(status)
    if status != "running":
        outcome = await await_outcome(client, handle, timeout=30)
        await record_outcome(engine, ref.workflow_id, ref.run_id, outcome)
    progress = None
    if status == "running" or (progress_when_closed and status != "lost"):
        try:
            progress = await handle.query(_PROGRESS_QUERY, rpc_timeout=_QUERY_TIMEOUT)
        except (WorkflowQueryFailedError, RPCError):
            progress = None  # no worker to answer right now; the rest of the state still stands
    pending = [
        {
            "activity_id": activity.activity_id,
            "activity_type": activity.activity_type.name,
            "attempt": activity.attempt,
            "state": _enum_name(activity.state),
            "last_failure": activity.last_failure.message or None,
        }
        for activity in description.raw_description.pending_activities
    ]
    closed_at = description.close_time
    started_at = description.start_time
    duration = None
    if closed_at is not None:
        # The duration the record keeps (what executions, statistics and charts show), so that every place
        # shows one number for one run; the server's own span only when there is no record.
        recorded = await asyncio.to_thread(_recorded_duration, engine, ref)
        duration = recorded if recorded is not None else _span_ms(started_at, closed_at)
    return ExecutionState(
        workflow_id=ref.workflow_id,
        run_id=ref.run_id,
        status=outcome.status,
        result=outcome.result,
        error=outcome.error,
        progress=progress,
        pending_activities=pending,
        started_at=started_at,
        closed_at=closed_at,
        duration_ms=duration,
    )


def _recorded_duration(engine: Engine, ref: ExecutionRef) -> int | None:
    with session_scope(engine) as session:
        record = find_execution(session, ref.workflow_id, ref.run_id)
        return record.duration_ms if record is not None else None


def _span_ms(started_at: datetime | None, closed_at: datetime) -> int | None:
    return None if started_at is None else round((closed_at - started_at).total_seconds() * 1000)


async def _lost_state(engine: Engine, ref: ExecutionRef) -> ExecutionState:
    """Temporal does not know the run: mark its record ``lost`` (if it was open) and describe it from there."""

    def read() -> ExecutionState | None:
        with session_scope(engine) as session:
            record = find_execution(session, ref.workflow_id, ref.run_id)
            if record is None:
                return None
            return ExecutionState(
                workflow_id=ref.workflow_id,
                run_id=ref.run_id,
                status=record.status,
                result=record.result,
                error=record.error,
                started_at=record.started_at,
                closed_at=record.closed_at,
                duration_ms=record.duration_ms,
            )

    state = await asyncio.to_thread(read)
    if state is None:
        raise ExecutionNotFoundError(ref.workflow_id, ref.project_id)
    if state.running:
        await record_outcome(engine, ref.workflow_id, ref.run_id, LOST)
        state = await asyncio.to_thread(read)
        assert state is not None
    return state


async def signal_execution(
    engine: Engine, client: Client, ref: ExecutionRef, signal: str, payload: Any = None
) -> None:
    declared = await asyncio.to_thread(declared_names, engine, ref, "signals")
    if declared is not None and signal not in declared:
        raise ExecutionError(unknown_name("signal", signal, ref, declared))
    await require_running(client, ref, f"signal {signal!r} to")
    args = [] if payload is None else [payload]
    try:
        await _handle(client, ref).signal(signal, *args)
    except RPCError as error:
        raise translate(error, ref) from error


async def query_execution(
    engine: Engine, client: Client, ref: ExecutionRef, query: str, *args: Any
) -> Any:
    declared = await asyncio.to_thread(declared_names, engine, ref, "queries")
    if declared is not None and query not in declared:
        raise ExecutionError(unknown_name("query", query, ref, declared))
    try:
        return await _handle(client, ref).query(query, *args, rpc_timeout=_QUERY_TIMEOUT)
    except WorkflowQueryFailedError as error:
        raise ExecutionError(f"query {query!r} of {ref.workflow_id!r} failed: {error}") from error
    except RPCError as error:
        raise translate(error, ref) from error


async def cancel_execution(client: Client, ref: ExecutionRef) -> None:
    await require_running(client, ref, "cancel")
    try:
        await _handle(client, ref).cancel()
    except RPCError as error:
        raise translate(error, ref) from error


async def terminate_execution(
    engine: Engine, client: Client, ref: ExecutionRef, reason: str = ""
) -> None:
    await require_running(client, ref, "terminate")
    try:
        await _handle(client, ref).terminate(reason=reason or "terminated from wfb-jupyter")
    except RPCError as error:
        raise translate(error, ref) from error
    outcome = await await_outcome(client, _handle(client, ref), timeout=30)
    await record_outcome(engine, ref.workflow_id, ref.run_id, outcome)


def _handle(client: Client, ref: ExecutionRef) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id or None)


async def require_running(client: Client, ref: ExecutionRef, action: str) -> None:
    try:
        description = await _handle(client, ref).describe()
    except RPCError as error:
        raise translate(error, ref) from error
    if description.status not in (None, WorkflowExecutionStatus.RUNNING):
        status = STATUS_NAMES.get(description.status, "closed")
        raise ExecutionClosedError(ref.workflow_id, _past(status), action)


def declared_names(engine: Engine, ref: ExecutionRef, key: str) -> list[str] | None:
    """The signal or query names the run's version declares (None when the manifest does not say)."""
    with session_scope(engine) as session:
        workflow = get_workflow_by_name(session, ref.project_id, ref.workflow_name)
        if workflow is None or find_execution(session, ref.workflow_id, ref.run_id) is None:
            return None
        manifest = get_compiled_code(session, workflow.id, ref.version).manifest
    names = manifest.get(key)
    if names is None:
        return None
    return sorted(names) if isinstance(names, (dict, list)) else None


def unknown_name(kind: str, name: str, ref: ExecutionRef, declared: list[str]) -> str:
    listing = ", ".join(repr(n) for n in declared) or "none"
    plural = "queries" if kind == "query" else f"{kind}s"
    return f"{ref.workflow_name} v{ref.version} declares no {kind} {name!r} ({plural}: {listing})"


def translate(error: RPCError, ref: ExecutionRef) -> ExecutionError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return ExecutionNotFoundError(ref.workflow_id, ref.project_id)
    return ExecutionError(f"Temporal refused the request for {ref.workflow_id!r}: {error.message}")


def _past(status: str) -> str:
    return {"timed_out": "timed out"}.get(status, status)


def _enum_name(value: int) -> str:
    from temporalio.api.enums.v1 import PendingActivityState

    return (
        PendingActivityState.Name(cast(Any, value)).removeprefix("PENDING_ACTIVITY_STATE_").lower()
    )
