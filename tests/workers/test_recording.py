"""The attempt recorder on its own: what it does when the database refuses, and after."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from wfb_jupyter.storage import ActivityAttempt, list_activity_attempts, read_scope
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.workers import AttemptRecorder, _recording


def _attempt(project_id: str, step: str) -> ActivityAttempt:
    now = utc_now()
    return ActivityAttempt(
        project_id=project_id,
        temporal_workflow_id="wf-1",
        temporal_run_id="run-1",
        step_id=step,
        component="noop",
        status="completed",
        started_at=now,
        finished_at=now,
    )


def _stored_steps(engine: Engine) -> list[str]:
    with read_scope(engine) as session:
        return [row.step_id for row in list_activity_attempts(session, "wf-1")]


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """While ``state["refuse"]`` is set, every attempt write fails as a broken disk would."""
    state = {"refuse": True}
    real = _recording.record_activity_attempts

    def record(session: Any, attempts: Any) -> int:
        if state["refuse"]:
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        return real(session, attempts)

    monkeypatch.setattr(_recording, "record_activity_attempts", record)
    return state


async def test_a_refused_attempt_is_kept_and_written_once_the_database_is_back(
    engine: Engine, project_id: str, refusing: dict[str, bool]
) -> None:
    recorder = AttemptRecorder(engine, project_id, {}, wait_limit=5.0)
    began = time.monotonic()
    await recorder.record(_attempt(project_id, "a"))  # returns: the activity result is not held
    assert time.monotonic() - began < 2.0
    assert recorder.recorded == 0 and _stored_steps(engine) == []

    refusing["refuse"] = False
    assert await recorder.flush() == 1
    assert _stored_steps(engine) == ["a"]


async def test_the_retry_loop_writes_refused_attempts_by_itself(
    engine: Engine, project_id: str, refusing: dict[str, bool]
) -> None:
    recorder = AttemptRecorder(engine, project_id, {})
    loop = asyncio.ensure_future(recorder.run())
    try:
        await recorder.record(_attempt(project_id, "a"))
        await recorder.record(_attempt(project_id, "b"))
        refusing["refuse"] = False
        deadline = time.monotonic() + 10
        while recorder.recorded < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert sorted(_stored_steps(engine)) == ["a", "b"]
    assert recorder.recorded == 2


async def test_a_slow_database_holds_a_result_back_no_longer_than_the_wait_limit(
    engine: Engine, project_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _recording.record_activity_attempts

    def slow(session: Any, attempts: Any) -> int:
        time.sleep(1.5)
        return real(session, attempts)

    monkeypatch.setattr(_recording, "record_activity_attempts", slow)
    recorder = AttemptRecorder(engine, project_id, {}, wait_limit=0.3)
    began = time.monotonic()
    await recorder.record(_attempt(project_id, "a"))
    assert time.monotonic() - began < 1.2
    await recorder.flush()  # the write went on in the background and landed
    assert _stored_steps(engine) == ["a"] and recorder.recorded == 1
