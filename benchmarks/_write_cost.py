"""What keeping the rollups costs when recording attempts: attempts recorded per second with them and without
them (the rollup step of ``record_activity_attempts`` switched off), side by side in alternating rounds, for
large batches and for the small ones a group commit makes under a steady load.

Each round measures both ways on fresh databases, one after the other, and prints its own ratio; the figure is
the median of the rounds' ratios, because on a shared machine one slow round moves a best-of figure a lot.
Each round also gives the ratio of attempts per second of this process's CPU time: other processes' load
moves it much less than wall time (on SQLite all the work but the disk's is the process's own; on PostgreSQL
the server's share is left out, so there the wall-time figure is the one that counts).

Run: .venv/bin/python benchmarks/_write_cost.py [--records 50000] [--rounds 5] [--database-url URL]
(a PostgreSQL URL writes each round into a fresh uuid-named schema; the default is SQLite files)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from _history import DURATIONS, END, ERROR_TYPES, WORKFLOWS
from _schemas import fresh_schema
from sqlalchemy import Engine, make_url

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


@contextlib.contextmanager
def _fresh_engine(directory: Path, database_url: str | None, name: str) -> Iterator[Engine]:
    """A migrated engine on an empty database: a SQLite file in ``directory``, or a new schema on the
    PostgreSQL server of ``database_url`` (dropped afterwards)."""
    if database_url is None:
        engine = create_storage_engine(f"sqlite:///{directory / name}")
        upgrade_database(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with fresh_schema(database_url) as url:
        engine = create_storage_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _project(engine: Engine, records: int) -> list[ActivityAttempt]:
    with session_scope(engine) as session:
        project_id = create_project(session, create_user(session, "w").id, "w").id
        ids = {w: get_or_create_workflow(session, project_id, w).id for w in WORKFLOWS}
    return _attempts(project_id, ids, records)


def _rate(engine: Engine, records: int, batch: int, off: bool) -> tuple[float, float]:
    rows = _project(engine, records)
    switch: Any = rollups_off() if off else contextlib.nullcontext()
    with switch:
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(0, records, batch):
            with session_scope(engine) as session:
                record_activity_attempts(session, rows[start : start + batch])
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    return records / seconds, records / cpu_seconds


def _group_commit_rate(engine: Engine, records: int, off: bool) -> tuple[float, float]:
    """Attempts written one per caller by ``PRODUCERS`` concurrent callers through the process's group
    commit, as a worker's activities write them."""
    rows = _project(engine, records)
    writer = BatchWriter("attempts", _write)

    async def produce(mine: list[ActivityAttempt]) -> None:
        commit = group_commit(engine)
        for row in mine:
            await commit.write(writer, [row])

    switch: Any = rollups_off() if off else contextlib.nullcontext()
    with switch:
        began, cpu = time.perf_counter(), time.process_time()
        asyncio.run(_gather(produce(rows[start::PRODUCERS]) for start in range(PRODUCERS)))
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    return records / seconds, records / cpu_seconds


async def _gather(coroutines: Any) -> None:
    await asyncio.gather(*coroutines)


def _write(session: Any, attempts: Any) -> list[None]:
    record_activity_attempts(session, attempts)
    return [None] * len(attempts)


def bench_write_cost(
    directory: Path, records: int, rounds: int = ROUNDS, database_url: str | None = None
) -> None:
    backend = "SQLite" if database_url is None else make_url(database_url).get_backend_name()
    print(f"\nwrite cost of the rollups on {backend} (median of {rounds} alternating rounds)")
    cases: list[tuple[str, Callable[[Engine, bool], tuple[float, float]]]] = [
        (
            f"group commit, {PRODUCERS} concurrent activities",
            lambda engine, off: _group_commit_rate(engine, records // 4, off),
        ),
        (
            "1,000 attempts per transaction",
            lambda engine, off: _rate(engine, records, 1_000, off),
        ),
        (
            "10 attempts per transaction",
            lambda engine, off: _rate(engine, records // 25, 10, off),
        ),
    ]
    for label, measure in cases:
        print(f"  {label}")
        print(
            f"    {'round':<8} {'without':>10} {'with rollups':>13} {'ratio':>6} {'CPU ratio':>10}"
        )
        ratios: list[float] = []
        cpu_ratios: list[float] = []
        rates: dict[bool, list[float]] = {False: [], True: []}
        for number in range(rounds):
            # Alternating which goes first, so that a machine warming up or slowing down favours neither.
            cpu_rates = {}
            for off in (True, False) if number % 2 == 0 else (False, True):
                with _fresh_engine(
                    directory, database_url, f"w-{len(label)}-{number}-{off}.db"
                ) as e:
                    wall, cpu_rates[off] = measure(e, off)
                    rates[off].append(wall)
            ratios.append(rates[False][-1] / rates[True][-1])
            cpu_ratios.append(cpu_rates[False] / cpu_rates[True])
            print(
                f"    {number + 1:<8} {rates[True][-1]:>8,.0f}/s {rates[False][-1]:>11,.0f}/s"
                f" {ratios[-1]:>6.2f} {cpu_ratios[-1]:>10.2f}"
            )
        print(
            f"    {'median':<8} {statistics.median(rates[True]):>8,.0f}/s"
            f" {statistics.median(rates[False]):>11,.0f}/s {statistics.median(ratios):>6.2f}"
            f" {statistics.median(cpu_ratios):>10.2f}  (goal >= {GOAL})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--database-url", help="a PostgreSQL server to write to (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfb-bench-") as directory:
        bench_write_cost(Path(directory), args.records, args.rounds, args.database_url)


if __name__ == "__main__":
    main()
