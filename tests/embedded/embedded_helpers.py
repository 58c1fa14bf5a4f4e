"""Helpers shared by the embedded-service conformance tests."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from embedded_scenarios import ALL_ACTIVITIES, ALL_WORKFLOWS
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Replayer, Worker

# Tests of the embedded service's own internals make no sense against a real server.
embedded_only = pytest.mark.skipif(
    bool(os.environ.get("TEMPORAL_ADDRESS")), reason="exercises embedded-service internals"
)


def new_id(prefix: str = "wf") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def new_worker(
    client: Client,
    task_queue: str,
    workflows: Sequence[type] = ALL_WORKFLOWS,
    activities: Sequence[Any] = ALL_ACTIVITIES,
    **options: Any,
) -> Worker:
    """A fresh worker (never reuse a stopped one) that shuts down quickly at the end of a test."""
    options.setdefault("graceful_shutdown_timeout", timedelta(milliseconds=200))
    return Worker(
        client, task_queue=task_queue, workflows=workflows, activities=activities, **options
    )


async def eventually(check: Callable[[], Awaitable[None]], timeout: float = 10.0) -> None:
    """Retry an async assertion until it holds: a real server's visibility store lags a little."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await check()
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def assert_replays(
    handle: WorkflowHandle[Any, Any], workflows: Sequence[type] = ALL_WORKFLOWS
) -> None:
    """The history the service produced replays cleanly in the SDK's Replayer."""
    history = await handle.fetch_history()
    await Replayer(workflows=workflows).replay_workflow(history)
