"""Long-poll matching: tasks wait in a queue for pollers, or pollers wait for tasks.

A task handed to a poller whose RPC is cancelled before it resumes goes back to the front of its queue, so a
worker that goes away mid-poll never loses work. Tasks can go stale while they wait (the activity was cancelled,
the workflow closed, a sticky task moved to the normal queue); pollers skip those.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Protocol


class Task(Protocol):
    def is_live(self) -> bool: ...


class TaskQueue:
    """Tasks of one kind (workflow or activity) on one named queue."""

    __slots__ = ("_tasks", "_pollers", "poller_identities")

    def __init__(self) -> None:
        self._tasks: deque[Task] = deque()
        self._pollers: deque[asyncio.Future[Task | None]] = deque()
        # Worker identity -> when it last polled (loop wall clock), for DescribeTaskQueue.
        self.poller_identities: dict[str, float] = {}

    def offer(self, task: Task, *, front: bool = False) -> None:
        while self._pollers:
            poller = self._pollers.popleft()
            if not poller.done():
                poller.set_result(task)
                return
        if front:
            self._tasks.appendleft(task)
        else:
            self._tasks.append(task)

    def backlog(self) -> int:
        return len(self._tasks)

    def pending_live_tasks(self) -> list[Task]:
        return [task for task in self._tasks if task.is_live()]

    def drain(self) -> list[Task]:
        """Remove and return every waiting task (used when a sticky queue's worker shuts down)."""
        tasks = [task for task in self._tasks if task.is_live()]
        self._tasks.clear()
        return tasks

    def has_pollers(self) -> bool:
        return any(not poller.done() for poller in self._pollers)

    async def poll(self, timeout: float) -> Task | None:
        """Wait up to ``timeout`` seconds for a live task; ``None`` when none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            while self._tasks:
                task = self._tasks.popleft()
                if task.is_live():
                    return task
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            poller: asyncio.Future[Task | None] = loop.create_future()
            self._pollers.append(poller)
            expiry = loop.call_later(remaining, _resolve_empty, poller)
            try:
                handed_task = await poller
            except asyncio.CancelledError:
                if poller.done() and not poller.cancelled():
                    handed = poller.result()
                    if handed is not None and handed.is_live():
                        self.offer(handed, front=True)
                raise
            finally:
                expiry.cancel()
                # A poll that timed out or was cancelled is still queued; idle workers re-poll forever,
                # so leaving it would grow the queue without bound.
                with contextlib.suppress(ValueError):
                    self._pollers.remove(poller)
            if handed_task is None:
                return None
            if handed_task.is_live():
                return handed_task


def _resolve_empty(poller: asyncio.Future[Task | None]) -> None:
    if not poller.done():
        poller.set_result(None)


class TaskQueueRegistry:
    """All queues of one namespace, created on first use."""

    def __init__(self) -> None:
        self._workflow: dict[str, TaskQueue] = {}
        self._activity: dict[str, TaskQueue] = {}

    def workflow_queue(self, name: str) -> TaskQueue:
        queue = self._workflow.get(name)
        if queue is None:
            queue = self._workflow[name] = TaskQueue()
        return queue

    def activity_queue(self, name: str) -> TaskQueue:
        queue = self._activity.get(name)
        if queue is None:
            queue = self._activity[name] = TaskQueue()
        return queue

    def existing(self, name: str, workflow: bool) -> TaskQueue | None:
        return (self._workflow if workflow else self._activity).get(name)

    def forget_poller(self, identity: str) -> None:
        """A worker shut down: stop reporting it as a poller anywhere."""
        for queues in (self._workflow, self._activity):
            for queue in queues.values():
                queue.poller_identities.pop(identity, None)

    def forget_workflow_queue(self, name: str) -> list[Task]:
        """Drop a (sticky) workflow queue, returning the live tasks that were waiting on it."""
        queue = self._workflow.pop(name, None)
        return queue.drain() if queue is not None else []
