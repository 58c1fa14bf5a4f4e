"""The workflow-task protocol driven by hand: buffering, sticky queues, task timeouts, queries, requeueing.

These speak raw WorkflowService calls, the way the SDK's core does, to pin down behaviour a worker relies on.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from embedded_helpers import embedded_only, new_id
from temporalio.api.command.v1 import (
    Command,
    CompleteWorkflowExecutionCommandAttributes,
    StartTimerCommandAttributes,
)
from temporalio.api.common.v1 import Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import CommandType, EventType, QueryResultType, TaskQueueKind
from temporalio.api.query.v1 import WorkflowQuery, WorkflowQueryResult
from temporalio.api.taskqueue.v1 import StickyExecutionAttributes, TaskQueue
from temporalio.api.workflowservice.v1 import (
    PollWorkflowTaskQueueRequest,
    PollWorkflowTaskQueueResponse,
    QueryWorkflowRequest,
    RespondQueryTaskCompletedRequest,
    RespondWorkflowTaskCompletedRequest,
    ShutdownWorkerRequest,
    SignalWorkflowExecutionRequest,
    StartWorkflowExecutionRequest,
)
from temporalio.client import Client
from temporalio.converter import default as default_converter
from temporalio.service import RPCError, RPCStatusCode

pytestmark = embedded_only

_COMPLETE = Command(
    command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(),
)


def _timer(seconds: float) -> Command:
    command = Command(
        command_type=CommandType.COMMAND_TYPE_START_TIMER,
        start_timer_command_attributes=StartTimerCommandAttributes(timer_id="t1"),
    )
    command.start_timer_command_attributes.start_to_fire_timeout.FromTimedelta(
        timedelta(seconds=seconds)
    )
    return command


async def _start(client: Client, task_queue: str, task_timeout: float = 10.0) -> str:
    workflow_id = new_id("raw")
    request = StartWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_id=workflow_id,
        workflow_type=WorkflowType(name="Raw"),
        task_queue=TaskQueue(name=task_queue),
        request_id=new_id("req"),
    )
    request.workflow_task_timeout.FromTimedelta(timedelta(seconds=task_timeout))
    await client.workflow_service.start_workflow_execution(request)
    return workflow_id


async def _poll(
    client: Client,
    queue: str,
    kind: int = TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    timeout: float = 5.0,
) -> PollWorkflowTaskQueueResponse:
    """Poll for up to ``timeout`` seconds (the service keeps a one-second margin to the deadline)."""
    return await client.workflow_service.poll_workflow_task_queue(
        PollWorkflowTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue, kind=kind),  # type: ignore[arg-type]
            identity="raw-worker",
        ),
        timeout=timedelta(seconds=timeout + 1),
    )


async def _complete(
    client: Client, task: PollWorkflowTaskQueueResponse, *commands: Command, **fields: object
) -> None:
    await client.workflow_service.respond_workflow_task_completed(
        RespondWorkflowTaskCompletedRequest(
            namespace=client.namespace,
            task_token=task.task_token,
            identity="raw-worker",
            commands=list(commands),
            **fields,  # type: ignore[arg-type]
        )
    )


async def _signal(client: Client, workflow_id: str) -> None:
    await client.workflow_service.signal_workflow_execution(
        SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name="poke",
            request_id=new_id("sig"),
        )
    )


async def test_events_during_a_task_are_buffered_and_block_completion(
    temporal_client: Client, task_queue: str
) -> None:
    workflow_id = await _start(temporal_client, task_queue)
    first = await _poll(temporal_client, task_queue)
    assert first.history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    assert first.started_event_id == 3 and first.previous_started_event_id == 0
    await _signal(temporal_client, workflow_id)
    # The worker decided to complete without seeing the signal: the service must not lose it.
    await _complete(temporal_client, first, _COMPLETE)
    second = await _poll(temporal_client, task_queue)
    types = [event.event_type for event in second.history.events]
    assert types[3] == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    assert types[4] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
    await _complete(temporal_client, second, _COMPLETE)
    history = await temporal_client.get_workflow_handle(workflow_id).fetch_history()
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


async def test_sticky_task_falls_back_to_the_normal_queue(
    temporal_client: Client, task_queue: str
) -> None:
    await _start(temporal_client, task_queue)
    first = await _poll(temporal_client, task_queue)
    sticky_name = f"{task_queue}-sticky"
    # A worker polled its sticky queue moments ago, so the service believes it alive...
    empty = await _poll(temporal_client, sticky_name, TaskQueueKind.TASK_QUEUE_KIND_STICKY, 0.2)
    assert not empty.task_token
    sticky = StickyExecutionAttributes(worker_task_queue=TaskQueue(name=sticky_name))
    sticky.schedule_to_start_timeout.FromTimedelta(timedelta(seconds=1))
    await _complete(temporal_client, first, _timer(0.1), sticky_attributes=sticky)
    began = asyncio.get_running_loop().time()
    # ...but nobody takes the task from it; after its schedule-to-start timeout the task moves.
    second = await _poll(temporal_client, task_queue, timeout=5)
    assert asyncio.get_running_loop().time() - began >= 0.9
    assert second.task_token
    assert second.previous_started_event_id == first.started_event_id
    fired = [e for e in second.history.events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    assert len(fired) == 1


async def test_shutdown_worker_releases_its_sticky_queue_at_once(
    temporal_client: Client, task_queue: str
) -> None:
    workflow_id = await _start(temporal_client, task_queue)
    first = await _poll(temporal_client, task_queue)
    sticky_name = f"{task_queue}-sticky"
    sticky = StickyExecutionAttributes(worker_task_queue=TaskQueue(name=sticky_name))
    sticky.schedule_to_start_timeout.FromTimedelta(timedelta(seconds=30))
    await _complete(temporal_client, first, sticky_attributes=sticky)
    await _signal(temporal_client, workflow_id)
    await temporal_client.workflow_service.shutdown_worker(
        ShutdownWorkerRequest(
            namespace=temporal_client.namespace,
            sticky_task_queue=sticky_name,
            identity="raw-worker",
        )
    )
    second = await asyncio.wait_for(_poll(temporal_client, task_queue), timeout=5)
    assert second.task_token


async def test_workflow_task_timeout_retries_the_task(
    temporal_client: Client, task_queue: str
) -> None:
    await _start(temporal_client, task_queue, task_timeout=1.0)
    first = await _poll(temporal_client, task_queue)
    assert first.attempt == 1
    retried = await _poll(temporal_client, task_queue, timeout=5)  # first is never answered
    assert retried.attempt == 2
    types = [event.event_type for event in retried.history.events]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT in types
    await _complete(temporal_client, retried, _COMPLETE)
    with pytest.raises(RPCError) as stale:  # the first attempt's token is stale now
        await _complete(temporal_client, first, _COMPLETE)
    assert stale.value.status == RPCStatusCode.NOT_FOUND


async def test_queries_ride_on_a_pending_task_or_go_alone(
    temporal_client: Client, task_queue: str
) -> None:
    workflow_id = await _start(temporal_client, task_queue)
    query = QueryWorkflowRequest(
        namespace=temporal_client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id),
        query=WorkflowQuery(query_type="state"),
    )
    answer = default_converter().payload_converter.to_payloads(["answered"])
    # A workflow task is pending: the query is attached to it.
    pending = asyncio.create_task(temporal_client.workflow_service.query_workflow(query))
    await asyncio.sleep(0.2)
    task = await _poll(temporal_client, task_queue)
    assert list(task.queries.values())[0].query_type == "state"
    query_id = next(iter(task.queries))
    await _complete(
        temporal_client,
        task,
        query_results={
            query_id: WorkflowQueryResult(
                result_type=QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
                answer=Payloads(payloads=answer),
            )
        },
    )
    assert (await pending).query_result.payloads[0] == answer[0]
    # Now no task is outstanding: the query goes out as a legacy query task.
    alone = asyncio.create_task(temporal_client.workflow_service.query_workflow(query))
    query_task = await _poll(temporal_client, task_queue)
    assert query_task.query.query_type == "state" and not query_task.queries
    await temporal_client.workflow_service.respond_query_task_completed(
        RespondQueryTaskCompletedRequest(
            namespace=temporal_client.namespace,
            task_token=query_task.task_token,
            completed_type=QueryResultType.QUERY_RESULT_TYPE_ANSWERED,
            query_result=Payloads(payloads=answer),
        )
    )
    assert (await alone).query_result.payloads[0] == answer[0]


async def test_a_cancelled_poll_gives_its_task_back() -> None:
    from wfb_jupyter.temporal.embedded._task_queues import TaskQueue as MatchingQueue

    class Task:
        def is_live(self) -> bool:
            return True

    queue = MatchingQueue()
    poll = asyncio.create_task(queue.poll(5))
    await asyncio.sleep(0)
    task = Task()
    queue.offer(task)  # handed to the waiting poller...
    poll.cancel()  # ...whose caller goes away before it resumes
    with pytest.raises(asyncio.CancelledError):
        await poll
    assert await queue.poll(1) is task


async def test_a_sticky_queue_nobody_polls_is_skipped(
    temporal_client: Client, task_queue: str
) -> None:
    workflow_id = await _start(temporal_client, task_queue)
    first = await _poll(temporal_client, task_queue)
    # The worker named a sticky queue and then vanished without polling it or saying goodbye.
    sticky = StickyExecutionAttributes(worker_task_queue=TaskQueue(name=f"{task_queue}-gone"))
    sticky.schedule_to_start_timeout.FromTimedelta(timedelta(seconds=30))
    await _complete(temporal_client, first, sticky_attributes=sticky)
    await _signal(temporal_client, workflow_id)
    second = await asyncio.wait_for(_poll(temporal_client, task_queue), timeout=5)
    assert second.task_token


async def test_idle_polls_leave_nothing_behind() -> None:
    from wfb_jupyter.temporal.embedded._task_queues import TaskQueue as MatchingQueue

    queue = MatchingQueue()
    for _ in range(20):
        assert await queue.poll(0.01) is None
    assert not queue.has_pollers()
    assert len(queue._pollers) == 0


async def test_sticky_tasks_carry_only_new_events(temporal_client: Client, task_queue: str) -> None:
    await _start(temporal_client, task_queue)
    first = await _poll(temporal_client, task_queue)
    sticky_name = f"{task_queue}-sticky"
    sticky = StickyExecutionAttributes(worker_task_queue=TaskQueue(name=sticky_name))
    sticky.schedule_to_start_timeout.FromTimedelta(timedelta(seconds=30))
    # The worker is already polling its sticky queue when the next task is scheduled.
    polling = asyncio.create_task(
        _poll(temporal_client, sticky_name, TaskQueueKind.TASK_QUEUE_KIND_STICKY)
    )
    await asyncio.sleep(0.2)
    await _complete(temporal_client, first, _timer(0.1), sticky_attributes=sticky)
    second = await polling
    # The cached worker gets the events after its last task: WorkflowTaskCompleted onwards.
    ids = [event.event_id for event in second.history.events]
    assert ids[0] == first.started_event_id + 1
    assert second.history.events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    assert ids[-1] == second.started_event_id
