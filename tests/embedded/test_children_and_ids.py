"""Child workflows, external signals and cancels, and workflow id reuse/conflict policies."""

from __future__ import annotations

import asyncio

import pytest
from embedded_helpers import assert_replays, new_id, new_worker
from embedded_scenarios import (
    ExternalInput,
    ExternalWorkflow,
    HelloWorkflow,
    ParentInput,
    ParentWorkflow,
    SignalWorkflow,
    WaitForeverWorkflow,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
    TerminatedError,
    WorkflowAlreadyStartedError,
)
from temporalio.service import RPCError


async def test_child_workflow_success(temporal_client: Client, task_queue: str) -> None:
    parent_id, child_id = new_id("parent"), new_id("child")
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            ParentWorkflow.run, ParentInput(child_id), id=parent_id, task_queue=task_queue
        )
        assert await handle.result() == f"child {child_id} of {parent_id}"
    types = [e.event_type for e in (await handle.fetch_history()).events]
    for expected in (
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    ):
        assert expected in types
    child = await temporal_client.get_workflow_handle(child_id).describe()
    assert child.parent_id == parent_id
    await assert_replays(handle)
    await assert_replays(temporal_client.get_workflow_handle(child_id))


async def test_child_workflow_failure(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            ParentWorkflow.run,
            ParentInput(new_id("child"), fail=True),
            id=new_id(),
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    child_error = failure.value.cause
    assert isinstance(child_error, ChildWorkflowError)
    assert isinstance(child_error.cause, ApplicationError)
    assert child_error.cause.type == "ChildBoom"
    types = [e.event_type for e in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED in types
    await assert_replays(handle)


@pytest.mark.parametrize(
    ("mode", "child_status"),
    [
        ("terminate", WorkflowExecutionStatus.TERMINATED),
        ("abandon", WorkflowExecutionStatus.RUNNING),
    ],
)
async def test_parent_close_policy(
    temporal_client: Client, task_queue: str, mode: str, child_status: WorkflowExecutionStatus
) -> None:
    child_id = new_id("child")
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            ParentWorkflow.run, ParentInput(child_id, mode=mode), id=new_id(), task_queue=task_queue
        )
        assert await handle.result() == "parent done"
        child = temporal_client.get_workflow_handle(child_id)
        assert (await child.describe()).status == child_status
        if child_status == WorkflowExecutionStatus.RUNNING:
            await child.terminate("test cleanup")
    await assert_replays(handle)


async def test_child_terminated_event_reaches_parent(
    temporal_client: Client, task_queue: str
) -> None:
    child_id = new_id("child")
    async with new_worker(temporal_client, task_queue):
        parent = await temporal_client.start_workflow(
            ParentWorkflow.run,
            ParentInput(child_id, mode="wait_forever"),
            id=new_id(),
            task_queue=task_queue,
        )
        child = temporal_client.get_workflow_handle(child_id)
        for _ in range(100):
            try:
                await child.describe()
                break
            except RPCError:
                await asyncio.sleep(0.05)
        await child.terminate("stop the child")
        with pytest.raises(WorkflowFailureError) as failure:
            await parent.result()
    assert isinstance(failure.value.cause, ChildWorkflowError)
    assert isinstance(failure.value.cause.cause, TerminatedError)
    types = [e.event_type for e in (await parent.fetch_history()).events]
    assert EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED in types
    await assert_replays(parent)


async def test_cancelling_an_unknown_external_workflow_fails(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            ExternalWorkflow.run,
            ExternalInput(target_id=new_id("absent"), action="cancel"),
            id=new_id(),
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    types = [e.event_type for e in (await handle.fetch_history()).events]
    assert EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED in types
    await assert_replays(handle)


async def test_signal_and_cancel_external_workflows(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        target = await temporal_client.start_workflow(
            SignalWorkflow.run, 1, id=new_id("target"), task_queue=task_queue
        )
        sender = await temporal_client.start_workflow(
            ExternalWorkflow.run, ExternalInput(target.id), id=new_id(), task_queue=task_queue
        )
        assert await sender.result() == "signal"
        assert await target.result() == ["from-another-workflow"]

        victim = await temporal_client.start_workflow(
            WaitForeverWorkflow.run, id=new_id("victim"), task_queue=task_queue
        )
        canceller = await temporal_client.start_workflow(
            ExternalWorkflow.run,
            ExternalInput(victim.id, action="cancel"),
            id=new_id(),
            task_queue=task_queue,
        )
        assert await canceller.result() == "cancel"
        with pytest.raises(WorkflowFailureError):
            await victim.result()
        assert (await victim.describe()).status == WorkflowExecutionStatus.CANCELED
    for handle in (sender, target, canceller, victim):
        await assert_replays(handle)


async def test_duplicate_workflow_id_while_running(
    temporal_client: Client, task_queue: str
) -> None:
    workflow_id = new_id()
    first = await temporal_client.start_workflow(
        WaitForeverWorkflow.run, id=workflow_id, task_queue=task_queue
    )
    with pytest.raises(WorkflowAlreadyStartedError) as err:
        await temporal_client.start_workflow(
            WaitForeverWorkflow.run, id=workflow_id, task_queue=task_queue
        )
    assert err.value.run_id == first.result_run_id
    existing = await temporal_client.start_workflow(
        WaitForeverWorkflow.run,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    assert existing.result_run_id == first.result_run_id
    replacement = await temporal_client.start_workflow(
        WaitForeverWorkflow.run,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )
    assert replacement.result_run_id != first.result_run_id
    first_run = temporal_client.get_workflow_handle(workflow_id, run_id=first.result_run_id)
    assert (await first_run.describe()).status == WorkflowExecutionStatus.TERMINATED
    await replacement.terminate("cleanup")


async def test_workflow_id_reuse_policies(temporal_client: Client, task_queue: str) -> None:
    workflow_id = new_id()
    async with new_worker(temporal_client, task_queue):
        await temporal_client.execute_workflow(
            HelloWorkflow.run, "one", id=workflow_id, task_queue=task_queue
        )
        for policy in (
            WorkflowIDReusePolicy.REJECT_DUPLICATE,
            WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        ):
            with pytest.raises(WorkflowAlreadyStartedError):
                await temporal_client.start_workflow(
                    HelloWorkflow.run,
                    "two",
                    id=workflow_id,
                    task_queue=task_queue,
                    id_reuse_policy=policy,
                )
        again = await temporal_client.execute_workflow(
            HelloWorkflow.run,
            "three",
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        assert again == "Hello, three!"
