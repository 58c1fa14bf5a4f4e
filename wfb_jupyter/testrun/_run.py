"""One test run on a fresh time-skipping server: start, send the scripted messages at their simulated times,
wait for the end (timers, sleeps and signal timeouts pass at once), then read the path from the run's own
progress query and the activity journal."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from wfb_jupyter.executions import failure_text
from wfb_jupyter.testrun._mocks import Journal, PinnedChildWorkflow, pinned_activities
from wfb_jupyter.testrun._plan import ScheduledMessage, TestPlan
from wfb_jupyter.testrun._report import TestReport, build_report
from wfb_jupyter.testrun._server import start_test_server
from wfb_jupyter.testrun._subject import TestSubject

# The test worker's only difference from a project worker: this package's own stand-in workflow is shared
# with the sandbox rather than re-imported into it.
_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("wfb_jupyter")
)


@dataclass
class _Outcome:
    status: str = "running"
    result: Any = None
    error: str | None = None
    messages: list[tuple[str, str]] = field(default_factory=list)  # (what, how it went)
    simulated: float = 0.0
    progress: dict[str, Any] = field(default_factory=dict)


async def run_test(
    subject: TestSubject,
    inputs: dict[str, Any],
    plan: TestPlan,
    *,
    data_converter: DataConverter | None = None,
) -> TestReport:
    """Run ``subject`` once with ``inputs`` under ``plan``; the report says how it went, whatever happened."""
    journal = Journal()
    started = time.monotonic()
    outcome = _Outcome()
    env = await start_test_server(data_converter)
    try:
        task_queue = f"wfb-test-{uuid.uuid4().hex[:12]}"
        workflow_id = f"test-{subject.compiled.name}-{uuid.uuid4().hex[:8]}"
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[subject.workflow_class, *subject.children, PinnedChildWorkflow],
            activities=pinned_activities(subject.activities, plan, journal, workflow_id),
            workflow_runner=_RUNNER,
            graceful_shutdown_timeout=timedelta(seconds=1),
        ):
            handle = await env.client.start_workflow(
                subject.compiled.workflow_type,
                inputs,
                id=workflow_id,
                task_queue=task_queue,
            )
            try:
                await asyncio.wait_for(_drive(env, handle, plan, outcome), plan.timeout)
            except TimeoutError:
                outcome.status = "timed out"
                outcome.error = (
                    f"the test did not finish in {plan.timeout:g} s of wall time (a component that "
                    "does not return? mock it, or give --timeout)"
                )
                await handle.terminate("test run out of time")
            outcome.progress = await _progress(handle)
            outcome.simulated = await _simulated_seconds(handle)
    finally:
        await env.shutdown()
    return build_report(
        subject.manifest,
        status=outcome.status,
        result=outcome.result,
        error=outcome.error,
        progress=outcome.progress,
        journal=journal.runs(),
        messages=outcome.messages,
        simulated_seconds=outcome.simulated,
        wall_seconds=time.monotonic() - started,
        definition_source=subject.compiled.definition_source,
    )


async def _drive(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], plan: TestPlan, outcome: _Outcome
) -> None:
    elapsed = 0.0
    for message in sorted(plan.messages, key=lambda message: message.at):
        if message.at > elapsed:
            await env.sleep(timedelta(seconds=message.at - elapsed))
            elapsed = message.at
        outcome.messages.append((message.describe(), await _send(handle, message)))
    try:
        outcome.result = await handle.result()
        outcome.status = "completed"
    except WorkflowFailureError as failure:
        outcome.status = "failed"
        outcome.error = failure_text(failure.cause if failure.cause is not None else failure)


async def _send(handle: WorkflowHandle[Any, Any], message: ScheduledMessage) -> str:
    description = await handle.describe()
    if description.status != WorkflowExecutionStatus.RUNNING:
        return "not sent: the run had already ended"
    args = [] if message.payload is None else [message.payload]
    if message.kind == "signal":
        await handle.signal(message.name, *args)
        return "sent"
    try:
        answer = await handle.execute_update(message.name, *args)
    except WorkflowUpdateFailedError as failure:
        cause = failure.cause
        if isinstance(cause, ApplicationError) and cause.type == "UpdateRejected":
            return f"refused: {cause.message}"
        return f"failed: {failure_text(cause or failure)}"
    return f"accepted, answered {answer!r}"


async def _progress(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    try:
        progress = await handle.query("progress")
    except Exception:  # noqa: BLE001 - a run that never ran a task has no progress; the report says so
        return {}
    return dict(progress) if isinstance(progress, dict) else {}


async def _simulated_seconds(handle: WorkflowHandle[Any, Any]) -> float:
    description = await handle.describe()
    if description.start_time is None or description.close_time is None:
        return 0.0
    return max(0.0, (description.close_time - description.start_time).total_seconds())
