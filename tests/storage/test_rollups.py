"""Rollups: the histogram's error bound, and rollup rows kept at write time equal to what the stored records
give (which is also how the migration builds them for existing data)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from wfb_jupyter.storage import (
    RELATIVE_ERROR,
    ActivityAttempt,
    ActivityFailureRollup,
    ActivityRollup,
    ExecutionRollup,
    Project,
    bin_of,
    close_execution,
    create_execution,
    create_storage_engine,
    epoch_hour,
    get_or_create_workflow,
    head_revision,
    rebuild_rollups,
    record_activity_attempts,
    representative,
    session_scope,
    upgrade_database,
)
from wfb_jupyter.storage._histogram import decode, encode, merged
from wfb_jupyter.storage._histogram_sql import register_sqlite_function, sqlite_merge
from wfb_jupyter.storage.repository.rollup_fold import Partial, Partials, fold_attempts

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


class TestHistogram:
    @given(st.integers(min_value=1, max_value=10**11))
    def test_every_duration_reads_within_the_relative_error(self, duration: int) -> None:
        assert abs(representative(bin_of(duration)) - duration) <= RELATIVE_ERROR * duration * (
            1 + 1e-9
        )

    def test_zero_has_a_bin_of_its_own(self) -> None:
        assert bin_of(0) == 0 and representative(0) == 0.0
        assert bin_of(1) > 0

    def test_bins_grow_with_the_duration(self) -> None:
        bins = [bin_of(duration) for duration in range(0, 5000)]
        assert bins == sorted(bins)

    def test_stored_form_round_trips_and_merges_by_adding(self) -> None:
        counts = {0: 2, 17: 1, 900: 40_000}
        assert decode(encode(counts)) == counts
        assert decode(merged(encode(counts), {17: 2, 3: 1})) == {0: 2, 3: 1, 17: 3, 900: 40_000}
        assert decode(merged(None, {5: 1})) == {5: 1}
        assert encode({}) == b"" and decode(b"") == {}


def snapshot(session: Session) -> dict[str, Any]:
    """Every rollup row by its key: its group, its aggregates and its histogram's counts."""
    found: dict[str, Any] = {}
    for model in (ActivityRollup, ActivityFailureRollup, ExecutionRollup):
        table = model.__table__
        names = [c.name for c in table.columns if c.name not in ("id", "histogram")]  # type: ignore[attr-defined]
        for row in session.execute(select(table)).mappings():
            found[row["rollup_key"]] = (
                tuple(row[name] for name in names),
                decode(row["histogram"]),
            )
    return found


def attempt(project_id: str, workflow_id: int | None, **fields: Any) -> ActivityAttempt:
    defaults: dict[str, Any] = {
        "project_id": project_id,
        "workflow_id": workflow_id,
        "temporal_workflow_id": "wf",
        "temporal_run_id": "run",
        "step_id": "load",
        "component": "fetch",
        "status": "completed",
        "started_at": T0,
    }
    return ActivityAttempt(**{**defaults, **fields})


