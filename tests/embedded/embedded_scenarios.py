"""Workflows and activities the embedded-service conformance tests drive through the real SDK.

Kept apart from the test modules so that the workflow sandbox re-imports only this small module.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import embedded_shared_state as shared


def record(key: str, what: str) -> None:
    shared.ACTIVITY_EVENTS.setdefault(key, []).append(what)


# -- activities ------------------------------------------------------------------------------------


@activity.defn
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def flaky(fail_times: int, non_retryable: bool) -> int:
    """Fail the first ``fail_times`` attempts; return the attempt that succeeded."""
    attempt = activity.info().attempt
    if non_retryable:
        raise ApplicationError("refusing for good", type="Fatal", non_retryable=True)
    if attempt <= fail_times:
        raise ApplicationError(f"attempt {attempt} failed", type="Transient")
    return attempt


@activity.defn
async def sleepy(seconds: float, heartbeat_first: bool) -> str:
    if heartbeat_first:
        activity.heartbeat("beat-1")
    await asyncio.sleep(seconds)
    return "woke"


@activity.defn
async def heartbeat_until_cancelled(key: str) -> str:
    record(key, "started")
    try:
        while True:
            activity.heartbeat("alive")
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        record(key, "cancelled")
        raise


@activity.defn
async def complete_elsewhere(key: str) -> str:
    """Hand the activity to the test, which completes it by id through the client."""
    info = activity.info()
    shared.ACTIVITY_EVENTS.setdefault(key, []).append(info.activity_id)
    activity.raise_complete_async()


# -- workflows -------------------------------------------------------------------------------------


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn
class LocalHelloWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        first = await workflow.execute_local_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )
        second = await workflow.execute_local_activity(
            say_hello, first, start_to_close_timeout=timedelta(seconds=10)
        )
        return second


@dataclass
class RetryInput:
    fail_times: int
    maximum_attempts: int = 0
    non_retryable: bool = False


@workflow.defn
class RetryWorkflow:
    @workflow.run
    async def run(self, params: RetryInput) -> int:
        return await workflow.execute_activity(
            flaky,
            args=[params.fail_times, params.non_retryable],
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=50),
                maximum_interval=timedelta(milliseconds=200),
                maximum_attempts=params.maximum_attempts,
            ),
        )


@dataclass
class TimeoutInput:
    kind: str  # schedule_to_start | start_to_close | schedule_to_close | heartbeat
    unpolled_task_queue: str = ""


@workflow.defn
class ActivityTimeoutWorkflow:
    @workflow.run
    async def run(self, params: TimeoutInput) -> str:
        once = RetryPolicy(maximum_attempts=1)
        second = timedelta(seconds=1)
        if params.kind == "schedule_to_start":
            return await workflow.execute_activity(
                say_hello,
                "nobody",
                task_queue=params.unpolled_task_queue,
                schedule_to_start_timeout=second,
                start_to_close_timeout=timedelta(seconds=5),
            )
        if params.kind == "start_to_close":
            return await workflow.execute_activity(
                sleepy, args=[3.0, False], start_to_close_timeout=second, retry_policy=once
            )
        if params.kind == "schedule_to_close":
            return await workflow.execute_activity(
                sleepy, args=[3.0, False], schedule_to_close_timeout=second
            )
        return await workflow.execute_activity(
            sleepy,
            args=[3.0, True],
            start_to_close_timeout=timedelta(seconds=10),
            heartbeat_timeout=second,
            retry_policy=once,
        )


@workflow.defn
class TimerWorkflow:
    @workflow.run
    async def run(self, seconds: float) -> str:
        # One timer that is cancelled before it fires, one that fires.
        abandoned = asyncio.create_task(asyncio.sleep(60))
        await asyncio.sleep(seconds)
        abandoned.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await abandoned
        return "slept"


@workflow.defn
class SignalWorkflow:
    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.run
    async def run(self, expected: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.received) >= expected)
        return self.received

    @workflow.signal
    def add(self, value: str) -> None:
        self.received.append(value)

    @workflow.query
    def received_so_far(self) -> list[str]:
        return self.received

    @workflow.query
    def broken(self) -> str:
        raise ValueError("this query always fails")

    @workflow.update
    def add_and_count(self, value: str) -> int:
        self.received.append(value)
        return len(self.received)


@workflow.defn
class ContinueAsNewWorkflow:
    @workflow.run
    async def run(self, remaining: int) -> str:
        if remaining > 0:
            workflow.continue_as_new(remaining - 1)
        return f"done after chain, run {workflow.info().run_id != workflow.info().first_execution_run_id}"


@workflow.defn
class CancellableWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            heartbeat_until_cancelled,
            key,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )


@workflow.defn
class WaitForeverWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


@workflow.defn
class ChildWorkflow:
    @workflow.run
    async def run(self, fail: bool) -> str:
        if fail:
            raise ApplicationError("child failed on purpose", type="ChildBoom")
        return f"child {workflow.info().workflow_id} of {workflow.info().parent.workflow_id}"  # type: ignore[union-attr]


@dataclass
class ParentInput:
    child_id: str
    fail: bool = False
    # "wait": run ChildWorkflow to completion; "wait_forever": wait on a child that never ends;
    # "terminate"/"abandon": start a child and return at once with that parent close policy.
    mode: str = "wait"


@workflow.defn
class ParentWorkflow:
    @workflow.run
    async def run(self, params: ParentInput) -> str:
        if params.mode == "wait":
            return await workflow.execute_child_workflow(
                ChildWorkflow.run, params.fail, id=params.child_id
            )
        if params.mode == "wait_forever":
            await workflow.execute_child_workflow(WaitForeverWorkflow.run, id=params.child_id)
            return "unreachable"
        policy = (
            workflow.ParentClosePolicy.TERMINATE
            if params.mode == "terminate"
            else workflow.ParentClosePolicy.ABANDON
        )
        await workflow.start_child_workflow(
            WaitForeverWorkflow.run, id=params.child_id, parent_close_policy=policy
        )
        return "parent done"


@dataclass
class ExternalInput:
    target_id: str
    action: str = "signal"  # or "cancel"


@workflow.defn
class ExternalWorkflow:
    @workflow.run
    async def run(self, params: ExternalInput) -> str:
        handle = workflow.get_external_workflow_handle(params.target_id)
        if params.action == "signal":
            await handle.signal(SignalWorkflow.add, "from-another-workflow")
        else:
            await handle.cancel()
        return params.action


@workflow.defn
class FailingTaskWorkflow:
    """Fails its workflow task the first times it runs (a bug that gets "fixed"), then completes."""

    @workflow.run
    async def run(self) -> str:
        key = workflow.info().workflow_id
        if shared.WORKFLOW_TASK_FAILURES.get(key, 0) > 0:
            shared.WORKFLOW_TASK_FAILURES[key] -= 1
            raise RuntimeError("simulated workflow bug")
        return "recovered"


@workflow.defn
class QuickWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        await asyncio.sleep(0.01)
        workflow.upsert_memo({"seen": value})
        return value


@workflow.defn
class FlakyWorkflow:
    """Fails its first attempts as a workflow (not a workflow task), to exercise workflow retries."""

    @workflow.run
    async def run(self, succeed_on_attempt: int) -> int:
        attempt = workflow.info().attempt
        if attempt < succeed_on_attempt:
            raise ApplicationError(f"workflow attempt {attempt} failed")
        return attempt


TAG = SearchAttributeKey.for_keyword("CustomKeywordField")


@workflow.defn
class TaggingWorkflow:
    @workflow.run
    async def run(self, tag: str) -> str:
        workflow.upsert_search_attributes([TAG.value_set(tag)])
        workflow.upsert_memo({"tag": tag})
        await asyncio.sleep(0.01)
        return tag


@workflow.defn
class AsyncCompletionWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            complete_elsewhere, key, start_to_close_timeout=timedelta(seconds=30)
        )


ALL_WORKFLOWS = [
    HelloWorkflow,
    LocalHelloWorkflow,
    RetryWorkflow,
    ActivityTimeoutWorkflow,
    TimerWorkflow,
    SignalWorkflow,
    ContinueAsNewWorkflow,
    CancellableWorkflow,
    WaitForeverWorkflow,
    ChildWorkflow,
    ParentWorkflow,
    ExternalWorkflow,
    FailingTaskWorkflow,
    QuickWorkflow,
    FlakyWorkflow,
    TaggingWorkflow,
    AsyncCompletionWorkflow,
]
ALL_ACTIVITIES = [say_hello, flaky, sleepy, heartbeat_until_cancelled, complete_elsewhere]
