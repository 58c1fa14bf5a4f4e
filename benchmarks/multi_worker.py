"""Three workers on one project on PostgreSQL and the managed local Temporal server: the kernel's worker (in this
process) and two ``wfb worker`` sidecars share 600 executions of a three-step workflow; half-way one sidecar is
killed with SIGKILL. Prints executions completed and lost, attempts and duplicates, closes counted by the
rollups, and each worker's share before and after the kill.

Run: WFB_TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/multi_worker.py
     [--executions 600] [--database-url URL] [--temporal-address HOST:PORT]
(a schema of its own is made in that database and dropped afterwards; without --temporal-address, a local
server in a temporary directory.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _schemas import fresh_schema
from _servers import managed_server
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from wfb_jupyter.builds import compile_and_store
from wfb_jupyter.executions import close_finished_executions, start_execution
from wfb_jupyter.storage import (
    ActivityAttemptRecord,
    AttemptTally,
    ExecutionRollup,
    create_storage_engine,
    get_or_create_project,
    get_or_create_user,
    list_executions,
    read_scope,
    session_scope,
    tally_attempts,
)
from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
from wfb_jupyter.workers import ProjectWorkerManager, start_sidecar_worker

STEPS = 3
STALE_SECONDS = 5.0
FLEET = """
name: fleet
input:
  n: {type: integer}
steps:
  - id: first
    call: echo
    with: {value: "${input.n}"}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
  - id: nap
    call: sleep
    with: {seconds: 0.1, heartbeat_interval: 0.1}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
  - id: last
    call: echo
    with: {value: "${steps.first.result}"}
    timeouts: {start_to_close: 3s}
    retry: {initial_interval: 100ms, backoff: 1}
output: ${steps.last.result}
"""


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.25)


def shares(tally: AttemptTally, killed: int) -> str:
    return ", ".join(
        f"{s.mode} {s.pid}{' (killed)' if s.pid == killed else ''}: {s.attempts} "
        f"({s.attempts / max(tally.attempts, 1):.0%})"
        for s in tally.shares
    )


async def bench(database_url: str, address: str, executions: int, logs: Path) -> int:
    engine = create_storage_engine(database_url)
    with session_scope(engine) as session:
        user = get_or_create_user(session, "bench")
        project = get_or_create_project(session, user.id, "fleet").id
        compile_and_store(session, project, FLEET, activate=True)
    connection = TemporalConnection(TemporalSettings(address, "default"))
    manager = ProjectWorkerManager(
        engine,
        connection=connection,
        heartbeat_interval=1.0,
        stale_after=STALE_SECONDS,
        reconcile_interval=1.0,
        reconciler=close_finished_executions,
    )
    sidecars: list[int] = []
    try:
        await manager.start_worker_for_project(project)
        for number in range(2):
            sidecars.append(
                await asyncio.to_thread(
                    start_sidecar_worker,
                    project,
                    database_url=database_url,
                    temporal_address=address,
                    heartbeat_interval=1.0,
                    log_path=logs / f"sidecar-{number}.log",
                )
            )
        return await _run(engine, connection, project, executions, sidecars)
    finally:
        await manager.stop_all()
        for pid in sidecars:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        engine.dispose()


async def _run(
    engine: Engine,
    connection: TemporalConnection,
    project: str,
    executions: int,
    sidecars: list[int],
) -> int:
    client = await connection.get_client()

    def completed() -> int:
        with read_scope(engine) as session:
            rows = list_executions(session, project_id=project, limit=None)
            return sum(1 for row in rows if row.status == "completed")

    def steps_done() -> int:
        """Distinct (run, step) with a completed attempt recorded."""
        row = ActivityAttemptRecord
        done = (
            select(row.temporal_workflow_id, row.step_id)
            .where(row.project_id == project, row.status == "completed")
            .distinct()
            .subquery()
        )
        with read_scope(engine) as session:
            return session.scalar(select(func.count()).select_from(done)) or 0

    def tally() -> AttemptTally:
        with read_scope(engine) as session:
            return tally_attempts(session, project)

    async def start(numbers: range) -> None:
        gate = asyncio.Semaphore(20)

        async def one(n: int) -> None:
            async with gate:  # watch=False: the workers close the records, as when a kernel is gone
                await start_execution(engine, client, project, "fleet", {"n": n}, watch=False)

        await asyncio.gather(*(one(n) for n in numbers))

    half, doomed = executions // 2, sidecars[0]
    began = time.perf_counter()
    await start(range(half))
    await until(lambda: completed() >= half, 600, "the first half")
    await until(lambda: steps_done() >= half * STEPS, 120, "the first half's attempts")
    before = tally()
    print(f"first {half}: {completed()} completed; shares {shares(before, doomed)}")
    rest = asyncio.ensure_future(start(range(half, executions)))
    await until(lambda: completed() >= half + half // 4, 600, "the second half under way")
    os.kill(doomed, signal.SIGKILL)
    killed_at = completed()
    await rest
    await until(lambda: completed() >= executions, 900, "every execution")
    elapsed = time.perf_counter() - began
    await until(lambda: steps_done() >= executions * STEPS, 120, "every step's attempt")
    after = tally()
    with read_scope(engine) as session:
        rows = list_executions(session, project_id=project, limit=None)
        closes = session.scalar(
            select(func.sum(ExecutionRollup.executions)).where(
                ExecutionRollup.project_id == project
            )
        )
        wrong = [r for r in rows if r.status != "completed" or r.result != (r.input or {})["n"]]
    print(f"SIGKILL of sidecar {doomed} with {killed_at} of {executions} completed")
    print(
        f"executions: {len(rows)} recorded, {len(rows) - len(wrong)} completed with the right result"
    )
    print(f"lost: {executions - len(rows) + len(wrong)}, closes counted by the rollups: {closes}")
    print(
        f"attempts: {after.attempts} rows, {after.distinct} distinct, duplicates: {after.duplicates}"
    )
    print(f"shares: {shares(after, doomed)}")
    print(f"throughput: {executions / elapsed:.1f} executions/s ({elapsed:.1f} s in all)")
    ok = not wrong and len(rows) == executions and after.duplicates == 0 and closes == executions
    print("verdict:", "nothing lost or doubled" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=600)
    parser.add_argument("--database-url", default=os.environ.get("WFB_TEST_DATABASE_URL"))
    parser.add_argument("--temporal-address", default=os.environ.get("TEMPORAL_ADDRESS"))
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        # Not a failure of `make bench` on a machine without PostgreSQL: said, and skipped.
        print(
            "skipped: needs PostgreSQL (--database-url or WFB_TEST_DATABASE_URL)", file=sys.stderr
        )
        return 0
    # The sidecars inherit this: a killed one is stale after STALE_SECONDS without heartbeats.
    os.environ["WFB_STALE_SECONDS"] = str(STALE_SECONDS)
    with (
        tempfile.TemporaryDirectory(prefix="wfb-multi-") as directory,
        fresh_schema(args.database_url) as database_url,
        contextlib.ExitStack() as stack,
    ):
        address = args.temporal_address or stack.enter_context(managed_server(Path(directory)))
        print(f"PostgreSQL schema on {make_url(database_url).host}, Temporal at {address}")
        return asyncio.run(bench(database_url, address, args.executions, Path(directory)))


if __name__ == "__main__":
    raise SystemExit(main())