class TestRollupsAtWriteTime:
    def test_one_row_per_hour_and_group_with_its_counts(
        self, engine: Engine, project: Project
    ) -> None:
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
            record_activity_attempts(
                session,
                [
                    attempt(project.id, workflow_id, version=1, duration_ms=10),
                    attempt(project.id, workflow_id, version=1, duration_ms=30, attempt=2),
                    attempt(
                        project.id,
                        workflow_id,
                        version=1,
                        status="failed",
                        error_type="Boom",
                        duration_ms=None,
                    ),
                    attempt(
                        project.id,
                        workflow_id,
                        version=1,
                        duration_ms=20,
                        started_at=T0 + timedelta(minutes=61),
                    ),
                ],
            )
        with session_scope(engine) as session:
            rows = session.scalars(select(ActivityRollup).order_by(ActivityRollup.hour)).all()
            (failure,) = session.scalars(select(ActivityFailureRollup)).all()
        shape = [
            (r.hour - epoch_hour(T0), r.attempts, r.successes, r.retries, r.timed) for r in rows
        ]
        assert shape == [(0, 3, 2, 1, 2), (1, 1, 1, 0, 1)]
        first = rows[0]
        assert (first.duration_sum_ms, first.duration_min_ms, first.duration_max_ms) == (40, 10, 30)
        assert (first.success_min_ms, first.success_max_ms) == (10, 30)
        assert decode(first.histogram) == {bin_of(10): 1, bin_of(30): 1}
        assert (first.version, first.step_id, first.component) == (1, "load", "fetch")
        # The failure, broken down by status and error type, in a row that names its attempt rollup row.
        assert (failure.status, failure.error_type, failure.attempts, failure.timed) == (
            "failed",
            "Boom",
            1,
            0,
        )
        assert failure.attempt_rollup_key == first.rollup_key

    def test_equal_to_what_the_records_give_whatever_the_batches(
        self, engine: Engine, project: Project
    ) -> None:
        generator = random.Random(4)
        with session_scope(engine) as session:
            workflows = [get_or_create_workflow(session, project.id, name).id for name in "ab"]
        runs = []
        for number in range(30):
            workflow_id = generator.choice(workflows)
            started = T0 + timedelta(minutes=generator.randint(0, 600))
            runs.append((f"run-{number}", workflow_id, generator.randint(1, 3), started))
        with session_scope(engine) as session:
            for run_id, workflow_id, version, started in runs:
                create_execution(session, workflow_id, version, "wf", run_id, started_at=started)
        for batch in range(6):
            with session_scope(engine) as session:
                record_activity_attempts(
                    session,
                    [
                        attempt(
                            project.id,
                            workflow_id,
                            temporal_run_id=run_id,  # no version: looked up from the run's row
                            step_id=generator.choice(["load", "save"]),
                            component=generator.choice(["fetch", "store"]),
                            status=generator.choice(["completed", "completed", "failed"]),
                            attempt=generator.randint(1, 3),
                            started_at=started + timedelta(seconds=generator.randint(0, 7200)),
                            duration_ms=generator.choice([None, 0, generator.randint(1, 90_000)]),
                        )
                        for run_id, workflow_id, _, started in generator.sample(runs, 12)
                    ],
                )
            with session_scope(engine) as session:
                for run_id, _, _, started in runs[batch * 5 : batch * 5 + 5]:
                    status = generator.choice(["completed", "failed", "lost"])
                    close_execution(
                        session, "wf", run_id, status, closed_at=started + timedelta(seconds=batch)
                    )
        with session_scope(engine) as session:
            written = snapshot(session)
            folded = rebuild_rollups(session.connection())
            rebuilt = snapshot(session)
            session.rollback()
        assert written == rebuilt
        with session_scope(engine) as session:
            closed = session.scalar(select(func.sum(ExecutionRollup.executions)))
            lost = session.scalar(
                text("SELECT count(*) FROM workflow_executions WHERE status = 'lost'")
            )
        assert lost > 0
        assert folded == (72, closed) == (72, 30 - lost)  # lost runs have no outcome: left out

    def test_closing_a_run_twice_counts_it_once(self, engine: Engine, project: Project) -> None:
        with session_scope(engine) as session:
            workflow_id = get_or_create_workflow(session, project.id, "orders").id
            create_execution(session, workflow_id, 2, "wf", "r", started_at=T0)
        for _ in range(2):
            with session_scope(engine) as session:
                close_execution(
                    session, "wf", "r", "completed", closed_at=T0 + timedelta(seconds=3)
                )
        with session_scope(engine) as session:
            (row,) = session.scalars(select(ExecutionRollup)).all()
        assert (row.version, row.status, row.executions, row.duration_sum_ms) == (
            2,
            "completed",
            1,
            3000,
        )
        assert row.hour == epoch_hour(T0)


class TestFoldAttempts:
    """``fold_attempts`` works group by group; ``Partial.add``, attempt by attempt, is what it must equal."""

    def test_equal_to_adding_each_attempt(self) -> None:
        generator = random.Random(5)
        rows = [
            {
                "project_id": generator.choice(["p", "q"]),
                "started_at": T0 + timedelta(minutes=generator.randrange(300)),
                "workflow_id": generator.choice([1, 2, None]),
                "version": generator.choice([1, None]),
                "step_id": generator.choice(["load", "save"]),
                "component": "fetch",
                "status": generator.choice(["completed"] * 8 + ["failed", "timed_out"]),
                "error_type": generator.choice([None, "ValueError", "OSError"]),
                "attempt": generator.choice([0, 1, 1, 1, 2, 5]),
                "duration_ms": generator.choice([None, 0, 1, 7, 250, 86_400_000]),
            }
            for _ in range(3_000)
        ]
        expected: tuple[Partials, Partials] = ({}, {})
        for row in rows:
            key = (row["project_id"], epoch_hour(row["started_at"]), row["workflow_id"])
            key += (row["version"], row["step_id"], row["component"])
            success, retry = row["status"] == "completed", row["attempt"] > 1
            expected[0].setdefault(key, Partial()).add(row["duration_ms"], retry, success)
            if not success:
                failed = (*key, row["status"], row["error_type"])
                expected[1].setdefault(failed, Partial()).add(row["duration_ms"], retry)
        assert fold_attempts(rows) == expected
        # Folded in pieces into the same partials, as the migration folds its chunks; small batches take
        # the attempt-by-attempt path.
        assert fold_attempts(rows[1_000:], fold_attempts(rows[:1_000])) == expected
        folded: tuple[Partials, Partials] = ({}, {})
        for start in range(0, len(rows), 7):
            fold_attempts(rows[start : start + 7], folded)
        assert folded == expected


