"""The RPCs workers make: long polls for workflow and activity tasks, their responses, heartbeats, shutdown."""

from __future__ import annotations

import asyncio

import grpc
from temporalio.api.enums.v1 import event_type_pb2 as ev
from temporalio.api.enums.v1 import query_pb2 as query_enums
from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._activities import ActivityState, ActivityTicket
from ._clock import now, timestamp
from ._commands import complete_workflow_task
from ._engine import NamespaceEngine
from ._errors import check_blob, invalid_argument, stale_task
from ._queries import QueryResult
from ._rpc import ServiceState, poll_timeout, rpc
from ._tokens import ACTIVITY_TASK, QUERY_TASK, WORKFLOW_TASK, TaskToken
from ._workflow_state import DispatchTicket, WorkflowRun, WorkflowTask

# A worker that has not polled for this long is no longer listed by DescribeTaskQueue.
_POLLER_MEMORY_SECONDS = 120.0

_ByIdRequest = (
    rr.RespondActivityTaskCompletedByIdRequest
    | rr.RespondActivityTaskFailedByIdRequest
    | rr.RespondActivityTaskCanceledByIdRequest
    | rr.RecordActivityTaskHeartbeatByIdRequest
)


class WorkerCalls(ServiceState):
    # -- workflow tasks ----------------------------------------------------------------------------

    @rpc
    async def PollWorkflowTaskQueue(
        self, request: rr.PollWorkflowTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.PollWorkflowTaskQueueResponse:
        ticket = await self._take_ticket(request, context, workflows=True)
        if ticket is None:
            return rr.PollWorkflowTaskQueueResponse()
        assert isinstance(ticket, DispatchTicket)
        from_sticky = request.task_queue.kind == tq_enums.TASK_QUEUE_KIND_STICKY
        return ticket.run.start_task(ticket, request.identity, from_sticky)

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
            task,
            ev.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            cause=request.cause,
            failure=request.failure,
            identity=request.identity,
            binary_checksum=request.binary_checksum,
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

    # -- activity tasks ----------------------------------------------------------------------------

    @rpc
    async def PollActivityTaskQueue(
        self, request: rr.PollActivityTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.PollActivityTaskQueueResponse:
        ticket = await self._take_ticket(request, context, workflows=False)
        if ticket is None:
            return rr.PollActivityTaskQueueResponse()
        assert isinstance(ticket, ActivityTicket)
        return ticket.activity.start(request.identity)

    async def _take_ticket(
        self,
        request: rr.PollWorkflowTaskQueueRequest | rr.PollActivityTaskQueueRequest,
        context: grpc.aio.ServicerContext,
        *,
        workflows: bool,
    ) -> object | None:
        """Long-poll the request's queue for a task; ``None`` when the poll times out empty."""
        engine = self.namespaces.engine(request.namespace)
        if not request.task_queue.name:
            raise invalid_argument("TaskQueue is not set on request.")
        queues = engine.queues
        name = request.task_queue.name
        queue = queues.workflow_queue(name) if workflows else queues.activity_queue(name)
        queue.poller_identities[request.identity] = now()
        ticket = await queue.poll(poll_timeout(context))
        if ticket is not None and context.cancelled():
            # The poller went away before it got the task: it goes back for the next poller.
            queue.offer(ticket, front=True)
            raise asyncio.CancelledError
        return ticket

    def _started_activity_by_id(self, request: _ByIdRequest) -> ActivityState:
        """The started activity a *ById call names (used by asynchronous activity completion)."""
        engine = self.namespaces.engine(request.namespace)
        run = engine.get_open_run(request.workflow_id, request.run_id)
        if not request.activity_id:
            raise invalid_argument("ActivityId is not set on request.")
        for activity in run.activities.values():
            if activity.attrs.activity_id == request.activity_id and activity.is_started:
                return activity
        raise stale_task("Activity")

    def _started_activity(self, raw_token: bytes) -> ActivityState:
        token = TaskToken.decode(raw_token, ACTIVITY_TASK)
        engine = self.namespaces.engine(token.namespace)
        run = engine.runs.get(token.run_id)
        activity = run.activities.get(token.scheduled_event_id) if run is not None else None
        if (
            run is None
            or not run.is_open
            or activity is None
            or not activity.is_started
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
        details = (
            request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
        )
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

    @rpc
    async def RespondActivityTaskCompletedById(
        self, request: rr.RespondActivityTaskCompletedByIdRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskCompletedByIdResponse:
        activity = self._started_activity_by_id(request)
        check_blob("activity result", request.result.ByteSize())
        activity.complete(request.result, request.identity)
        return rr.RespondActivityTaskCompletedByIdResponse()

    @rpc
    async def RespondActivityTaskFailedById(
        self, request: rr.RespondActivityTaskFailedByIdRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskFailedByIdResponse:
        activity = self._started_activity_by_id(request)
        details = (
            request.last_heartbeat_details if request.HasField("last_heartbeat_details") else None
        )
        activity.fail(request.failure, request.identity, details)
        return rr.RespondActivityTaskFailedByIdResponse()

    @rpc
    async def RespondActivityTaskCanceledById(
        self, request: rr.RespondActivityTaskCanceledByIdRequest, context: grpc.aio.ServicerContext
    ) -> rr.RespondActivityTaskCanceledByIdResponse:
        activity = self._started_activity_by_id(request)
        activity.canceled(request.details, request.identity)
        return rr.RespondActivityTaskCanceledByIdResponse()

    @rpc
    async def RecordActivityTaskHeartbeatById(
        self, request: rr.RecordActivityTaskHeartbeatByIdRequest, context: grpc.aio.ServicerContext
    ) -> rr.RecordActivityTaskHeartbeatByIdResponse:
        activity = self._started_activity_by_id(request)
        check_blob("heartbeat details", request.details.ByteSize())
        cancel_requested = activity.heartbeat(
            request.details if request.HasField("details") else None
        )
        return rr.RecordActivityTaskHeartbeatByIdResponse(cancel_requested=cancel_requested)

    # -- worker lifecycle --------------------------------------------------------------------------

    @rpc
    async def ShutdownWorker(
        self, request: rr.ShutdownWorkerRequest, context: grpc.aio.ServicerContext
    ) -> rr.ShutdownWorkerResponse:
        engine = self.namespaces.engine(request.namespace)
        if request.sticky_task_queue:
            release_sticky_queue(engine, request.sticky_task_queue)
        if request.identity:
            engine.queues.forget_poller(request.identity)
        return rr.ShutdownWorkerResponse()

    @rpc
    async def DescribeTaskQueue(
        self, request: rr.DescribeTaskQueueRequest, context: grpc.aio.ServicerContext
    ) -> rr.DescribeTaskQueueResponse:
        engine = self.namespaces.engine(request.namespace)
        if not request.task_queue.name:
            raise invalid_argument("TaskQueue is not set on request.")
        workflow = request.task_queue_type != tq_enums.TASK_QUEUE_TYPE_ACTIVITY
        queue = engine.queues.existing(request.task_queue.name, workflow)
        response = rr.DescribeTaskQueueResponse()
        if queue is not None:
            recent = now() - _POLLER_MEMORY_SECONDS
            for identity, last_access in queue.poller_identities.items():
                if last_access >= recent:
                    response.pollers.append(
                        taskqueue_pb.PollerInfo(
                            identity=identity, last_access_time=timestamp(last_access)
                        )
                    )
        return response

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
