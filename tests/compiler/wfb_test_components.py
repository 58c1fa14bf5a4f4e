"""Component implementations for the compiler's behaviour tests, imported by generated activities modules.

They record what happened (attempt counts, how many ran at once) in module state, which the tests read back:
the activities run in the test process, so the state is shared.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

_lock = threading.Lock()
attempts: dict[str, int] = {}
calls: list[dict[str, Any]] = []
running: dict[str, int] = {}
peak: dict[str, int] = {}


def reset() -> None:
    with _lock:
        attempts.clear()
        calls.clear()
        running.clear()
        peak.clear()


def echo(value: Any = None, **extra: Any) -> Any:
    with _lock:
        calls.append({"value": value, **extra})
    return {"value": value, **extra} if extra else value


def add(a: float, b: float) -> float:
    return a + b


def flaky(key: str, failures: int, error: str = "Flaky") -> dict[str, Any]:
    """Fail the first ``failures`` attempts for ``key`` (counted across retries), then succeed."""
    with _lock:
        attempts[key] = attempts.get(key, 0) + 1
        attempt = attempts[key]
    if attempt <= failures:
        raise RuntimeError(f"{error}: attempt {attempt} of {key}")
    return {"key": key, "attempts": attempt}


async def slow(group: str, seconds: float = 0.3, value: Any = None) -> Any:
    """Sleep while counting how many calls of ``group`` run at the same time."""
    with _lock:
        running[group] = running.get(group, 0) + 1
        peak[group] = max(peak.get(group, 0), running[group])
    try:
        await asyncio.sleep(seconds)
    finally:
        with _lock:
            running[group] -= 1
    return value
