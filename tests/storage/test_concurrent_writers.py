"""Three processes write at once, as a kernel and two sidecar workers do: every row arrives, no error surfaces."""

from __future__ import annotations

import multiprocessing
import traceback
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_rollups import snapshot

from wfb_jupyter.compiler import CompiledWorkflow
from wfb_jupyter.storage import (
    ActivityAttempt,
    ActivityAttemptRecord,
    ActivityRollup,
    ExecutionRecord,
    Project,
    close_execution,
    create_execution,
    create_storage_engine,
    get_activity_statistics,
    get_or_create_workflow,
    get_project,
    head_revision,
    heartbeat_worker,
    list_compiled_versions,
    next_version,
    rebuild_rollups,
    record_activity_attempts,
    register_worker,
    run_write,
    session_scope,
    store_compiled_code,
)
from wfb_jupyter.storage._histogram import decode
from wfb_jupyter.storage._types import utc_now

RUNS_PER_PROCESS = 25
ATTEMPTS_PER_RUN = 4
BUILDS_BY_KERNEL = 10


def _record_runs(engine: Any, project_id: str, workflow_id: int, name: str) -> None:
    worker_id = run_write(
        engine, lambda s: register_worker(s, project_id, "sidecar", status="running").id
    )
    for run in range(RUNS_PER_PROCESS):
        temporal_id = f"{name}-{run}"
        run_write(engine, partial(_start, workflow_id=workflow_id, temporal_id=temporal_id))
        attempts = [
            ActivityAttempt(
                project_id=project_id,
                workflow_id=workflow_id,
                temporal_workflow_id=temporal_id,
                temporal_run_id="r",
                step_id=f"step{index}",
                component="http_request",
                attempt=1,
                status="completed",
                started_at=utc_now(),
                duration_ms=_duration(run, index),
            )
            for index in range(ATTEMPTS_PER_RUN)
        ]
        run_write(engine, partial(record_activity_attempts, attempts=attempts))
        run_write(
            engine,
            partial(
                close_execution,
                temporal_workflow_id=temporal_id,
                temporal_run_id="r",
                status="completed",
            ),
        )
        run_write(engine, lambda s: heartbeat_worker(s, worker_id))


def _duration(run: int, index: int) -> int:
    # Several histogram bins; each step's rollup row is shared by all three processes.
    return 10 + run * ATTEMPTS_PER_RUN + index


def _start(session: Session, *, workflow_id: int, temporal_id: str) -> ExecutionRecord:
    return create_execution(session, workflow_id, 1, temporal_id, "r")


def _build_versions(engine: Any, workflow_id: int) -> None:
    for build in range(BUILDS_BY_KERNEL):

        def store(session: Session, build: int = build) -> None:
            version = next_version(session, workflow_id)
            code = CompiledWorkflow(
                name="orders",
                version=version,
                workflow_type=f"orders_v{version}",
                workflow_class="Orders",
                module_name=f"orders_v{version}",
                workflow_code=f"# build {build}\n",
                activities_code="",
                worker_code="",
                requirements="",
                checksum=f"checksum-{build}",
            )
            store_compiled_code(session, workflow_id, code)

        run_write(engine, store)


def _process(role: str, url: str, project_id: str, workflow_id: int, start: Any, out: Any) -> None:
    try:
        engine = create_storage_engine(url)
        start.wait(30)
        if role == "kernel":
            _build_versions(engine, workflow_id)
        _record_runs(engine, project_id, workflow_id, role)
        engine.dispose()
        out.put((role, "ok"))
    except BaseException:
        out.put((role, traceback.format_exc()))


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _first_use(url: str, start: Any, out: Any) -> None:
    try:
        from wfb_jupyter.storage import current_revision, get_engine

        start.wait(30)
        out.put(current_revision(get_engine(url)))
    except BaseException:
        out.put(traceback.format_exc())


class TestConcurrentFirstUse:
    def test_three_processes_open_a_new_database_at_once(self, database_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        processes = [
            context.Process(target=_first_use, args=(database_url, start, results))
            for _ in range(3)
        ]
        for process in processes:
            process.start()
        start.set()
        outcomes = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(30)
        assert outcomes == [head_revision()] * 3


class TestConcurrentWriters:
    def test_kernel_and_two_sidecars_write_at_once(
        self, engine: Any, database_url: str, project: Project
    ) -> None:
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        roles = ("kernel", "sidecar-a", "sidecar-b")
        processes = [
            context.Process(
                target=_process, args=(role, database_url, project.id, workflow_id, start, results)
            )
            for role in roles
        ]
        for process in processes:
            process.start()
        start.set()
        outcomes = dict(results.get(timeout=120) for _ in roles)
        for process in processes:
            process.join(30)
        assert outcomes == {role: "ok" for role in roles}

        runs = RUNS_PER_PROCESS * len(roles)
        with session_scope(engine) as session:
            assert _count(session, ExecutionRecord) == runs
            assert _count(session, ActivityAttemptRecord) == runs * ATTEMPTS_PER_RUN
            (stats,) = get_activity_statistics(session, project.id)
            assert stats.attempt_count == runs * ATTEMPTS_PER_RUN
            durations = [
                _duration(run, index)
                for run in range(RUNS_PER_PROCESS)
                for index in range(ATTEMPTS_PER_RUN)
            ]
            assert stats.total_duration_ms == sum(durations) * len(roles)
            counters = get_project(session, project.id)
            assert (counters.execution_count, counters.activity_attempt_count) == (
                runs,
                runs * ATTEMPTS_PER_RUN,
            )
            versions = list_compiled_versions(session, workflow_id)
            assert [v.version for v in versions] == list(range(1, BUILDS_BY_KERNEL + 1))
            assert [v.version for v in versions if v.is_active] == [BUILDS_BY_KERNEL]
            # The processes updated the same rollup rows at once: they hold what the records give.
            written = snapshot(session)
            rebuild_rollups(session.connection())
            assert snapshot(session) == written
            rollups = session.scalars(select(ActivityRollup)).all()
            assert sum(r.attempts for r in rollups) == runs * ATTEMPTS_PER_RUN
            assert (
                sum(sum(decode(r.histogram).values()) for r in rollups) == runs * ATTEMPTS_PER_RUN
            )
            session.rollback()
