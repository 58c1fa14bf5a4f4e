"""The runtime thread: one asyncio loop, off the kernel's own loop, for all Temporal work in this process.

Cells block the kernel's loop, so clients, in-kernel workers and heartbeats live here. Callers submit coroutines
and either get a ``concurrent.futures.Future`` or block (briefly, interruptibly) for the result.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import gc
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_STOP_TIMEOUT_SECONDS = 15.0


class RuntimeStoppedError(RuntimeError):
    """The runtime thread was shut down; nothing more can run on it in this process."""


class BackgroundLoop:
    """An asyncio loop on a daemon thread, with orderly shutdown hooks."""

    def __init__(self, name: str = "wfb-runtime") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self._shutdown_hooks: list[Callable[[], Awaitable[None]]] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._stopped:
                raise RuntimeStoppedError("the wfb runtime has been shut down in this process")
            if self._loop is None:
                self._start()
            assert self._loop is not None
            return self._loop

    def in_runtime_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        try:
            loop = self.loop
        except RuntimeStoppedError:
            coroutine.close()
            raise
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the runtime loop and wait for it; an interrupt cancels it there too."""
        if self.in_runtime_thread():
            coroutine.close()
            raise RuntimeError("BackgroundLoop.run called from the runtime thread would deadlock")
        future = self.submit(coroutine)
        try:
            return future.result(timeout)
        except (KeyboardInterrupt, concurrent.futures.TimeoutError):
            future.cancel()
            raise

    def add_shutdown_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """``hook`` runs on the loop at shutdown, newest first (workers stop before the client closes)."""
        self._shutdown_hooks.append(hook)

    def remove_shutdown_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        if hook in self._shutdown_hooks:
            self._shutdown_hooks.remove(hook)

    def shutdown(self, timeout: float = _STOP_TIMEOUT_SECONDS) -> None:
        """Run the shutdown hooks, cancel what is left, stop the thread. Idempotent; never hangs past timeout."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._drain(), loop)
        try:
            future.result(timeout)
        except Exception:  # noqa: BLE001 - shutdown goes on regardless, but says what went wrong
            logging.getLogger(__name__).exception("wfb runtime shutdown did not finish cleanly")
            future.cancel()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        # What the loop held (clients, workers) is freed now, while the interpreter is whole: freed during
        # finalization instead, the Temporal SDK's native threads can take the GIL of a dying interpreter and
        # abort the process after its work is done ("PyGILState_Release", temporalio/sdk-python#300).
        gc.collect()

    async def _drain(self) -> None:
        for hook in reversed(self._shutdown_hooks):
            try:
                await asyncio.wait_for(hook(), _STOP_TIMEOUT_SECONDS / 2)
            except Exception:  # noqa: BLE001 - the next hook still runs
                logging.getLogger(__name__).exception("wfb runtime shutdown hook failed")
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _start(self) -> None:
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()


_runtime = BackgroundLoop()
atexit.register(_runtime.shutdown)


def runtime() -> BackgroundLoop:
    """The process-wide runtime loop."""
    return _runtime
