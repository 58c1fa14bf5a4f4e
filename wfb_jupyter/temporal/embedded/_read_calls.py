"""The read-side RPCs: history (paged and long-polled), describe, list and count."""

from __future__ import annotations

import asyncio

import grpc
from temporalio.api.enums.v1 import task_queue_pb2 as tq_enums
from temporalio.api.enums.v1 import workflow_pb2 as wf
from temporalio.api.history.v1 import message_pb2 as history_pb
from temporalio.api.taskqueue.v1 import message_pb2 as taskqueue_pb
from temporalio.api.workflow.v1 import message_pb2 as workflow_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._activities import ActivityState
from ._clock import duration, timestamp
from ._errors import invalid_argument
from ._rpc import ServiceState, poll_timeout, rpc
from ._visibility import compile_query, execution_info
from ._workflow_state import WorkflowRun

_DEFAULT_HISTORY_PAGE = 1000
_DEFAULT_LIST_PAGE = 1000


def _history_token(run_id: str, next_index: int) -> bytes:
    return f"{run_id}:{next_index}".encode()


def _parse_history_token(raw: bytes, run_id: str) -> int:
    try:
        token_run, index = raw.decode().rsplit(":", 1)
        position = int(index)
    except (UnicodeDecodeError, ValueError):
        raise invalid_argument("Invalid NextPageToken for history.") from None
    if token_run != run_id or position < 0:
        raise invalid_argument("NextPageToken does not belong to this execution.")
    return position


