"""The RPCs clients make: namespaces, starting, signalling, querying, cancelling and terminating workflows."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from temporalio.api.enums.v1 import query_pb2 as query_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.query.v1 import message_pb2 as query_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._clock import seconds_of
from ._engine import StartSpec
from ._errors import ServiceError, check_blob, invalid_argument, unimplemented
from ._queries import PendingQuery, QueryResult
from ._rpc import ServiceState, rpc

SERVER_VERSION = "1.25.0-wfb-embedded"
# How long a query waits for a worker when the caller set no deadline.
_QUERY_WAIT_SECONDS = 30.0


def _start_spec(request: Any) -> StartSpec:
    return StartSpec(
        workflow_id=request.workflow_id,
        workflow_type=request.workflow_type.name,
        task_queue=request.task_queue.name,
        input=request.input,
        execution_timeout=seconds_of(request.workflow_execution_timeout),
        run_timeout=seconds_of(request.workflow_run_timeout),
        task_timeout=seconds_of(request.workflow_task_timeout),
        identity=request.identity,
        request_id=request.request_id,
        header=request.header,
        memo=request.memo,
        search_attributes=request.search_attributes,
        retry_policy=request.retry_policy if request.HasField("retry_policy") else None,
        start_delay=seconds_of(request.workflow_start_delay),
    )


class ClientCalls(ServiceState):
    # -- system and namespaces ---------------------------------------------------------------------

    @rpc
    async def GetSystemInfo(
        self, request: rr.GetSystemInfoRequest, context: grpc.aio.ServicerContext
    ) -> rr.GetSystemInfoResponse:
        # worker_poll_complete_on_shutdown stays off: the SDK then cancels its own polls at shutdown.
        capabilities = rr.GetSystemInfoResponse.Capabilities(
            signal_and_query_header=True,
            internal_error_differentiation=True,
            activity_failure_include_heartbeat=True,
            encoded_failure_attributes=True,
            upsert_memo=True,
            sdk_metadata=True,
        )
        return rr.GetSystemInfoResponse(server_version=SERVER_VERSION, capabilities=capabilities)

    @rpc
    async def DescribeNamespace(
        self, request: rr.DescribeNamespaceRequest, context: grpc.aio.ServicerContext
    ) -> rr.DescribeNamespaceResponse:
        if request.id and not request.namespace:
            return self.namespaces.get_by_id(request.id).describe()
        return self.namespaces.get(request.namespace).describe()

    @rpc
    async def RegisterNamespace(
        self, request: rr.RegisterNamespaceRequest, context: grpc.aio.ServicerContext
    ) -> rr.RegisterNamespaceResponse:
        self.namespaces.register(request)
        return rr.RegisterNamespaceResponse()

    @rpc
    async def ListNamespaces(
        self, request: rr.ListNamespacesRequest, context: grpc.aio.ServicerContext
    ) -> rr.ListNamespacesResponse:
        return rr.ListNamespacesResponse(
            namespaces=[namespace.describe() for namespace in self.namespaces.all()]
        )

    # -- starting and signalling -------------------------------------------------------------------

    @rpc
    async def StartWorkflowExecution(
        self, request: rr.StartWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.StartWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        if request.cron_schedule:
            raise unimplemented("Cron schedules")
        run, started = engine.start(
            _start_spec(request),
            request.workflow_id_reuse_policy,
            request.workflow_id_conflict_policy,
        )
        return rr.StartWorkflowExecutionResponse(
            run_id=run.run_id,
            started=started,
            status=run.status,
        )

    @rpc
    async def SignalWithStartWorkflowExecution(
        self, request: rr.SignalWithStartWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.SignalWithStartWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        existing = engine.latest.get(request.workflow_id)
        if (
            existing is not None
            and existing.is_open
            and (
                request.workflow_id_conflict_policy
                != wf.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
            )
        ):
            engine.signal(
                existing,
                request.signal_name,
                request.signal_input,
                request.identity,
                request.header,
                request.request_id,
            )
            return rr.SignalWithStartWorkflowExecutionResponse(
                run_id=existing.run_id, started=False
            )
        if not request.signal_name:
            raise invalid_argument("SignalName is not set on request.")

        def signal_first(run: Any) -> None:
            engine.signal(
                run, request.signal_name, request.signal_input, request.identity, request.header
            )

        # Signal-with-start always starts when nothing runs: its conflict policy is about running runs.
        run, started = engine.start(
            _start_spec(request),
            request.workflow_id_reuse_policy,
            wf.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
            before_first_task=signal_first,
        )
        return rr.SignalWithStartWorkflowExecutionResponse(run_id=run.run_id, started=started)

    @rpc
    async def SignalWorkflowExecution(
        self, request: rr.SignalWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.SignalWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        execution = request.workflow_execution
        run = engine.get_open_run(execution.workflow_id, execution.run_id)
        engine.signal(
            run,
            request.signal_name,
            request.input,
            request.identity,
            request.header,
            request.request_id,
        )
        return rr.SignalWorkflowExecutionResponse()

    # -- cancel and terminate ----------------------------------------------------------------------

    @rpc
    async def RequestCancelWorkflowExecution(
        self, request: rr.RequestCancelWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.RequestCancelWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        execution = request.workflow_execution
        run = engine.get_open_run(execution.workflow_id, execution.run_id)
        engine.request_cancel(run, request.reason, request.identity)
        return rr.RequestCancelWorkflowExecutionResponse()

    @rpc
    async def TerminateWorkflowExecution(
        self, request: rr.TerminateWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.TerminateWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        execution = request.workflow_execution
        run = engine.get_open_run(execution.workflow_id, execution.run_id)
        check_blob("termination details", request.details.ByteSize())
        engine.terminate(run, request.reason, request.details, request.identity)
        return rr.TerminateWorkflowExecutionResponse()

    # -- queries -----------------------------------------------------------------------------------

    @rpc
    async def QueryWorkflow(
        self, request: rr.QueryWorkflowRequest, context: grpc.aio.ServicerContext
    ) -> rr.QueryWorkflowResponse:
        engine = self.namespaces.engine(request.namespace)
        run = engine.get_run(request.execution.workflow_id, request.execution.run_id)
        if not request.query.query_type:
            raise invalid_argument("QueryType is not set on request.")
        condition = request.query_reject_condition
        rejected = (
            condition == query_enums.QUERY_REJECT_CONDITION_NOT_OPEN and not run.is_open
        ) or (
            condition == query_enums.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY
            and not run.is_open
            and run.status != wf.WORKFLOW_EXECUTION_STATUS_COMPLETED
        )
        if rejected:
            return rr.QueryWorkflowResponse(
                query_rejected=query_pb.QueryRejected(status=run.status)
            )
        pending = PendingQuery(
            query=request.query, result=asyncio.get_running_loop().create_future()
        )
        run.add_query(pending)
        remaining = context.time_remaining()
        wait = _QUERY_WAIT_SECONDS if remaining is None else max(0.0, remaining - 0.5)
        try:
            result: QueryResult = await asyncio.wait_for(asyncio.shield(pending.result), wait)
        except asyncio.TimeoutError:
            raise ServiceError(
                grpc.StatusCode.DEADLINE_EXCEEDED, "query timed out: no worker answered it in time"
            ) from None
        finally:
            if not pending.result.done():
                pending.result.cancel()
        if not result.answered:
            raise invalid_argument(result.error_message or "query failed")
        return rr.QueryWorkflowResponse(query_result=result.payloads)

    @rpc
    async def ResetWorkflowExecution(self, request: Any, context: Any) -> Any:
        raise unimplemented("ResetWorkflowExecution")

    @rpc
    async def UpdateWorkflowExecution(self, request: Any, context: Any) -> Any:
        raise unimplemented("Workflow updates")

    @rpc
    async def DeleteWorkflowExecution(
        self, request: rr.DeleteWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.DeleteWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        execution = request.workflow_execution
        run = engine.get_run(execution.workflow_id, execution.run_id)
        if run.is_open:
            engine.terminate(run, "deleted", None, "")
        engine.runs.pop(run.run_id, None)
        if engine.latest.get(run.workflow_id) is run:
            del engine.latest[run.workflow_id]
        return rr.DeleteWorkflowExecutionResponse()