class TestMergeInSQLite:
    """SQLite's upsert merges histograms in the statement: byte for byte what ``merged`` gives."""

    def test_same_bytes_as_merged(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL reads the stored histograms and merges them in Python")
        generator = random.Random(3)
        cases = [
            ({}, {}),
            ({}, {4: 1}),
            ({4: 1}, {}),
            ({65_535: 2**31 + 5}, {65_535: 2**31 - 6, 0: 1}),
        ]
        for _ in range(40):
            cases.append(
                tuple(  # type: ignore[arg-type]
                    {generator.randrange(1_100): generator.randrange(1, 2**20) for _ in range(n)}
                    for n in (generator.randrange(60), generator.randrange(8))
                )
            )
        expression = sqlite_merge(":stored", ":added")
        query = text(f"SELECT {expression.compile(dialect=engine.dialect)}")
        with engine.connect() as connection:
            register_sqlite_function(connection)
            for stored, added in cases:
                got = connection.execute(
                    query, {"stored": encode(stored), "added": encode(added)}
                ).scalar_one()
                assert bytes(got) == merged(encode(stored), added), (stored, added)


class TestMigrationBuildsRollups:
    def test_existing_records_get_their_rollups(self, database_url: str) -> None:
        engine = create_storage_engine(database_url)
        try:
            upgrade_database(engine, "0003")
            with engine.begin() as connection:
                _old_records(connection)
            assert upgrade_database(engine) == head_revision()
            with session_scope(engine) as session:
                rows = session.scalars(select(ActivityRollup).order_by(ActivityRollup.hour)).all()
                runs = session.scalars(select(ExecutionRollup)).all()
            assert [(r.hour - epoch_hour(T0), r.version, r.attempts, r.timed) for r in rows] == [
                (0, 1, 2, 2),
                (2, None, 1, 0),  # no execution row: no version
            ]
            assert decode(rows[0].histogram) == {bin_of(5): 1, bin_of(500): 1}
            assert [(r.version, r.status, r.executions, r.duration_max_ms) for r in runs] == [
                (1, "completed", 1, 4000)
            ]
        finally:
            engine.dispose()


def _old_records(connection: Any) -> None:
    """What a database of revision 0003 holds: written in SQL, as that release's code would have."""
    naive = T0.replace(tzinfo=None) if connection.dialect.name == "sqlite" else T0
    values = {"t0": naive, "t2": naive + timedelta(hours=2), "t4": naive + timedelta(seconds=4)}
    for statement in (
        "INSERT INTO users (id, name, created_at) VALUES ('u', 'U', :t0)",
        "INSERT INTO projects (id, user_id, name, description, task_queue, created_at, execution_count,"
        " execution_success_count, execution_failure_count, activity_attempt_count,"
        " activity_failure_count) VALUES ('p', 'u', 'p', '', 'u-p', :t0, 1, 1, 0, 3, 0)",
        "INSERT INTO workflows (id, project_id, name, description, created_at, updated_at)"
        " VALUES (1, 'p', 'orders', '', :t0, :t0)",
        "INSERT INTO workflow_executions (workflow_id, version, temporal_workflow_id, temporal_run_id,"
        " status, started_at, closed_at, duration_ms) VALUES (1, 1, 'wf', 'r', 'completed', :t0, :t4,"
        " 4000)",
        "INSERT INTO activity_executions (project_id, workflow_id, temporal_workflow_id,"
        " temporal_run_id, step_id, component, attempt, status, started_at, duration_ms) VALUES"
        " ('p', 1, 'wf', 'r', 's', 'c', 1, 'completed', :t0, 5),"
        " ('p', 1, 'wf', 'r', 's', 'c', 2, 'completed', :t0, 500),"
        " ('p', 1, 'other', 'r', 's', 'c', 1, 'failed', :t2, NULL)",
    ):
        connection.execute(text(statement), values)


@pytest.mark.parametrize("hours", [0, 1, 1000])
def test_epoch_hour(hours: int) -> None:
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(hours=hours, minutes=59)
    assert epoch_hour(moment) == hours
