"""Group commit: concurrent writes share transactions, commits are spaced ``min_interval`` apart under load,
a bad item fails alone, and a database error fails the whole commit for every caller.

Everything runs against the real database of the ``engine`` fixture (SQLite, and PostgreSQL when
``WFB_TEST_DATABASE_URL`` is set); commits are counted with an engine event listener.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from storage_fixtures import migrated_engine

from wfb_jupyter.storage import (
    DatabaseReadOnlyError,
    ExecutionClose,
    ExecutionRecord,
    ExecutionStart,
    Project,
    StorageError,
    create_project,
    create_storage_engine,
    create_user,
    get_or_create_workflow,
    read_scope,
    record_execution_closes,
    record_execution_starts,
    session_scope,
)
from wfb_jupyter.storage._group_commit import BatchWriter, GroupCommit, group_commit
from wfb_jupyter.storage.repository.execution_batches import ALREADY_CLOSED, CLOSED

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc)
MISSING_WORKFLOW = 987_654  # no such workflow: an execution row naming it violates the foreign key


@pytest.fixture
def workflow_id(engine: Engine, project: Project) -> int:
    with session_scope(engine) as session:
        return get_or_create_workflow(session, project.id, "orders").id


class Commits:
    """Counts the transactions committed on an engine, and when each writer call started."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def on_commit(self, _connection: Any) -> None:
        with self._lock:
            self.count += 1

    def called(self) -> None:
        with self._lock:
            self.calls.append(time.monotonic())


@pytest.fixture
def commits(engine: Engine) -> Iterator[Commits]:
    """Commits from here on (the fixtures' own setup transactions are not counted)."""
    counter = Commits(engine)
    event.listen(engine, "commit", counter.on_commit)
    try:
        yield counter
    finally:
        event.remove(engine, "commit", counter.on_commit)


def _start(workflow_id: int, key: str, **values: Any) -> ExecutionStart:
    return ExecutionStart(workflow_id, 1, key, "r", started_at=T0, **values)


def _starts_writer(commits: Commits | None = None) -> BatchWriter[ExecutionStart, str]:
    """Records starts with ``record_execution_starts``; each item's result is its workflow id."""

    def write(session: Session, starts: Sequence[ExecutionStart]) -> list[str]:
        if commits is not None:
            commits.called()
        record_execution_starts(session, starts)
        return [start.temporal_workflow_id for start in starts]

    return BatchWriter("starts", write)


def _stored(engine: Engine) -> list[str]:
    """The runs recorded, read without committing (so the commit count is left alone)."""
    with read_scope(engine) as session:
        return sorted(session.scalars(select(ExecutionRecord.temporal_workflow_id)))


