"""What keeping the rollups costs when recording attempts: attempts recorded per second with them and without
them (the rollup step of ``record_activity_attempts`` switched off), side by side in alternating rounds, for
large batches and for the small ones a group commit makes under a steady load."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from _history import DURATIONS, END, ERROR_TYPES, WORKFLOWS

from wfb_jupyter.storage import (
    ActivityAttempt,
    BatchWriter,
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_workflow,
    group_commit,
    record_activity_attempts,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.storage.repository import activities

GOAL = 0.9
ROUNDS = 5
PRODUCERS = 200


@contextlib.contextmanager
def rollups_off() -> Iterator[None]:
    """The write path as it was before rollups: no folding, no rollup upsert."""
    with (
        mock.patch.object(activities, "fold_attempts", lambda rows: ({}, {})),
        mock.patch.object(activities, "add_to_activity_rollups", lambda connection, partials: None),
    ):
        yield


def _attempts(project_id: str, workflow_ids: dict[str, int], count: int) -> list[ActivityAttempt]:
    generator = random.Random(7)
    rows = []
    for index in range(count):
        name = generator.choice(list(WORKFLOWS))
        step, component = generator.choice(list(WORKFLOWS[name].items()))
        median, sigma = DURATIONS[component]
        failed = generator.random() < 0.04
        started = END - timedelta(seconds=(count - index) * 0.5)  # a day or so of history
        rows.append(
            ActivityAttempt(
                project_id=project_id,
                workflow_id=workflow_ids[name],
                version=1,
                temporal_workflow_id=f"{name}-{index // 4}",
                temporal_run_id="run",
                step_id=step,
                activity_id=step,
                component=component,
                attempt=1 + (generator.random() < 0.04),
                status="failed" if failed else "completed",
                error_type=generator.choice(ERROR_TYPES) if failed else None,
                started_at=started,
                duration_ms=max(0, round(generator.lognormvariate(0, sigma) * median)),
            )
        )
    return rows


def _rate(directory: Path, name: str, records: int, batch: int, off: bool) -> float:
    engine = create_storage_engine(f"sqlite:///{directory / name}")
    upgrade_database(engine)
    with session_scope(engine) as session:
        project_id = create_project(session, create_user(session, "w").id, "w").id
        ids = {w: get_or_create_workflow(session, project_id, w).id for w in WORKFLOWS}
    rows = _attempts(project_id, ids, records)
    switch: Any = rollups_off() if off else contextlib.nullcontext()
    with switch:
        began = time.perf_counter()
        for start in range(0, records, batch):
            with session_scope(engine) as session:
                record_activity_attempts(session, rows[start : start + batch])
        seconds = time.perf_counter() - began
    engine.dispose()
    return records / seconds


def _group_commit_rate(directory: Path, name: str, records: int, off: bool) -> float:
    """Attempts written one per caller by ``PRODUCERS`` concurrent callers through the process's group
    commit, as a worker's activities write them."""
    engine = create_storage_engine(f"sqlite:///{directory / name}")
    upgrade_database(engine)
    with session_scope(engine) as session:
        project_id = create_project(session, create_user(session, "w").id, "w").id
        ids = {w: get_or_create_workflow(session, project_id, w).id for w in WORKFLOWS}
    rows = _attempts(project_id, ids, records)
    writer = BatchWriter("attempts", _write)

    async def produce(mine: list[ActivityAttempt]) -> None:
        commit = group_commit(engine)
        for row in mine:
            await commit.write(writer, [row])

    switch: Any = rollups_off() if off else contextlib.nullcontext()
    with switch:
        began = time.perf_counter()
        asyncio.run(_gather(produce(rows[start::PRODUCERS]) for start in range(PRODUCERS)))
        seconds = time.perf_counter() - began
    engine.dispose()
    return records / seconds


async def _gather(coroutines: Any) -> None:
    await asyncio.gather(*coroutines)


def _write(session: Any, attempts: Any) -> list[None]:
    record_activity_attempts(session, attempts)
    return [None] * len(attempts)


def bench_write_cost(directory: Path, records: int) -> None:
    print(f"\nwrite cost of the rollups on SQLite (best of {ROUNDS} alternating rounds)")
    print(f"  {'how':<44} {'without':>10} {'with rollups':>13} {'ratio':>6}")
    cases: list[tuple[str, Any]] = [
        (
            f"group commit, {PRODUCERS} concurrent activities",
            lambda name, off: _group_commit_rate(directory, name, records // 4, off),
        ),
        (
            "1,000 attempts per transaction",
            lambda name, off: _rate(directory, name, records, 1_000, off),
        ),
        (
            "10 attempts per transaction",
            lambda name, off: _rate(directory, name, records // 25, 10, off),
        ),
    ]
    for label, measure in cases:
        best = {False: 0.0, True: 0.0}
        for number in range(ROUNDS):
            for off in (True, False):
                best[off] = max(best[off], measure(f"write-{len(label)}-{number}-{off}.db", off))
        ratio = best[False] / best[True]
        print(
            f"  {label:<44} {best[True]:>8,.0f}/s {best[False]:>11,.0f}/s {ratio:>6.2f}"
            f"  (goal >= {GOAL})"
        )
