from __future__ import annotations

import asyncio
import threading
import time

import pytest

from wfb_jupyter.runtime._loop import BackgroundLoop, RuntimeStoppedError


def test_runs_coroutines_on_its_own_thread() -> None:
    runtime = BackgroundLoop("test-runtime")
    try:

        async def where() -> str:
            return threading.current_thread().name

        assert runtime.run(where()) == "test-runtime"
    finally:
        runtime.shutdown()


def test_timeout_cancels_the_task_on_the_loop() -> None:
    runtime = BackgroundLoop()
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    try:
        with pytest.raises(TimeoutError):
            runtime.run(slow(), timeout=0.1)
        assert cancelled.wait(5)
    finally:
        runtime.shutdown()


def test_shutdown_runs_hooks_newest_first_and_cancels_leftovers() -> None:
    runtime = BackgroundLoop()
    order: list[str] = []

    async def hook(name: str) -> None:
        order.append(name)

    runtime.add_shutdown_hook(lambda: hook("worker"))
    runtime.add_shutdown_hook(lambda: hook("client"))
    forever = runtime.submit(asyncio.sleep(3600))
    started = time.monotonic()
    runtime.shutdown()
    assert time.monotonic() - started < 5
    assert order == ["client", "worker"]
    assert forever.cancelled()
    runtime.shutdown()  # idempotent
    coroutine = asyncio.sleep(0)
    with pytest.raises(RuntimeStoppedError):
        runtime.submit(coroutine)


def test_run_from_the_runtime_thread_is_refused() -> None:
    runtime = BackgroundLoop()
    try:

        async def nested() -> None:
            runtime.run(asyncio.sleep(0))

        with pytest.raises(RuntimeError, match="deadlock"):
            runtime.run(nested())
    finally:
        runtime.shutdown()