class TestSharing:
    async def test_concurrent_writes_share_one_commit_and_each_caller_gets_its_results(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        writer = _starts_writer(commits)
        batches = [
            [_start(workflow_id, f"t{task}-{item}") for item in range(task % 4 + 1)]
            for task in range(40)
        ]
        commit = GroupCommit(engine)
        results = await asyncio.gather(*(commit.write(writer, batch) for batch in batches))
        assert results == [[start.temporal_workflow_id for start in batch] for batch in batches]
        # Every caller queued its write before the first commit took its turn: one transaction for all.
        assert (commits.count, len(commits.calls)) == (1, 1)
        assert _stored(engine) == sorted(
            start.temporal_workflow_id for batch in batches for start in batch
        )

    async def test_two_writers_in_one_commit_each_caller_gets_its_own_slice(
        self, engine: Engine, project: Project, workflow_id: int, commits: Commits
    ) -> None:
        with session_scope(engine) as session:
            record_execution_starts(session, [_start(workflow_id, f"old-{n}") for n in range(4)])
        commits.count = 0
        starts = _starts_writer()
        closes = BatchWriter("closes", record_execution_closes)
        commit = GroupCommit(engine)
        calls = [
            commit.write(starts, [_start(workflow_id, "new-0"), _start(workflow_id, "new-1")]),
            commit.write(closes, [ExecutionClose("old-0", "r", "completed", closed_at=T0)]),
            commit.write(starts, [_start(workflow_id, "new-2")]),
            commit.write(
                closes,
                [
                    ExecutionClose("old-1", "r", "failed", closed_at=T0),
                    ExecutionClose("old-0", "r", "failed", closed_at=T0),  # closed by the 2nd call
                    ExecutionClose("old-2", "r", "completed", closed_at=T0),
                ],
            ),
            commit.write(starts, []),  # nothing to write: returns at once, commits nothing
            commit.write(closes, [ExecutionClose("old-1", "r", "completed", closed_at=T0)]),
        ]
        assert await asyncio.gather(*calls) == [
            ["new-0", "new-1"],
            [CLOSED],
            ["new-2"],
            [CLOSED, ALREADY_CLOSED, CLOSED],
            [],
            [ALREADY_CLOSED],
        ]
        assert commits.count == 1
        with read_scope(engine) as session:
            statuses = dict(
                session.execute(
                    select(ExecutionRecord.temporal_workflow_id, ExecutionRecord.status)
                ).all()
            )
        assert statuses == {
            "old-0": "completed",
            "old-1": "failed",
            "old-2": "completed",
            "old-3": "running",
            "new-0": "running",
            "new-1": "running",
            "new-2": "running",
        }

    async def test_a_caller_that_gives_up_leaves_its_write_in_the_commit(
        self, engine: Engine, workflow_id: int
    ) -> None:
        writer = _starts_writer()
        commit = GroupCommit(engine)
        abandoned = asyncio.ensure_future(commit.write(writer, [_start(workflow_id, "abandoned")]))
        await asyncio.sleep(0)
        abandoned.cancel()
        assert await commit.write(writer, [_start(workflow_id, "kept")]) == ["kept"]
        assert abandoned.cancelled()
        assert _stored(engine) == ["abandoned", "kept"]

    async def test_one_group_commit_per_engine_on_a_loop(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        other = create_storage_engine(f"sqlite:///{tmp_path}/other.db")
        try:
            assert group_commit(engine) is group_commit(engine)
            assert group_commit(other) is not group_commit(engine)
        finally:
            other.dispose()


class TestTiming:
    async def test_a_quiet_writer_commits_at_once(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        writer = _starts_writer()
        commit = GroupCommit(engine, min_interval=5)
        began = time.monotonic()
        assert await commit.write(writer, [_start(workflow_id, "first")]) == ["first"]
        assert time.monotonic() - began < 1
        assert commits.count == 1
        assert _stored(engine) == ["first"]

    async def test_a_write_after_a_quiet_spell_commits_at_once(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        writer = _starts_writer()
        commit = GroupCommit(engine, min_interval=0.3)
        await commit.write(writer, [_start(workflow_id, "a")])
        await asyncio.sleep(0.35)
        began = time.monotonic()
        await commit.write(writer, [_start(workflow_id, "b")])
        assert time.monotonic() - began < 0.2
        # Right after a commit, with no writes announced, the next commit does not wait either.
        began = time.monotonic()
        await commit.write(writer, [_start(workflow_id, "c")])
        assert time.monotonic() - began < 0.2
        assert commits.count == 3

    async def test_a_commit_waits_for_announced_writes_up_to_the_interval(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        writer = _starts_writer()
        commit = GroupCommit(engine, min_interval=0.3)
        await commit.write(writer, [_start(workflow_id, "a")])
        # A write announced and never made: the next commit waits the rest of the interval for it, no more.
        forgotten = commit.expect()
        began = time.monotonic()
        await commit.write(writer, [_start(workflow_id, "b")])
        assert 0.2 < time.monotonic() - began < 1.0
        forgotten()
        forgotten()  # releasing twice counts once
        # A write announced and made soon: both go in one commit, as soon as it is there.
        announced = commit.expect()
        began = time.monotonic()
        first = commit.submit(writer, [_start(workflow_id, "c")])
        await asyncio.sleep(0.05)
        second = commit.submit(writer, [_start(workflow_id, "d")])
        announced()
        assert await first == ["c"] and await second == ["d"]
        assert time.monotonic() - began < 0.25
        assert commits.count == 3
        assert _stored(engine) == ["a", "b", "c", "d"]

    async def test_under_load_commits_are_at_least_min_interval_apart(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        interval = 0.1
        writer = _starts_writer(commits)
        commit = GroupCommit(engine, min_interval=interval)
        deadline = time.monotonic() + 0.65
        written: list[str] = []

        async def busy(task: int) -> None:
            """Like a worker with activities always under way: the next one is running (announced) while
            the record of the last one waits for its commit."""
            n = 0
            release = commit.expect()
            while time.monotonic() < deadline:
                key = f"t{task}-{n}"
                await asyncio.sleep(0.003)
                future = commit.submit(writer, [_start(workflow_id, key)])
                release, finished = commit.expect(), release
                finished()
                assert await future == [key]
                written.append(key)
                n += 1
            release()

        began = time.monotonic()
        await asyncio.gather(*(busy(task) for task in range(10)))
        elapsed = time.monotonic() - began
        gaps = [later - earlier for earlier, later in itertools.pairwise(commits.calls)]
        assert len(commits.calls) >= 5
        # A few ms of slack for the thread that runs each commit to get going.
        assert min(gaps) > interval - 0.02, gaps
        assert commits.count == len(commits.calls) <= elapsed / interval + 1
        assert len(written) > commits.count  # writes were grouped
        assert _stored(engine) == sorted(written)


def _plain_insert_writer(workflow_id: int, calls: list[list[str]]) -> BatchWriter[str, int]:
    """Inserts one row per item with a plain INSERT (a duplicate would fail); a ``"bad"`` item inserts its row
    too, then raises ValueError. Each item's result is its row id."""

    def write(session: Session, keys: Sequence[str]) -> list[int]:
        calls.append(list(keys))
        ids = []
        for key in keys:
            row = {
                "workflow_id": workflow_id,
                "version": 1,
                "temporal_workflow_id": key,
                "temporal_run_id": "r",
                "status": "running",
                "started_at": T0,
            }
            ids.append(
                session.execute(
                    insert(ExecutionRecord).returning(ExecutionRecord.id), row
                ).scalar_one()
            )
            if key.startswith("bad"):
                raise ValueError(f"{key} is bad")
        return ids

    return BatchWriter("plain inserts", write)


class TestBadItems:
    async def test_a_bad_item_fails_alone_and_the_others_are_committed(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        calls: list[list[str]] = []
        writer = _plain_insert_writer(workflow_id, calls)
        commit = GroupCommit(engine)
        first, second = await asyncio.gather(
            commit.write(writer, ["a", "bad", "b"]), commit.write(writer, ["c"])
        )
        assert isinstance(first[1], ValueError) and str(first[1]) == "bad is bad"
        # The first attempt inserted "a" and "bad" before failing: its savepoint was rolled back, else the
        # retry of "a" would have hit the unique constraint; the retry of "bad" alone was rolled back too.
        assert calls == [["a", "bad", "b", "c"], ["a"], ["bad"], ["b"], ["c"]]
        with read_scope(engine) as session:
            ids = dict(
                session.execute(
                    select(ExecutionRecord.temporal_workflow_id, ExecutionRecord.id)
                ).all()
            )
        assert ids.keys() == {"a", "b", "c"}
        assert (first[0], first[2], second) == (ids["a"], ids["b"], [ids["c"]])
        assert commits.count == 1

    async def test_a_foreign_key_violation_fails_only_its_item(
        self, engine: Engine, workflow_id: int, commits: Commits
    ) -> None:
        writer = _starts_writer()
        commit = GroupCommit(engine)
        results = await asyncio.gather(
            commit.write(writer, [_start(workflow_id, "good-1")]),
            commit.write(
                writer,
                [
                    _start(workflow_id, "good-2"),
                    _start(MISSING_WORKFLOW, "orphan"),
                    _start(workflow_id, "good-3"),
                ],
            ),
            commit.write(writer, [_start(workflow_id, "good-4")]),
        )
        assert results[0] == ["good-1"] and results[2] == ["good-4"]
        good_2, orphan, good_3 = results[1]
        assert (good_2, good_3) == ("good-2", "good-3")
        assert isinstance(orphan, IntegrityError)
        assert _stored(engine) == ["good-1", "good-2", "good-3", "good-4"]
        assert commits.count == 1
        # The group commit goes on: the next write commits too.
        assert await commit.write(writer, [_start(workflow_id, "later")]) == ["later"]
        assert "later" in _stored(engine)

    async def test_a_lone_bad_item_does_not_fail_the_other_writers(
        self, engine: Engine, workflow_id: int
    ) -> None:
        starts = _starts_writer()
        inserts = _plain_insert_writer(workflow_id, [])
        commit = GroupCommit(engine)
        good, bad = await asyncio.gather(
            commit.write(starts, [_start(workflow_id, "good")]),
            commit.write(inserts, ["bad"]),
            return_exceptions=True,
        )
        assert good == ["good"]
        assert isinstance(bad, list) and isinstance(bad[0], ValueError)
        assert _stored(engine) == ["good"]


def _broken_writer(calls: list[int]) -> BatchWriter[str, None]:
    """Fails the way a database does when it is unreachable: not the items' fault."""

    def write(session: Session, items: Sequence[str]) -> list[None]:
        calls.append(len(items))
        session.connection()
        raise OperationalError(
            "INSERT ...", {}, Exception("server closed the connection unexpectedly")
        )

    return BatchWriter("broken", write)


class TestWholeCommitFailures:
    async def test_an_operational_error_fails_every_caller_of_the_commit(
        self, engine: Engine, workflow_id: int
    ) -> None:
        starts = _starts_writer()
        calls: list[int] = []
        broken = _broken_writer(calls)
        commit = GroupCommit(engine)
        results = await asyncio.gather(
            commit.write(starts, [_start(workflow_id, "a"), _start(workflow_id, "b")]),
            commit.write(broken, ["x", "y"]),
            commit.write(starts, [_start(workflow_id, "c")]),
            return_exceptions=True,
        )
        assert all(isinstance(result, StorageError) for result in results), results
        assert results[0] is results[1] is results[2]
        assert isinstance(results[0].__cause__, OperationalError)
        assert calls == [2]  # not retried item by item: no item is to blame
        assert _stored(engine) == []  # the starts written before the error were rolled back
        # The next commit is independent of the failed one.
        assert await commit.write(starts, [_start(workflow_id, "d")]) == ["d"]
        assert _stored(engine) == ["d"]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(f"sqlite:///{tmp_path}/group.db") as engine:
        yield engine


@pytest.fixture
def sqlite_workflow(sqlite_engine: Engine) -> int:
    with session_scope(sqlite_engine) as session:
        user = create_user(session, "Alice")
        project = create_project(session, user.id, "ETL jobs")
        return get_or_create_workflow(session, project.id, "orders").id


class TestSQLiteOperationalErrors:
    async def test_a_read_only_database_fails_every_caller(
        self, sqlite_engine: Engine, sqlite_workflow: int
    ) -> None:
        with session_scope(sqlite_engine) as session:
            record_execution_starts(session, [_start(sqlite_workflow, "before")])

        def read_only(connection: Any) -> None:
            connection.exec_driver_sql("PRAGMA query_only = ON")

        event.listen(sqlite_engine, "begin", read_only)
        starts = _starts_writer()
        closes = BatchWriter("closes", record_execution_closes)
        commit = GroupCommit(sqlite_engine)
        results = await asyncio.gather(
            commit.write(starts, [_start(sqlite_workflow, "a"), _start(sqlite_workflow, "b")]),
            commit.write(closes, [ExecutionClose("before", "r", "completed")]),
            commit.write(starts, [_start(sqlite_workflow, "c")]),
            return_exceptions=True,
        )
        assert all(isinstance(result, DatabaseReadOnlyError) for result in results), results
        assert isinstance(results[0].__cause__, OperationalError)
        event.remove(sqlite_engine, "begin", read_only)
        sqlite_engine.dispose()  # connections that were switched to query_only
        with read_scope(sqlite_engine) as session:
            rows = session.execute(
                select(ExecutionRecord.temporal_workflow_id, ExecutionRecord.status)
            ).all()
            assert [tuple(row) for row in rows] == [("before", "running")]

    async def test_a_failing_statement_of_one_writer_rolls_back_the_others(
        self, sqlite_engine: Engine, sqlite_workflow: int
    ) -> None:
        def missing_table(session: Session, items: Sequence[str]) -> list[None]:
            session.execute(
                text("INSERT INTO no_such_table VALUES (1)")
            )  # OperationalError on SQLite
            return [None] * len(items)

        starts = _starts_writer()
        commit = GroupCommit(sqlite_engine)
        results = await asyncio.gather(
            commit.write(starts, [_start(sqlite_workflow, "a")]),
            commit.write(BatchWriter("missing table", missing_table), ["x", "y"]),
            commit.write(starts, [_start(sqlite_workflow, "b")]),
            return_exceptions=True,
        )
        assert all(isinstance(result, StorageError) for result in results), results
        assert "no such table" in str(results[0])
        with read_scope(sqlite_engine) as session:
            assert session.scalar(select(func.count()).select_from(ExecutionRecord)) == 0
        assert await commit.write(starts, [_start(sqlite_workflow, "c")]) == ["c"]
        assert _stored(sqlite_engine) == ["c"]


def test_each_event_loop_has_its_own_group_commit(engine: Engine, workflow_id: int) -> None:
    """Each event loop has its own group commit; both write to the same database."""

    async def write(keys: list[str]) -> list[str]:
        return await group_commit(engine).write(
            _starts_writer(), [_start(workflow_id, key) for key in keys]
        )

    assert asyncio.run(write(["x", "y"])) == ["x", "y"]
    assert asyncio.run(write(["z"])) == ["z"]
    assert _stored(engine) == ["x", "y", "z"]


async def test_a_writer_breaking_its_contract_fails_without_writing_twice(
    engine: Engine, workflow_id: int
) -> None:
    def returns_nothing(session: Session, items: Sequence[str]) -> list[None]:
        record_execution_starts(session, [_start(workflow_id, item) for item in items])
        return []

    commit = GroupCommit(engine)
    results = await commit.write(BatchWriter("returns nothing", returns_nothing), ["a", "b"])
    assert [type(result) for result in results] == [TypeError, TypeError]
    assert _stored(engine) == []
