"""A project with months of history, recorded through the product's own write path (as workers record it):
three workflows of three versions each over 30 days, their runs, and one row per activity attempt with
retries, failures of a few error types and log-normal durations per component."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine

from wfb_jupyter.storage import (
    ActivityAttempt,
    ExecutionClose,
    ExecutionStart,
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_workflow,
    record_activity_attempts,
    record_execution_closes,
    record_execution_starts,
    session_scope,
    upgrade_database,
)

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
DAYS = 30
VERSIONS = 3
# step -> component, per workflow
WORKFLOWS = {
    "orders": {"fetch": "http_request", "validate": "python_transform", "store": "sql_query",
               "notify": "log"},
    "billing": {"charge": "http_request", "ledger": "sql_query", "receipt": "log"},
    "reports": {"query": "sql_query", "render": "python_transform", "publish": "http_request",
                "archive": "log", "audit": "log"},
}  # fmt: skip
# component -> (median ms, sigma of the log)
DURATIONS = {
    "http_request": (120.0, 0.8),
    "sql_query": (40.0, 0.6),
    "python_transform": (5.0, 0.5),
    "log": (1.0, 0.4),
}
FAILURE_RATE = 0.04
ERROR_TYPES = ("TimeoutError", "HTTPError", "ValueError")
BATCH = 5_000


@dataclass(frozen=True)
class History:
    engine: Engine
    project_id: str
    attempts: int
    executions: int


def seeded(path: Path, attempts: int, seed: int = 16) -> History:
    """The database at ``path`` with the history, seeding it first when the file does not exist."""
    fresh = not path.exists()
    engine = create_storage_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    if fresh:
        with session_scope(engine) as session:
            project_id = create_project(session, create_user(session, "bench").id, "history").id
        runs = _seed(engine, project_id, attempts, random.Random(seed))
        return History(engine, project_id, attempts, runs)
    with session_scope(engine) as session:
        from wfb_jupyter.storage import get_project_by_name, get_user_by_name

        user = get_user_by_name(session, "bench")
        assert user is not None, f"{path} is not a database this benchmark seeded"
        project = get_project_by_name(session, user.id, "history")
        assert project is not None
        return History(engine, project.id, project.activity_attempt_count, project.execution_count)


def _seed(engine: Engine, project_id: str, attempts: int, generator: random.Random) -> int:
    with session_scope(engine) as session:
        ids = {name: get_or_create_workflow(session, project_id, name).id for name in WORKFLOWS}
    recorded = runs = 0
    starts: list[ExecutionStart] = []
    closes: list[ExecutionClose] = []
    rows: list[ActivityAttempt] = []
    for run in _runs(generator):
        if recorded >= attempts:
            break
        name, started, number = run
        version = 1 + int((started - END + timedelta(days=DAYS)) / timedelta(days=DAYS) * VERSIONS)
        run_id = f"run-{number}"
        moment = started
        failed = False
        for step, component in WORKFLOWS[name].items():
            for attempt in (1, 2):
                median, sigma = DURATIONS[component]
                duration = max(0, round(generator.lognormvariate(0, sigma) * median))
                fails = generator.random() < FAILURE_RATE
                rows.append(
                    ActivityAttempt(
                        project_id=project_id,
                        workflow_id=ids[name],
                        version=version,
                        temporal_workflow_id=f"{name}-{number}",
                        temporal_run_id=run_id,
                        step_id=step,
                        activity_id=step,
                        component=component,
                        attempt=attempt,
                        status="failed" if fails else "completed",
                        error_type=generator.choice(ERROR_TYPES) if fails else None,
                        error="simulated" if fails else None,
                        started_at=moment,
                        finished_at=moment + timedelta(milliseconds=duration),
                        duration_ms=duration,
                    )
                )
                recorded += 1
                moment += timedelta(milliseconds=duration + 3)
                if not fails or attempt == 2:
                    failed = failed or fails
                    break
        starts.append(
            ExecutionStart(ids[name], version, f"{name}-{number}", run_id, started_at=started)
        )
        closes.append(
            ExecutionClose(
                f"{name}-{number}", run_id, "failed" if failed else "completed", closed_at=moment
            )
        )
        runs += 1
        if len(rows) >= BATCH:
            _write(engine, starts, closes, rows)
            starts, closes, rows = [], [], []
    _write(engine, starts, closes, rows)
    return runs


def _runs(generator: random.Random) -> Iterator[tuple[str, datetime, int]]:
    number = 0
    while True:
        name = generator.choice(list(WORKFLOWS))
        yield name, END - timedelta(seconds=generator.uniform(1, DAYS * 86_400)), number
        number += 1


def _write(
    engine: Engine,
    starts: list[ExecutionStart],
    closes: list[ExecutionClose],
    rows: list[ActivityAttempt],
) -> None:
    with session_scope(engine) as session:
        record_execution_starts(session, starts)
        record_execution_closes(session, closes)
        record_activity_attempts(session, rows)
