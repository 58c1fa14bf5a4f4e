"""Workflow-level behaviour: timers, signals, queries, continue-as-new, cancel/terminate, workflow tasks."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import embedded_shared_state as shared
import pytest
from embedded_helpers import assert_replays, embedded_only, eventually, new_id, new_worker
from embedded_scenarios import (
    TAG,
    ContinueAsNewWorkflow,
    FailingTaskWorkflow,
    FlakyWorkflow,
    SignalWorkflow,
    TaggingWorkflow,
    TimerWorkflow,
    WaitForeverWorkflow,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
)
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ApplicationError,
    RetryState,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from temporalio.service import RPCError, RPCStatusCode


async def test_timers(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        began = time.monotonic()
        handle = await temporal_client.start_workflow(
            TimerWorkflow.run, 0.5, id=new_id(), task_queue=task_queue
        )
        assert await handle.result() == "slept"
        assert time.monotonic() - began >= 0.5
    types = [e.event_type for e in (await handle.fetch_history()).events]
    assert types.count(EventType.EVENT_TYPE_TIMER_STARTED) == 2
    assert types.count(EventType.EVENT_TYPE_TIMER_FIRED) == 1
    assert types.count(EventType.EVENT_TYPE_TIMER_CANCELED) == 1
    await assert_replays(handle)


async def test_burst_of_signals_and_queries(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run, 10, id=new_id(), task_queue=task_queue
        )
        assert await handle.query(SignalWorkflow.received_so_far) == []
        values = [f"signal-{i}" for i in range(10)]
        await asyncio.gather(*(handle.signal(SignalWorkflow.add, value) for value in values))
        result = await handle.result()
        assert sorted(result) == sorted(values)
        # After completion the worker answers by replaying the history.
        assert sorted(await handle.query(SignalWorkflow.received_so_far)) == sorted(values)
        with pytest.raises(WorkflowQueryFailedError, match="always fails"):
            await handle.query(SignalWorkflow.broken)
    await assert_replays(handle)


async def test_query_while_running_and_failing_query(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run, 2, id=new_id(), task_queue=task_queue
        )
        await handle.signal(SignalWorkflow.add, "one")
        assert await handle.query(SignalWorkflow.received_so_far) == ["one"]
        with pytest.raises(WorkflowQueryFailedError):
            await handle.query(SignalWorkflow.broken)
        await handle.signal(SignalWorkflow.add, "two")
        assert await handle.result() == ["one", "two"]


async def test_signal_with_start(temporal_client: Client, task_queue: str) -> None:
    workflow_id = new_id()
    async with new_worker(temporal_client, task_queue):
        first = await temporal_client.start_workflow(
            SignalWorkflow.run,
            2,
            id=workflow_id,
            task_queue=task_queue,
            start_signal="add",
            start_signal_args=["first"],
        )
        second = await temporal_client.start_workflow(
            SignalWorkflow.run,
            2,
            id=workflow_id,
            task_queue=task_queue,
            start_signal="add",
            start_signal_args=["second"],
        )
        # The second call signalled the running execution instead of starting another.
        assert second.result_run_id == first.result_run_id
        assert await first.result() == ["first", "second"]
    history = await first.fetch_history()
    assert history.events[1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    await assert_replays(first)


async def test_continue_as_new_chain(temporal_client: Client, task_queue: str) -> None:
    workflow_id = new_id()
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            ContinueAsNewWorkflow.run, 3, id=workflow_id, task_queue=task_queue
        )
        assert await handle.result() == "done after chain, run True"

    async def four_runs() -> None:
        query = f"WorkflowId = '{workflow_id}'"
        runs = [w async for w in temporal_client.list_workflows(query)]
        statuses = sorted(run.status.name for run in runs if run.status is not None)
        assert statuses == ["COMPLETED", "CONTINUED_AS_NEW", "CONTINUED_AS_NEW", "CONTINUED_AS_NEW"]

    await eventually(four_runs)
    first_run = temporal_client.get_workflow_handle(
        workflow_id, run_id=handle.first_execution_run_id
    )
    first_history = await first_run.fetch_history()
    assert first_history.events[-1].event_type == (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    )
    await assert_replays(first_run)
    await assert_replays(temporal_client.get_workflow_handle(workflow_id))


async def test_terminate(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            WaitForeverWorkflow.run, id=new_id(), task_queue=task_queue
        )
        await handle.terminate(
            "enough",
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, TerminatedError)
        assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    await assert_replays(handle)


async def test_workflow_run_timeout(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            WaitForeverWorkflow.run,
            id=new_id(),
            task_queue=task_queue,
            run_timeout=timedelta(seconds=1),
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert isinstance(failure.value.cause, TimeoutError)
    assert failure.value.cause.type == TimeoutType.START_TO_CLOSE
    assert (await handle.describe()).status == WorkflowExecutionStatus.TIMED_OUT


async def test_workflow_execution_timeout(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            WaitForeverWorkflow.run,
            id=new_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=1),
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert isinstance(failure.value.cause, TimeoutError)
    closing = (await handle.fetch_history()).events[-1]
    assert closing.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT


@embedded_only
async def test_updates_are_rejected_without_hanging(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run, 1, id=new_id(), task_queue=task_queue
        )
        with pytest.raises(RPCError) as err:
            await asyncio.wait_for(handle.execute_update(SignalWorkflow.add_and_count, "u"), 10)
        assert err.value.status == RPCStatusCode.UNIMPLEMENTED
        await handle.signal(SignalWorkflow.add, "done")
        assert await handle.result() == ["done"]


async def test_failed_workflow_tasks_are_retried(temporal_client: Client, task_queue: str) -> None:
    workflow_id = new_id()
    shared.WORKFLOW_TASK_FAILURES[workflow_id] = 2
    async with new_worker(temporal_client, task_queue):
        # The SDK reports only a task's first failure; later attempts end by the workflow task timeout.
        handle = await temporal_client.start_workflow(
            FailingTaskWorkflow.run,
            id=workflow_id,
            task_queue=task_queue,
            task_timeout=timedelta(seconds=2),
        )
        assert await handle.result() == "recovered"
    types = [e.event_type for e in (await handle.fetch_history()).events]
    # Only the first attempt's end is recorded (a failure, or a timeout on a slow machine); the retries
    # after it are transient and leave no events.
    assert (
        types.count(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
        + types.count(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
        == 1
    )
    completed = [
        e
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
    ]
    assert completed[-1].workflow_task_scheduled_event_attributes.attempt == 3
    await assert_replays(handle)


async def test_worker_restarted_mid_workflow_resumes_it(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run, 2, id=new_id(), task_queue=task_queue
        )
        await handle.signal(SignalWorkflow.add, "before restart")
        assert await handle.query(SignalWorkflow.received_so_far) == ["before restart"]
    await handle.signal(SignalWorkflow.add, "while no worker runs")
    async with new_worker(temporal_client, task_queue):
        result = await asyncio.wait_for(handle.result(), timeout=15)
    assert result == ["before restart", "while no worker runs"]
    await assert_replays(handle)


async def test_workflow_retry_policy(temporal_client: Client, task_queue: str) -> None:
    policy = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3)
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            FlakyWorkflow.run, 3, id=new_id(), task_queue=task_queue, retry_policy=policy
        )
        assert await handle.result() == 3
        exhausted = await temporal_client.start_workflow(
            FlakyWorkflow.run, 5, id=new_id(), task_queue=task_queue, retry_policy=policy
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await exhausted.result()
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.message == "workflow attempt 3 failed"
    last_close = (await exhausted.fetch_history()).events[-1]
    assert last_close.workflow_execution_failed_event_attributes.retry_state == (
        RetryState.MAXIMUM_ATTEMPTS_REACHED.value
    )
    first = temporal_client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    closing = (await first.fetch_history()).events[-1]
    assert closing.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    assert closing.workflow_execution_failed_event_attributes.new_execution_run_id
    await assert_replays(handle)


async def test_start_delay(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        began = time.monotonic()
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run,
            1,
            id=new_id(),
            task_queue=task_queue,
            start_delay=timedelta(seconds=1),
            start_signal="add",
            start_signal_args=["early"],
        )
        assert await handle.result() == ["early"]
        assert time.monotonic() - began >= 1.0
    await assert_replays(handle)


async def test_upserted_search_attributes_and_memo(
    temporal_client: Client, task_queue: str
) -> None:
    tag = new_id("tag")
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            TaggingWorkflow.run, tag, id=new_id(), task_queue=task_queue
        )
        await handle.result()
    description = await handle.describe()
    assert description.typed_search_attributes.get(TAG) == tag
    assert await description.memo_value("tag") == tag
    types = [e.event_type for e in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES in types
    assert EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED in types
    await assert_replays(handle)
