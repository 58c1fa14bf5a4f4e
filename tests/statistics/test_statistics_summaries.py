"""Summaries: percentiles within the stated error of numpy's (exact with ``exact=True``), buckets, groups,
filters and project isolation."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from stats_seeding import T0, Seeder

from wfb_jupyter.statistics import (
    ACTIVITY_SUMMARY_COLUMNS,
    EXECUTION_SUMMARY_COLUMNS,
    RELATIVE_ERROR,
    activity_summary,
    execution_summary,
)
from wfb_jupyter.storage import session_scope


@pytest.mark.parametrize("exact", [False, True], ids=["rollups", "exact"])
def test_percentiles_match_numpy_on_random_groups(
    engine: Engine, seeder: Seeder, exact: bool
) -> None:
    generator = random.Random(20260301)
    # Sizes 1 and 2 exercise the edges of the interpolation; untimed attempts must not be ranked.
    sizes = {"a": 1, "b": 2, "c": 3, "d": 17, "e": 101}
    durations: dict[str, list[int]] = {}
    rows = []
    for component, size in sizes.items():
        durations[component] = [generator.randint(0, 60_000) for _ in range(size)]
        rows += [{"component": component, "duration_ms": value} for value in durations[component]]
        rows.append({"component": component, "duration_ms": None, "status": "failed"})
    generator.shuffle(rows)
    seeder.attempts(rows)

    with session_scope(engine) as session:
        summary = activity_summary(session, seeder.project_id, by="component", exact=exact)

    assert list(summary["component"]) == sorted(sizes)
    for _, row in summary.iterrows():
        values = durations[row["component"]]
        expected = np.percentile(values, [50, 95, 99])
        # From the rollups' histograms within the stated relative error; ranking the raw rows, exactly.
        within = {"abs": 1e-6} if exact else {"rel": RELATIVE_ERROR}
        assert [row["p50_ms"], row["p95_ms"], row["p99_ms"]] == pytest.approx(expected, **within)
        assert row["mean_ms"] == pytest.approx(np.mean(values))
        assert row["max_ms"] == max(values)
        assert row["attempts"] == len(values) + 1
        assert row["failures"] == 1


def test_activity_summary_counts_successes_failures_and_retries(
    engine: Engine, seeder: Seeder
) -> None:
    seeder.attempts(
        [
            {"step_id": "load", "attempt": 1, "status": "failed", "duration_ms": 10},
            {"step_id": "load", "attempt": 2, "status": "failed", "duration_ms": 20},
            {"step_id": "load", "attempt": 3, "status": "completed", "duration_ms": 30},
            {"step_id": "save", "component": "store", "duration_ms": 5},
        ]
    )
    with session_scope(engine) as session:
        summary = activity_summary(session, seeder.project_id, by=("workflow", "component"))

    assert list(summary.columns) == ["workflow", "component", *ACTIVITY_SUMMARY_COLUMNS]
    fetch = summary.set_index("component").loc["fetch"]
    assert (fetch["attempts"], fetch["successes"], fetch["failures"], fetch["retries"]) == (
        3,
        1,
        2,
        2,
    )
    assert fetch["success_rate"] == pytest.approx(1 / 3)
    assert summary.set_index("component").loc["store", "success_rate"] == 1.0
    assert list(summary["workflow"]) == ["orders", "orders"]


def test_activity_summary_per_time_bucket(engine: Engine, seeder: Seeder) -> None:
    starts = [T0 + timedelta(minutes=25 * index) for index in range(10)]
    seeder.attempts(
        [{"started_at": start, "duration_ms": 100 * i} for i, start in enumerate(starts)]
    )
    expected = pd.Series(1, index=pd.DatetimeIndex(starts)).resample("1h").sum()
    expected = expected[expected > 0]

    with session_scope(engine) as session:
        hourly = activity_summary(session, seeder.project_id, by=(), bucket="hour")
        daily = activity_summary(session, seeder.project_id, by="component", bucket="day")
        minutes = activity_summary(session, seeder.project_id, by=(), bucket="minute")

    assert list(hourly["bucket"]) == list(expected.index)
    assert list(hourly["attempts"]) == list(expected.values)
    assert str(hourly["bucket"].dt.tz) == "UTC"
    assert list(daily["bucket"]) == [pd.Timestamp("2026-03-01", tz="UTC")]
    assert daily.loc[0, "attempts"] == 10
    assert len(minutes) == 10


def test_execution_summary_by_workflow_and_version(engine: Engine, seeder: Seeder) -> None:
    seeder.run("orders", "r1", version=1, seconds=1)
    seeder.run("orders", "r2", version=1, seconds=3)
    seeder.run("orders", "r3", version=2, status="failed", seconds=10, error="boom")
    seeder.run("orders", "r4", version=2, status="running")
    seeder.run("billing", "r5", version=1, status="timed_out", seconds=2)

    with session_scope(engine) as session:
        summary = execution_summary(session, seeder.project_id)
        by_status = execution_summary(session, seeder.project_id, by="status")

    assert list(summary.columns) == ["workflow", "version", *EXECUTION_SUMMARY_COLUMNS]
    assert list(zip(summary["workflow"], summary["version"], strict=True)) == [
        ("billing", 1),
        ("orders", 1),
        ("orders", 2),
    ]
    orders_v1, orders_v2 = summary.iloc[1], summary.iloc[2]
    assert (orders_v1["executions"], orders_v1["completed"], orders_v1["success_rate"]) == (
        2,
        2,
        1.0,
    )
    assert orders_v1["p50_ms"] == pytest.approx(2000.0, rel=RELATIVE_ERROR)
    assert orders_v1["p95_ms"] == pytest.approx(np.percentile([1000, 3000], 95), rel=RELATIVE_ERROR)
    # A running execution counts as an execution, but neither in the success rate nor in durations.
    assert (orders_v2["executions"], orders_v2["failed"], orders_v2["running"]) == (2, 1, 1)
    assert orders_v2["success_rate"] == 0.0
    assert orders_v2["p50_ms"] == 10_000.0  # one value: the histogram's bin is clamped to it
    assert summary.iloc[0]["failed"] == 1  # timed out is a failure
    assert dict(zip(by_status["status"], by_status["executions"], strict=True)) == {
        "completed": 2,
        "failed": 1,
        "running": 1,
        "timed_out": 1,
    }


def test_running_only_group_has_no_success_rate_and_no_durations(
    engine: Engine, seeder: Seeder
) -> None:
    seeder.run("orders", "r1", status="running")
    with session_scope(engine) as session:
        summary = execution_summary(session, seeder.project_id, by="workflow")
    assert summary.loc[0, "executions"] == 1
    assert pd.isna(summary.loc[0, "success_rate"])
    assert pd.isna(summary.loc[0, "p50_ms"]) and pd.isna(summary.loc[0, "max_ms"])


def test_empty_project_gives_empty_frames_with_columns(engine: Engine, seeder: Seeder) -> None:
    with session_scope(engine) as session:
        activities = activity_summary(session, seeder.project_id, by=())
        per_hour = activity_summary(session, seeder.project_id, bucket="hour")
        executions = execution_summary(session, seeder.project_id)
    assert activities.empty and list(activities.columns) == list(ACTIVITY_SUMMARY_COLUMNS)
    assert per_hour.empty and list(per_hour.columns) == [
        "component",
        "bucket",
        *ACTIVITY_SUMMARY_COLUMNS,
    ]
    assert executions.empty and list(executions.columns)[:2] == ["workflow", "version"]


def test_filters_narrow_the_rows_aggregated(engine: Engine, seeder: Seeder) -> None:
    seeder.run("orders", "run-1", version=1)
    seeder.run("orders", "run-2", version=2, started_at=T0 + timedelta(hours=2))
    seeder.attempts(
        [
            {"temporal_run_id": "run-1", "component": "fetch", "duration_ms": 1},
            {
                "temporal_run_id": "run-2",
                "component": "fetch",
                "duration_ms": 2,
                "started_at": T0 + timedelta(hours=2),
            },
            {
                "temporal_run_id": "run-2",
                "component": "store",
                "duration_ms": 3,
                "started_at": T0 + timedelta(hours=2),
            },
        ]
    )
    seeder.attempts([{"component": "fetch", "duration_ms": 4}], workflow="billing")
    project = seeder.project_id
    with session_scope(engine) as session:

        def total(**filters: object) -> int:
            frame = activity_summary(session, project, by=(), **filters)  # type: ignore[arg-type]
            return int(frame["attempts"].sum())

        assert total() == 4
        assert total(component="fetch") == 3
        assert total(workflow="orders") == 3
        assert total(workflow="billing") == 1
        assert total(version=2) == 2
        assert total(since=T0 + timedelta(hours=1)) == 2
        assert total(until=T0 + timedelta(hours=1)) == 2
        assert total(until=T0) == 0  # until is exclusive
        per_version = activity_summary(session, project, by=("version",), workflow="orders")
        assert list(per_version["version"]) == [1, 2]
        assert execution_summary(session, project, version=2)["executions"].sum() == 1
        assert execution_summary(session, project, status="completed")["executions"].sum() == 2
        assert execution_summary(session, project, since=T0 + timedelta(hours=1)).shape[0] == 1


def test_attempts_without_workflow_group_under_a_missing_name(
    engine: Engine, seeder: Seeder
) -> None:
    seeder.attempts([{"duration_ms": 1}], workflow=None)
    seeder.attempts([{"duration_ms": 2}], workflow="orders")
    with session_scope(engine) as session:
        summary = activity_summary(session, seeder.project_id, by="workflow")
    assert summary["workflow"].iloc[0] == "orders"
    assert pd.isna(summary["workflow"].iloc[1])  # NULL keys sort last on every backend


def test_one_projects_data_never_appears_in_another(engine: Engine, make_project: object) -> None:
    first, second = make_project("first"), make_project("second")  # type: ignore[operator]
    first.run("orders", "r1")
    first.attempts([{"duration_ms": 10}])
    second.workflow("orders")  # same workflow name, other project
    with session_scope(engine) as session:
        assert activity_summary(session, second.project_id, by=("workflow",)).empty
        assert execution_summary(session, second.project_id).empty
        assert activity_summary(session, first.project_id, by=()).loc[0, "attempts"] == 1
        assert execution_summary(session, first.project_id).loc[0, "executions"] == 1


def test_bad_group_keys_and_buckets_are_refused(engine: Engine, seeder: Seeder) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match="cannot group by"):
            activity_summary(session, seeder.project_id, by=("colour",))
        with pytest.raises(ValueError, match="cannot group by"):
            execution_summary(session, seeder.project_id, by="component")
        with pytest.raises(ValueError, match="bucket"):
            activity_summary(session, seeder.project_id, bucket="week")
