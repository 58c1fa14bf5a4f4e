"""``wfb db prune``: old attempt rows go in batches, the rollups keep their statistics, a dry run changes
nothing, bad ages and old schemas are refused with one line, and hours the rollups do not count are kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from wfb_jupyter.cli import _db
from wfb_jupyter.cli import main as wfb
from wfb_jupyter.statistics import activity_summary
from wfb_jupyter.storage import (
    ActivityAttempt,
    ActivityAttemptRecord,
    Project,
    create_storage_engine,
    get_or_create_workflow,
    record_activity_attempts,
    session_scope,
    upgrade_database,
    utc_now,
    whole_hour,
)

DAY = timedelta(days=1)


def seed(engine: Engine, project: Project, ages: list[timedelta]) -> None:
    with session_scope(engine) as session:
        workflow_id = get_or_create_workflow(session, project.id, "orders").id
        record_activity_attempts(
            session,
            [
                ActivityAttempt(
                    project_id=project.id,
                    workflow_id=workflow_id,
                    version=1,
                    temporal_workflow_id=f"wf-{number}",
                    temporal_run_id="r",
                    step_id="load",
                    component="fetch",
                    status="completed",
                    started_at=utc_now() - age,
                    duration_ms=10 + number,
                )
                for number, age in enumerate(ages)
            ],
        )


def count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ActivityAttemptRecord)) or 0)


def summary(engine: Engine, project: Project) -> Any:
    with session_scope(engine) as session:
        return activity_summary(session, project.id, by=("component",))


class TestPrune:
    def test_dry_run_then_prune_keeps_the_statistics(
        self, engine: Engine, project: Project, database_url: str, capsys: Any
    ) -> None:
        seed(engine, project, [100 * DAY, 95 * DAY, 91 * DAY, 10 * DAY, timedelta(hours=1)])
        before = summary(engine, project)

        assert wfb(["db", "prune", "--older-than", "90d", "--dry-run", "--url", database_url]) == 0
        out = capsys.readouterr().out
        assert "would remove 3 activity attempt rows started before" in out
        assert f"project ETL jobs ({project.id}): 3 rows" in out
        assert "nothing was removed" in out
        assert count(engine) == 5

        assert wfb(["db", "prune", "--older-than", "90d", "--url", database_url]) == 0
        out = capsys.readouterr().out
        assert "Removed 3 attempt rows" in out and "rollups keep" in out
        assert count(engine) == 2
        # The summaries read the rollups: the removed attempts still count, durations and all.
        after = summary(engine, project)
        assert after.to_dict() == before.to_dict()
        assert after.loc[0, "attempts"] == 5

        assert wfb(["db", "prune", "--older-than", "90d", "--url", database_url]) == 0
        assert "nothing to remove" in capsys.readouterr().out

    def test_large_prunes_go_in_batches(
        self, engine: Engine, project: Project, database_url: str, monkeypatch: Any, capsys: Any
    ) -> None:
        monkeypatch.setattr(_db, "PRUNE_BATCH", 4)
        seed(engine, project, [(30 + number) * DAY for number in range(11)] + [DAY])
        assert wfb(["db", "prune", "--older-than", "4w", "--url", database_url]) == 0
        assert "Removed 11 attempt rows" in capsys.readouterr().out
        assert count(engine) == 1

    def test_hours_the_rollups_do_not_count_are_kept(
        self, engine: Engine, project: Project, database_url: str, capsys: Any
    ) -> None:
        seed(engine, project, [200 * DAY, 150 * DAY, 120 * DAY])
        # A row written without its rollup, as a process of an older release would write it.
        unrolled = whole_hour(utc_now() - 150 * DAY) + timedelta(minutes=5)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO activity_executions (project_id, temporal_workflow_id,"
                    " temporal_run_id, step_id, component, attempt, status, started_at)"
                    " VALUES (:project, 'old', 'r', 's', 'c', 1, 'completed', :at)"
                ),
                {
                    "project": project.id,
                    "at": unrolled.replace(tzinfo=None)
                    if engine.dialect.name == "sqlite"
                    else unrolled,
                },
            )
        assert wfb(["db", "prune", "--older-than", "90d", "--url", database_url]) == 0
        out = capsys.readouterr().out
        assert "keeps 3 rows from" in out and "do not count all of them" in out
        assert count(engine) == 3  # the unrolled row's hour and everything after it stay

    @pytest.mark.parametrize("age", ["banana", "90", "-3d", "0d", "30m", "d90", ""])
    def test_a_bad_age_is_one_line_and_removes_nothing(
        self, engine: Engine, project: Project, database_url: str, age: str, capsys: Any
    ) -> None:
        seed(engine, project, [400 * DAY])
        assert wfb(["db", "prune", f"--older-than={age}", "--url", database_url]) == 2
        error = capsys.readouterr().err
        assert error.startswith("wfb db: --older-than takes an age") and f"{age!r}" in error
        assert error.count("\n") == 1 and "Traceback" not in error
        assert count(engine) == 1

    def test_ages_in_weeks_days_and_hours(self) -> None:
        assert _db.parse_age("12w") == timedelta(weeks=12)
        assert _db.parse_age("90 days") == timedelta(days=90)
        assert _db.parse_age("36H") == timedelta(hours=36)
        assert _db.parse_age("1.5d") == timedelta(hours=36)


def test_an_old_schema_is_refused(database_url: str, capsys: Any) -> None:
    engine = create_storage_engine(database_url)
    try:
        upgrade_database(engine, "0003")
        assert wfb(["db", "prune", "--older-than", "90d", "--url", database_url]) == 2
        assert "run `wfb db upgrade` first" in capsys.readouterr().err
    finally:
        engine.dispose()
