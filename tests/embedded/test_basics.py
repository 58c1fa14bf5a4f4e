"""The core path: connecting, namespaces, a workflow with an activity, local activities, the standalone shape."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from embedded_helpers import assert_replays, embedded_only, new_id, new_worker
from embedded_scenarios import HelloWorkflow, LocalHelloWorkflow
from temporalio.api.enums.v1 import EventType, TaskQueueKind
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    GetSystemInfoRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from wfb_jupyter.temporal.embedded import EmbeddedTemporalService, start_background_service


async def test_hello_activity(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            HelloWorkflow.run, "World", id=new_id(), task_queue=task_queue
        )
        assert await handle.result() == "Hello, World!"
    await assert_replays(handle)
    types = [event.event_type for event in (await handle.fetch_history()).events]
    assert types[0] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED in types


async def test_follow_up_workflow_tasks_go_to_the_sticky_queue(
    temporal_client: Client, task_queue: str
) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            HelloWorkflow.run, "sticky", id=new_id(), task_queue=task_queue
        )
        await handle.result()
    scheduled = [
        event.workflow_task_scheduled_event_attributes.task_queue
        for event in (await handle.fetch_history()).events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
    ]
    assert scheduled[0].kind == TaskQueueKind.TASK_QUEUE_KIND_NORMAL
    assert scheduled[-1].kind == TaskQueueKind.TASK_QUEUE_KIND_STICKY
    assert scheduled[-1].normal_name == task_queue


async def test_local_activities(temporal_client: Client, task_queue: str) -> None:
    async with new_worker(temporal_client, task_queue):
        handle = await temporal_client.start_workflow(
            LocalHelloWorkflow.run, "local", id=new_id(), task_queue=task_queue
        )
        assert await handle.result() == "Hello, Hello, local!!"
    history = await handle.fetch_history()
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert len(markers) == 2
    await assert_replays(handle)


async def test_system_info_and_namespaces(temporal_client: Client) -> None:
    service = temporal_client.workflow_service
    info = await service.get_system_info(GetSystemInfoRequest())
    assert info.capabilities.signal_and_query_header
    described = await service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
    assert described.namespace_info.name == "default"

    name = f"ns-{uuid.uuid4()}"
    await service.register_namespace(RegisterNamespaceRequest(namespace=name))
    described = await service.describe_namespace(DescribeNamespaceRequest(namespace=name))
    assert described.namespace_info.name == name
    with pytest.raises(RPCError) as err:
        await service.register_namespace(RegisterNamespaceRequest(namespace=name))
    assert err.value.status == RPCStatusCode.ALREADY_EXISTS


@embedded_only
async def test_registered_namespace_runs_workflows(
    temporal_client: Client, task_queue: str
) -> None:
    name = f"ns-{uuid.uuid4()}"
    await temporal_client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name)
    )
    client = await Client.connect(temporal_client.service_client.config.target_host, namespace=name)
    async with new_worker(client, task_queue):
        result = await client.execute_workflow(
            HelloWorkflow.run, "namespace", id=new_id(), task_queue=task_queue
        )
    assert result == "Hello, namespace!"


@embedded_only
async def test_async_context_manager_service_in_this_loop(task_queue: str) -> None:
    async with EmbeddedTemporalService(namespaces=("default", "other")) as service:
        assert service.address.startswith("127.0.0.1:")
        client = await Client.connect(service.address, namespace="other")
        async with new_worker(client, task_queue):
            result = await client.execute_workflow(
                HelloWorkflow.run, "in-loop", id=new_id(), task_queue=task_queue
            )
        assert result == "Hello, in-loop!"
        assert await client.service_client.check_health()


@embedded_only
async def test_standalone_background_service(task_queue: str) -> None:
    background = start_background_service()
    try:
        host, port = background.address.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        client = await Client.connect(background.address)
        async with new_worker(client, task_queue):
            result = await client.execute_workflow(
                HelloWorkflow.run, "standalone", id=new_id(), task_queue=task_queue
            )
        assert result == "Hello, standalone!"
    finally:
        background.stop()
        background.stop()  # idempotent
    with pytest.raises(RuntimeError):
        await Client.connect(background.address, rpc_metadata={}, lazy=False)


@embedded_only
async def test_port_in_use_is_a_clear_error() -> None:
    async with EmbeddedTemporalService() as first:
        port = int(first.address.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="cannot bind"):
            await EmbeddedTemporalService(port=port).start()


@embedded_only
async def test_closed_runs_are_forgotten_after_retention(
    temporal_client: Client, task_queue: str
) -> None:
    from google.protobuf.duration_pb2 import Duration

    name = f"ns-{uuid.uuid4()}"
    await temporal_client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=name, workflow_execution_retention_period=Duration(seconds=1)
        )
    )
    client = await Client.connect(temporal_client.service_client.config.target_host, namespace=name)
    async with new_worker(client, task_queue):
        handle = await client.start_workflow(
            HelloWorkflow.run, "short-lived", id=new_id(), task_queue=task_queue
        )
        await handle.result()
    await handle.describe()
    await asyncio.sleep(1.2)
    with pytest.raises(RPCError) as err:
        await handle.describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND
