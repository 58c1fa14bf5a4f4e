"""Live updates for widgets: a daemon thread that fetches a state every few seconds until it is final.

A thread, not the runtime loop, because fetching goes through the Workspace, which itself waits on the runtime
loop; the thread can be paused (the user reads something) and resumed, and stops by itself when done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")


class StatusPoller(Generic[S]):
    """Calls ``fetch`` every ``interval`` seconds and hands the state to ``on_state`` until ``is_final``.

    ``on_error`` receives a failed fetch; polling goes on (a worker restart should not end live status).
    """

    def __init__(
        self,
        fetch: Callable[[], S],
        on_state: Callable[[S], None],
        *,
        is_final: Callable[[S], bool],
        on_error: Callable[[BaseException], None],
        interval: float = 1.0,
    ) -> None:
        self._fetch = fetch
        self._on_state = on_state
        self._is_final = is_final
        self._on_error = on_error
        self.interval = interval
        self._running = threading.Event()
        self._running.set()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wfb-widget-poller", daemon=True)
        self.updates = 0

    def start(self) -> StatusPoller[S]:
        self._thread.start()
        return self

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def done(self) -> bool:
        return self._stopped.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stopped.set()
        self._running.set()  # wake a paused loop so it can end

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the final state; True when polling ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._running.wait()
            if self._stopped.is_set():
                return
            try:
                state = self._fetch()
            except Exception as error:  # noqa: BLE001 - shown by the widget; polling continues
                self._on_error(error)
            else:
                self.updates += 1
                self._on_state(state)
                if self._is_final(state):
                    self._stopped.set()
                    return
            self._stopped.wait(self.interval)
