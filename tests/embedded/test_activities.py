"""Activities: retries, non-retryable errors, every timeout, heartbeats and cancellation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import embedded_shared_state as shared
import pytest
from embedded_helpers import assert_replays, new_id, new_worker
from embedded_scenarios import (
    AsyncCompletionWorkflow,
    CancellableWorkflow,
    HelloWorkflow,
    RetryInput,
    RetryWorkflow,
    TimeoutInput,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    RetryState,
    TimeoutError,
    TimeoutType,
)


async def test_retries_until_success(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            RetryWorkflow.run, RetryInput(fail_times=2), id=new_id(), task_queue=task_queue
        )
        assert await handle.result() == 3
    events = (await handle.fetch_history()).events
    started = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    # Retries leave no events: one ActivityTaskStarted, for the final attempt, with the last failure.
    assert len(started) == 1
    attrs = started[0].activity_task_started_event_attributes
    assert attrs.attempt == 3
    assert attrs.last_failure.message == "attempt 2 failed"
    await assert_replays(handle)


async def _activity_error(
    client: Client, task_queue: str, workflow: str, arg: object
) -> ActivityError:
    """Run ``workflow`` (by type name) and return the ActivityError it failed with."""
    async with new_worker(client, task_queue):
        handle = await client.start_workflow(workflow, arg, id=new_id(), task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    await assert_replays(handle)
    cause = failure.value.cause
    assert isinstance(cause, ActivityError)
    return cause


async def test_retries_to_exhaustion(temporal_client: Client, task_queue: str) -> None:
    error = await _activity_error(
        temporal_client, task_queue, "RetryWorkflow", RetryInput(fail_times=10, maximum_attempts=3)
    )
    assert error.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.message == "attempt 3 failed"


async def test_non_retryable_error_is_not_retried(temporal_client: Client, task_queue: str) -> None:
    error = await _activity_error(
        temporal_client, task_queue, "RetryWorkflow", RetryInput(fail_times=0, non_retryable=True)
    )
    assert error.retry_state == RetryState.NON_RETRYABLE_FAILURE
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "Fatal"


@pytest.mark.parametrize(
    ("kind", "timeout_type"),
    [
        ("schedule_to_start", TimeoutType.SCHEDULE_TO_START),
        ("start_to_close", TimeoutType.START_TO_CLOSE),
        ("schedule_to_close", TimeoutType.SCHEDULE_TO_CLOSE),
        ("heartbeat", TimeoutType.HEARTBEAT),
    ],
)
async def test_activity_timeouts(
    temporal_client: Client, task_queue: str, kind: str, timeout_type: TimeoutType
) -> None:
    params = TimeoutInput(kind=kind, unpolled_task_queue=f"{task_queue}-nobody-polls")
    error = await _activity_error(temporal_client, task_queue, "ActivityTimeoutWorkflow", params)
    assert isinstance(error.cause, TimeoutError)
    assert error.cause.type == timeout_type
    if kind == "heartbeat":
        assert list(error.cause.last_heartbeat_details) == ["beat-1"]


async def test_default_retry_policy_is_filled_in(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            HelloWorkflow.run, "defaults", id=new_id(), task_queue=task_queue
        )
        await handle.result()
    scheduled = next(
        e.activity_task_scheduled_event_attributes
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )
    policy = RetryPolicy.from_proto(scheduled.retry_policy)
    assert policy.initial_interval == timedelta(seconds=1)
    assert policy.backoff_coefficient == 2.0
    assert policy.maximum_interval == timedelta(seconds=100)
    assert policy.maximum_attempts == 0


async def test_cancel_workflow_with_heartbeating_activity(
    temporal_client: Client, task_queue: str
) -> None:
    key = new_id("cancel")
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            CancellableWorkflow.run, key, id=new_id(), task_queue=task_queue
        )
        for _ in range(100):
            if "started" in shared.ACTIVITY_EVENTS.get(key, []):
                break
            await asyncio.sleep(0.05)
        description = await handle.describe()
        pending = description.raw_description.pending_activities
        assert len(pending) == 1 and pending[0].activity_type.name == "heartbeat_until_cancelled"
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert shared.ACTIVITY_EVENTS[key] == ["started", "cancelled"]
    types = [e.event_type for e in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED in types
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in types
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
    await assert_replays(handle)


async def test_asynchronous_completion_by_id(temporal_client: Client, task_queue: str) -> None:
    key = new_id("async")
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            AsyncCompletionWorkflow.run, key, id=new_id(), task_queue=task_queue
        )
        for _ in range(100):
            if shared.ACTIVITY_EVENTS.get(key):
                break
            await asyncio.sleep(0.05)
        activity_id = shared.ACTIVITY_EVENTS[key][0]
        outside = temporal_client.get_async_activity_handle(
            workflow_id=handle.id, run_id=handle.result_run_id, activity_id=activity_id
        )
        await outside.heartbeat("still working")
        await outside.complete("finished elsewhere")
        assert await handle.result() == "finished elsewhere"
    await assert_replays(handle)


async def test_describe_task_queue_lists_pollers(temporal_client: Client, task_queue: str) -> None:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    async with new_worker(temporal_client, task_queue, identity="poller-under-test"):
        await temporal_client.execute_workflow(
            HelloWorkflow.run, "pollers", id=new_id(), task_queue=task_queue
        )
        for queue_type in (
            TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ):
            described = await temporal_client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=temporal_client.namespace,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=queue_type,
                )
            )
            assert "poller-under-test" in [poller.identity for poller in described.pollers]
