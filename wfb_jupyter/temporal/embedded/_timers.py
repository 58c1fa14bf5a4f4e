"""Named, cancellable loop callbacks owned by one run; all of them go when the run closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)


class Timers:
    __slots__ = ("_handles",)

    def __init__(self) -> None:
        self._handles: dict[Hashable, asyncio.TimerHandle] = {}

    def set(self, key: Hashable, delay: float, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback(*args)`` after ``delay`` seconds, replacing any timer under ``key``."""
        self.cancel(key)
        loop = asyncio.get_running_loop()
        self._handles[key] = loop.call_later(max(delay, 0.0), self._fire, key, callback, args)

    def cancel(self, key: Hashable) -> None:
        handle = self._handles.pop(key, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._handles

    def _fire(self, key: Hashable, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._handles.pop(key, None)
        try:
            callback(*args)
        except Exception:
            # A timer callback has no caller to report to; keep the service alive and say what broke.
            log.exception("embedded Temporal service: timer %r failed", key)