class ReadCalls(ServiceState):
    @rpc
    async def GetWorkflowExecutionHistory(
        self, request: rr.GetWorkflowExecutionHistoryRequest, context: grpc.aio.ServicerContext
    ) -> rr.GetWorkflowExecutionHistoryResponse:
        engine = self.namespaces.engine(request.namespace)
        run = engine.get_run(request.execution.workflow_id, request.execution.run_id)
        position = (
            _parse_history_token(request.next_page_token, run.run_id)
            if request.next_page_token
            else 0
        )
        close_only = request.history_event_filter_type == wf.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT
        wait = poll_timeout(context) if request.wait_new_event else 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            if close_only and run.close_event is not None:
                return rr.GetWorkflowExecutionHistoryResponse(
                    history=history_pb.History(events=[run.close_event])
                )
            events = run.history.events
            if not close_only and position < len(events):
                size = request.maximum_page_size or _DEFAULT_HISTORY_PAGE
                page = events[position : position + size]
                end = position + len(page)
                more = end < len(events) or (request.wait_new_event and run.is_open)
                return rr.GetWorkflowExecutionHistoryResponse(
                    history=history_pb.History(events=page),
                    next_page_token=_history_token(run.run_id, end) if more else b"",
                )
            remaining = deadline - loop.time()
            if not request.wait_new_event or remaining <= 0 or not run.is_open:
                # A long poll that saw nothing new hands back a token to continue from.
                keep_waiting = run.is_open and request.wait_new_event
                token = _history_token(run.run_id, position) if keep_waiting else b""
                return rr.GetWorkflowExecutionHistoryResponse(next_page_token=token)
            await run.history.wait_for_change(remaining)

    @rpc
    async def DescribeWorkflowExecution(
        self, request: rr.DescribeWorkflowExecutionRequest, context: grpc.aio.ServicerContext
    ) -> rr.DescribeWorkflowExecutionResponse:
        engine = self.namespaces.engine(request.namespace)
        run = engine.get_run(request.execution.workflow_id, request.execution.run_id)
        started = run.started
        response = rr.DescribeWorkflowExecutionResponse(
            execution_config=workflow_pb.WorkflowExecutionConfig(
                task_queue=taskqueue_pb.TaskQueue(
                    name=run.task_queue, kind=tq_enums.TASK_QUEUE_KIND_NORMAL
                ),
                workflow_execution_timeout=started.workflow_execution_timeout,
                workflow_run_timeout=started.workflow_run_timeout,
                default_workflow_task_timeout=duration(run.workflow_task_timeout),
            ),
            workflow_execution_info=execution_info(run),
            pending_activities=[_pending_activity(a) for a in run.activities.values()],
        )
        for link in engine.child_links.get(run.run_id, []):
            child = engine.runs.get(link.run_id)
            if child is not None and child.is_open:
                response.pending_children.append(
                    workflow_pb.PendingChildExecutionInfo(
                        workflow_id=child.workflow_id,
                        run_id=child.run_id,
                        workflow_type_name=child.workflow_type,
                        initiated_id=link.initiated_event_id,
                        parent_close_policy=link.close_policy,  # type: ignore[arg-type]
                    )
                )
        task = run.workflow_task
        if task is not None:
            pending = response.pending_workflow_task
            pending.state = (
                wf.PENDING_WORKFLOW_TASK_STATE_STARTED
                if task.started
                else wf.PENDING_WORKFLOW_TASK_STATE_SCHEDULED
            )
            pending.scheduled_time.CopyFrom(timestamp(task.scheduled_time))
            pending.attempt = task.attempt
        return response

    @rpc
    async def ListWorkflowExecutions(
        self, request: rr.ListWorkflowExecutionsRequest, context: grpc.aio.ServicerContext
    ) -> rr.ListWorkflowExecutionsResponse:
        runs = self._matching(request.namespace, request.query)
        try:
            start = int(request.next_page_token.decode() or 0) if request.next_page_token else 0
        except ValueError:
            raise invalid_argument("Invalid NextPageToken for list.") from None
        size = request.page_size or _DEFAULT_LIST_PAGE
        page = runs[start : start + size]
        end = start + len(page)
        return rr.ListWorkflowExecutionsResponse(
            executions=[execution_info(run) for run in page],
            next_page_token=str(end).encode() if end < len(runs) else b"",
        )

    @rpc
    async def ScanWorkflowExecutions(
        self, request: rr.ScanWorkflowExecutionsRequest, context: grpc.aio.ServicerContext
    ) -> rr.ScanWorkflowExecutionsResponse:
        runs = self._matching(request.namespace, request.query)
        return rr.ScanWorkflowExecutionsResponse(executions=[execution_info(run) for run in runs])

    @rpc
    async def CountWorkflowExecutions(
        self, request: rr.CountWorkflowExecutionsRequest, context: grpc.aio.ServicerContext
    ) -> rr.CountWorkflowExecutionsResponse:
        return rr.CountWorkflowExecutionsResponse(
            count=len(self._matching(request.namespace, request.query))
        )

    def _matching(self, namespace: str, query: str) -> list[WorkflowRun]:
        engine = self.namespaces.engine(namespace)
        predicate = compile_query(query)
        # Newest first, as a real server's visibility store orders by start time.
        return [run for run in reversed(engine.runs.values()) if predicate(run)]


def _pending_activity(activity: ActivityState) -> workflow_pb.PendingActivityInfo:
    if activity.cancel_requested_event_id:
        state = wf.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    elif activity.is_started:
        state = wf.PENDING_ACTIVITY_STATE_STARTED
    else:
        state = wf.PENDING_ACTIVITY_STATE_SCHEDULED
    info = workflow_pb.PendingActivityInfo(
        activity_id=activity.attrs.activity_id,
        activity_type=activity.attrs.activity_type,
        state=state,
        attempt=activity.attempt,
        maximum_attempts=activity.attrs.retry_policy.maximum_attempts,
        scheduled_time=timestamp(activity.attempt_scheduled_time),
        last_worker_identity=activity.identity,
    )
    if activity.heartbeat_details is not None:
        info.heartbeat_details.CopyFrom(activity.heartbeat_details)
    if activity.last_heartbeat_time:
        info.last_heartbeat_time.CopyFrom(timestamp(activity.last_heartbeat_time))
    if activity.started_time:
        info.last_started_time.CopyFrom(timestamp(activity.started_time))
    if activity.last_failure is not None:
        info.last_failure.CopyFrom(activity.last_failure)
    if activity.deadline is not None:
        info.expiration_time.CopyFrom(timestamp(activity.deadline))
    return info
