"""Bad input gets the right gRPC status and a message; internal failures come back as INTERNAL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from embedded_helpers import embedded_only, new_id
from temporalio.api.command.v1 import (
    Command,
    CompleteWorkflowExecutionCommandAttributes,
    ScheduleActivityTaskCommandAttributes,
)
from temporalio.api.common.v1 import (
    ActivityType,
    Payload,
    Payloads,
    WorkflowExecution,
    WorkflowType,
)
from temporalio.api.enums.v1 import CommandType
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    CountWorkflowExecutionsRequest,
    DescribeNamespaceRequest,
    DescribeWorkflowExecutionRequest,
    ListSchedulesRequest,
    PollWorkflowTaskQueueRequest,
    QueryWorkflowRequest,
    RecordActivityTaskHeartbeatRequest,
    RespondActivityTaskCompletedRequest,
    RespondWorkflowTaskCompletedRequest,
    SignalWorkflowExecutionRequest,
    StartWorkflowExecutionRequest,
    TerminateWorkflowExecutionRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode


async def _status_of(call: object) -> RPCError:
    with pytest.raises(RPCError) as err:
        await call  # type: ignore[misc]
    assert err.value.message
    return err.value


def _start_request(namespace: str, queue: str, *, clear: str = "") -> StartWorkflowExecutionRequest:
    request = StartWorkflowExecutionRequest(
        namespace=namespace,
        workflow_id=new_id(),
        workflow_type=WorkflowType(name="Raw"),
        task_queue=TaskQueue(name=queue),
        request_id=new_id("req"),
        identity="tests",
    )
    if clear:
        request.ClearField(clear)  # type: ignore[arg-type]
    return request


async def test_unknown_namespace(temporal_client: Client, task_queue: str) -> None:
    service = temporal_client.workflow_service
    missing = f"no-such-namespace-{new_id()}"
    err = await _status_of(service.describe_namespace(DescribeNamespaceRequest(namespace=missing)))
    assert err.status == RPCStatusCode.NOT_FOUND
    err = await _status_of(service.start_workflow_execution(_start_request(missing, task_queue)))
    assert err.status == RPCStatusCode.NOT_FOUND


async def test_missing_start_fields(temporal_client: Client, task_queue: str) -> None:
    service, namespace = temporal_client.workflow_service, temporal_client.namespace
    for broken in (
        _start_request(namespace, task_queue, clear="workflow_type"),
        _start_request(namespace, task_queue, clear="task_queue"),
        _start_request(namespace, task_queue, clear="workflow_id"),
    ):
        err = await _status_of(service.start_workflow_execution(broken))
        assert err.status == RPCStatusCode.INVALID_ARGUMENT


async def test_oversized_payload(temporal_client: Client, task_queue: str) -> None:
    request = _start_request(temporal_client.namespace, task_queue)
    request.input.CopyFrom(Payloads(payloads=[Payload(data=b"x" * (3 * 1024 * 1024))]))
    err = await _status_of(temporal_client.workflow_service.start_workflow_execution(request))
    assert err.status == RPCStatusCode.INVALID_ARGUMENT


async def test_malformed_task_tokens(temporal_client: Client) -> None:
    service, namespace = temporal_client.workflow_service, temporal_client.namespace
    for call in (
        service.respond_activity_task_completed(
            RespondActivityTaskCompletedRequest(namespace=namespace, task_token=b"garbage")
        ),
        service.respond_workflow_task_completed(
            RespondWorkflowTaskCompletedRequest(namespace=namespace, task_token=b"\x00\x01")
        ),
        service.record_activity_task_heartbeat(
            RecordActivityTaskHeartbeatRequest(namespace=namespace, task_token=b"")
        ),
    ):
        err = await _status_of(call)
        assert err.status == RPCStatusCode.INVALID_ARGUMENT


async def _poll_one_task(client: Client, task_queue: str) -> bytes:
    service = client.workflow_service
    await service.start_workflow_execution(_start_request(client.namespace, task_queue))
    task = await service.poll_workflow_task_queue(
        PollWorkflowTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue), identity="tests"
        ),
        timeout=timedelta(seconds=10),
    )
    assert task.task_token
    return task.task_token


async def test_stale_task_token(temporal_client: Client, task_queue: str) -> None:
    service, namespace = temporal_client.workflow_service, temporal_client.namespace
    token = await _poll_one_task(temporal_client, task_queue)
    complete = RespondWorkflowTaskCompletedRequest(
        namespace=namespace,
        task_token=token,
        identity="tests",
        commands=[
            Command(
                command_type=CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
                complete_workflow_execution_command_attributes=CompleteWorkflowExecutionCommandAttributes(),
            )
        ],
    )
    await service.respond_workflow_task_completed(complete)
    err = await _status_of(service.respond_workflow_task_completed(complete))
    assert err.status == RPCStatusCode.NOT_FOUND


async def test_invalid_command_is_rejected(temporal_client: Client, task_queue: str) -> None:
    service, namespace = temporal_client.workflow_service, temporal_client.namespace
    token = await _poll_one_task(temporal_client, task_queue)
    no_timeouts = Command(
        command_type=CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        schedule_activity_task_command_attributes=ScheduleActivityTaskCommandAttributes(
            activity_id="1",
            activity_type=ActivityType(name="act"),
            task_queue=TaskQueue(name=task_queue),
        ),
    )
    err = await _status_of(
        service.respond_workflow_task_completed(
            RespondWorkflowTaskCompletedRequest(
                namespace=namespace, task_token=token, commands=[no_timeouts]
            )
        )
    )
    assert err.status == RPCStatusCode.INVALID_ARGUMENT


async def test_unknown_workflow(temporal_client: Client) -> None:
    service, namespace = temporal_client.workflow_service, temporal_client.namespace
    execution = WorkflowExecution(workflow_id=new_id("ghost"))
    for call in (
        service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(namespace=namespace, execution=execution)
        ),
        service.signal_workflow_execution(
            SignalWorkflowExecutionRequest(
                namespace=namespace, workflow_execution=execution, signal_name="s"
            )
        ),
        service.terminate_workflow_execution(
            TerminateWorkflowExecutionRequest(namespace=namespace, workflow_execution=execution)
        ),
        service.query_workflow(
            QueryWorkflowRequest(
                namespace=namespace, execution=execution, query=WorkflowQuery(query_type="q")
            )
        ),
    ):
        err = await _status_of(call)
        assert err.status == RPCStatusCode.NOT_FOUND


async def test_malformed_visibility_query(temporal_client: Client) -> None:
    err = await _status_of(
        temporal_client.workflow_service.count_workflow_executions(
            CountWorkflowExecutionsRequest(
                namespace=temporal_client.namespace, query="WorkflowId = = 'x' AND ("
            )
        )
    )
    assert err.status == RPCStatusCode.INVALID_ARGUMENT


@embedded_only
async def test_unsupported_call_is_unimplemented(temporal_client: Client) -> None:
    err = await _status_of(
        temporal_client.workflow_service.list_schedules(
            ListSchedulesRequest(namespace=temporal_client.namespace)
        )
    )
    assert err.status == RPCStatusCode.UNIMPLEMENTED


@embedded_only
async def test_internal_error_is_reported_and_the_service_survives(
    temporal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wfb_jupyter.temporal.embedded import _visibility

    def explode(self: object) -> object:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(_visibility._Parser, "parse", explode)
    err = await _status_of(
        temporal_client.workflow_service.count_workflow_executions(
            CountWorkflowExecutionsRequest(namespace=temporal_client.namespace, query="")
        )
    )
    assert err.status == RPCStatusCode.INTERNAL
    assert "simulated bug" in err.message
    monkeypatch.undo()
    described = await temporal_client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=temporal_client.namespace)
    )
    assert described.namespace_info.name == temporal_client.namespace
