"""List, count, describe and history: filters, paging and long polls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from embedded_helpers import eventually, new_id, new_worker
from embedded_scenarios import HelloWorkflow, QuickWorkflow, SignalWorkflow, WaitForeverWorkflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, HistoryEventFilterType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowExecutionStatus


async def test_list_and_count_with_filters(temporal_client: Client, task_queue: str) -> None:
    prefix = new_id("vis")
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    async with new_worker(temporal_client, task_queue):
        for index in range(3):
            await temporal_client.execute_workflow(
                QuickWorkflow.run, str(index), id=f"{prefix}-done-{index}", task_queue=task_queue
            )
        running = await temporal_client.start_workflow(
            WaitForeverWorkflow.run, id=f"{prefix}-running", task_queue=task_queue
        )
        since = before.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        scope = f"StartTime > '{since}' AND TaskQueue = '{task_queue}'"
        completed = f"{scope} AND ExecutionStatus = 'Completed' AND WorkflowType = 'QuickWorkflow'"
        later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()

        async def check() -> None:
            assert (await temporal_client.count_workflows(scope)).count == 4
            listed = [w async for w in temporal_client.list_workflows(completed)]
            assert sorted(w.id for w in listed) == [f"{prefix}-done-{i}" for i in range(3)]
            assert all(w.status == WorkflowExecutionStatus.COMPLETED for w in listed)
            only_running = [
                w
                async for w in temporal_client.list_workflows(
                    f"WorkflowId = '{prefix}-running' AND ExecutionStatus = 'Running'"
                )
            ]
            assert [w.id for w in only_running] == [running.id]
            none_completed = f"WorkflowId = '{prefix}-running' AND ExecutionStatus = 'Completed'"
            assert (await temporal_client.count_workflows(none_completed)).count == 0
            paged = [w async for w in temporal_client.list_workflows(scope, page_size=2)]
            assert len(paged) == 4
            in_future = f"{scope} AND StartTime > '{later}'"
            assert (await temporal_client.count_workflows(in_future)).count == 0

        await eventually(check)
        await running.terminate("cleanup")


async def test_describe_running_and_closed(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            SignalWorkflow.run,
            1,
            id=new_id(),
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=5),
            memo={"owner": "tests"},
        )
        description = await handle.describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert description.workflow_type == "SignalWorkflow"
        assert description.task_queue == task_queue
        assert await description.memo_value("owner") == "tests"
        assert (
            description.raw_description.execution_config.workflow_execution_timeout.seconds == 300
        )
        await handle.signal(SignalWorkflow.add, "x")
        await handle.result()
        closed = await handle.describe()
        assert closed.status == WorkflowExecutionStatus.COMPLETED
        assert closed.close_time is not None and closed.history_length > 5


async def test_history_paging_and_close_event_filter(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            HelloWorkflow.run, "paging", id=new_id(), task_queue=task_queue
        )
        await handle.result()
    full = (await handle.fetch_history()).events
    service = temporal_client.workflow_service
    execution = WorkflowExecution(workflow_id=handle.id)
    pages, token = [], b""
    while True:
        response = await service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=temporal_client.namespace,
                execution=execution,
                maximum_page_size=3,
                next_page_token=token,
            )
        )
        pages.append(list(response.history.events))
        token = response.next_page_token
        if not token:
            break
    assert len(pages) >= 3 and all(len(page) <= 3 for page in pages)
    assert [e.event_id for page in pages for e in page] == [e.event_id for e in full]
    close_only = await service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=temporal_client.namespace,
            execution=execution,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        )
    )
    assert [e.event_type for e in close_only.history.events] == [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    ]


async def test_result_long_poll_times_out_with_a_continuation_token(
    temporal_client: Client, task_queue: str
) -> None:
    handle = await temporal_client.start_workflow(
        WaitForeverWorkflow.run, id=new_id(), task_queue=task_queue
    )
    response = await temporal_client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=temporal_client.namespace,
            execution=WorkflowExecution(workflow_id=handle.id),
            wait_new_event=True,
            history_event_filter_type=HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
        ),
        timeout=timedelta(seconds=2),
    )
    assert not response.history.events
    assert response.next_page_token
    await handle.terminate("cleanup")
