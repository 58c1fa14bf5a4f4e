"""The RPCs workers make: long polls for workflow and activity tasks, their responses, heartbeats, shutdown."""

from __future__ import annotations

import asyncio

import grpc
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import query_pb2 as query_enums
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._activities import ActivityState, ActivityTicket
from ._commands import complete_workflow_task
from ._engine import NamespaceEngine
from ._errors import check_blob, invalid_argument, stale_task
from ._rpc import ServiceState, poll_timeout, rpc
from ._tokens import ACTIVITY_TASK, QUERY_TASK, WORKFLOW_TASK, TaskToken
from ._workflow_state import DispatchTicket, QueryResult, WorkflowRun, WorkflowTask


class WorkerCalls(ServiceState):
    # -- workflow tasks -----------------------------------------------------------------------------------

    @rpc
    async def PollWorkflowTaskQueue(
        self, request: rr.PollWorkflowTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.PollWorkflowTaskQueueResponse:
        engine = self.namespaces.engine(request.namespace)
        if not request.task_queue.name:
            raise invalid_argument("TaskQueue is not set on request.")
        queue = engine.queues.workflow_queue(request.task_queue.name)
        ticket = await queue.poll(poll_timeout(context))
        if ticket is None:
            return rr.PollWorkflowTaskQueueResponse()
        assert isinstance(ticket, DispatchTicket)
        if context.cancelled():
            queue.offer(ticket, front=True)
            raise asyncio.CancelledError
        return ticket.run.start_task(ticket, request.identity)

    def _started_workflow_task(self, raw_token: bytes) -> tuple[WorkflowRun, WorkflowTask]:
        token = TaskToken.decode(raw_token, WORKFLOW_TASK)
        engine = self.namespaces.engine(token.namespace)
        run = engine.runs.get(token.run_id)
        task = run.started_task(token) if run is not None else None
        if run is None or task is None:
            raise stale_task("Workflow")
        return run, task

    @rpc
    async def RespondWorkflowTaskCompleted(
        self, request: rr.RespondWorkflowTaskCompletedRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondWorkflowTaskCompletedResponse:
        run, task = self._started_workflow_task(request.task_token)
        complete_workflow_task(run, task, request)
        return rr.RespondWorkflowTaskCompletedResponse()

    @rpc
    async def RespondWorkflowTaskFailed(
        self, request: rr.RespondWorkflowTaskFailedRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondWorkflowTaskFailedResponse:
        run, task = self._started_workflow_task(request.task_token)
        run.sticky_queue = ""
        run.fail_task(
            task, ev.EVENT_TYPE_WORKFLOW_TASK_FAILED, cause=request.cause, failure=request.failure,
            identity=request.identity, binary_checksum=request.binary_checksum,
        )
        return rr.RespondWorkflowTaskFailedResponse()

    @rpc
    async def RespondQueryTaskCompleted(
        self, request: rr.RespondQueryTaskCompletedRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondQueryTaskCompletedResponse:
        token = TaskToken.decode(request.task_token, QUERY_TASK)
        run = self.namespaces.engine(token.namespace).runs.get(token.run_id)
        answered = request.completed_type == query_enums.QUERY_RESULT_TYPE_ANSWERED
        result = QueryResult(answered, request.query_result, request.error_message)
        if run is None or not run.answer_query(token.query_id, result):
            raise stale_task("Query")
        return rr.RespondQueryTaskCompletedResponse()

    # -- activity tasks -----------------------------------------------------------------------------------

    @rpc
    async def PollActivityTaskQueue(
        self, request: rr.PollActivityTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.PollActivityTaskQueueResponse:
        engine = self.namespaces.engine(request.namespace)
        if not request.task_queue.name:
            raise invalid_argument("TaskQueue is not set on request.")
        queue = engine.queues.activity_queue(request.task_queue.name)
        ticket = await queue.poll(poll_timeout(context))
        if ticket is None:
            return rr.PollActivityTaskQueueResponse()
        assert isinstance(ticket, ActivityTicket)
        if context.cancelled():
            queue.offer(ticket, front=True)
            raise asyncio.CancelledError
        return ticket.activity.start(request.identity)

    def _started_activity(self, raw_token: bytes) -> ActivityState:
        token = TaskToken.decode(raw_token, ACTIVITY_TASK)
        engine = self.namespaces.engine(token.namespace)
        run = engine.runs.get(token.run_id)
        activity = run.activities.get(token.scheduled_event_id) if run is not None else None
        if (
            run is None or not run.is_open or activity is None or not activity.is_started
            or activity.attempt != token.attempt
        ):
            raise stale_task("Activity")
        return activity

    @rpc
    async def RespondActivityTaskCompleted(
        self, request: rr.RespondActivityTaskCompletedRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskCompletedResponse:
        activity = self._started_activity(request.task_token)
        check_blob("activity result", request.result.ByteSize())
        activity.complete(request.result, request.identity)
        return rr.RespondActivityTaskCompletedResponse()

    @rpc
    async def RespondActivityTaskFailed(
        self, request: rr.RespondActivityTaskFailedRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskFailedResponse:
        activity = self._started_activity(request.task_token)
        check_blob("activity failure", request.failure.ByteSize())
        details = request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
        activity.fail(request.failure, request.identity, details)
        return rr.RespondActivityTaskFailedResponse()

    @rpc
    async def RespondActivityTaskCanceled(
        self, request: rr.RespondActivityTaskCanceledRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskCanceledResponse:
        activity = self._started_activity(request.task_token)
        activity.canceled(request.details, request.identity)
        return rr.RespondActivityTaskCanceledResponse()

    @rpc
    async def RecordActivityTaskHeartbeat(
        self, request: rr.RecordActivityTaskHeartbeatRequest, context: grpc.aio.ServicerContext
    ) -> rr.RecordActivityTaskHeartbeatResponse:
        activity = self._started_activity(request.task_token)
        check_blob("heartbeat details", request.details.ByteSize())
        cancel_requested = activity.heartbeat(
            request.details if request.HasField("details") else None
        )
        return rr.RecordActivityTaskHeartbeatResponse(cancel_requested=cancel_requested)

    # -- worker lifecycle ---------------------------------------------------------------------------------

    @rpc
    async def ShutdownWorker(
        self, request: rr.ShutdownWorkerRequest, context: grpc.aio.ServicerContext
    ) -> rr.ShutdownWorkerResponse:
        engine = self.namespaces.engine(request.namespace)
        if request.sticky_task_queue:
            release_sticky_queue(engine, request.sticky_task_queue)
        return rr.ShutdownWorkerResponse()

    @rpc
    async def ResetStickyTaskQueue(
        self, request: rr.ResetStickyTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.ResetStickyTaskQueueResponse:
        engine = self.namespaces.engine(request.namespace)
        run = engine.get_run(request.execution.workflow_id, request.execution.run_id)
        run.sticky_queue = ""
        return rr.ResetStickyTaskQueueResponse()


def release_sticky_queue(engine: NamespaceEngine, name: str) -> None:
    """A worker went away: its sticky queue's tasks move to their normal queues, and no more go there."""
    engine.dead_sticky_queues.add(name)
    for ticket in engine.queues.forget_workflow_queue(name):
        assert isinstance(ticket, DispatchTicket)
        ticket.run.sticky_queue = ""
        ticket.run.reroute(ticket)
