"""Summaries read from the rollups agree with the raw rows ranked exactly: every count, mean and maximum equal,
every percentile within the stated error, for any grouping, bucket, filter and window (windows that do not
start or end on the hour take their edges from the raw rows)."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, delete
from stats_seeding import T0, Seeder

from wfb_jupyter.statistics import (
    RELATIVE_ERROR,
    Grouping,
    activity_summaries,
    activity_summary,
    execution_summaries,
    execution_summary,
)
from wfb_jupyter.storage import ActivityAttemptRecord, session_scope

EXACT_COLUMNS = (
    "attempts",
    "successes",
    "failures",
    "retries",
    "executions",
    "completed",
    "failed",
    "running",
    "success_rate",
    "mean_ms",
    "max_ms",
)


@pytest.fixture
def history(seeder: Seeder) -> Seeder:
    """Two workflows, three versions, runs over ten hours (some still running), and their attempts."""
    generator = random.Random(16)
    attempts = []
    for number in range(60):
        workflow = generator.choice(["orders", "billing"])
        started = T0 + timedelta(minutes=generator.randint(0, 600), seconds=generator.random())
        status = generator.choice(["completed", "completed", "failed", "running"])
        run_id = f"run-{number}"
        seeder.run(
            workflow,
            run_id,
            version=generator.randint(1, 3),
            status=status,
            started_at=started,
            seconds=generator.uniform(0.01, 90),
        )
        for step in range(generator.randint(1, 4)):
            outcome = generator.choice(["completed", "completed", "failed", "cancelled"])
            attempts.append(
                (
                    workflow,
                    {
                        "temporal_workflow_id": f"{workflow}-id",
                        "temporal_run_id": run_id,
                        "step_id": f"step-{step}",
                        "component": generator.choice(["fetch", "store", "log"]),
                        "status": outcome,
                        # As workers record them: only a failure has an error type.
                        "error_type": None
                        if outcome == "completed"
                        else generator.choice([None, "Timeout"]),
                        "attempt": generator.randint(1, 3),
                        "started_at": started + timedelta(seconds=step * 50),
                        "duration_ms": generator.choice([None, 0, generator.randint(1, 60_000)]),
                    },
                )
            )
    for workflow in ("orders", "billing"):
        seeder.attempts([row for name, row in attempts if name == workflow], workflow=workflow)
    return seeder


def assert_agree(rolled_up: pd.DataFrame, exact: pd.DataFrame) -> None:
    assert list(rolled_up.columns) == list(exact.columns)
    assert len(rolled_up) == len(exact)
    keys = [c for c in exact.columns if c not in EXACT_COLUMNS and not c.startswith("p")]
    for column in keys:
        assert _values(rolled_up[column]) == _values(exact[column]), column
    for column in (c for c in EXACT_COLUMNS if c in exact.columns):
        assert _numbers(rolled_up[column]) == pytest.approx(_numbers(exact[column]), nan_ok=True), (
            column
        )
    for column in (c for c in exact.columns if c.startswith("p") and c.endswith("_ms")):
        assert _numbers(rolled_up[column]) == pytest.approx(
            _numbers(exact[column]), rel=RELATIVE_ERROR, nan_ok=True
        ), column


def _numbers(column: pd.Series) -> list[float]:
    return [float("nan") if pd.isna(value) else float(value) for value in column]


def _values(column: pd.Series) -> list[object]:
    return [None if pd.isna(value) else value for value in column]


WINDOWS = {
    "all": (None, None),
    "whole hours": (T0 + timedelta(hours=2), T0 + timedelta(hours=7)),
    "ragged edges": (T0 + timedelta(hours=1, minutes=17), T0 + timedelta(hours=6, minutes=41)),
    "inside one hour": (T0 + timedelta(hours=3, minutes=5), T0 + timedelta(hours=3, minutes=50)),
    "from a ragged start": (T0 + timedelta(minutes=333), None),
    "until a ragged end": (None, T0 + timedelta(minutes=333)),
}


@pytest.mark.parametrize(
    ("by", "bucket"),
    [
        ((), None),
        (("component",), None),
        (("workflow", "version", "step"), None),
        (("status", "error_type"), None),
        ((), "hour"),
        (("component",), "day"),
    ],
)
def test_activity_summaries_agree(
    engine: Engine, history: Seeder, by: tuple[str, ...], bucket: str | None
) -> None:
    with session_scope(engine) as session:
        filtering = ({}, {"workflow": "orders"}, {"component": "fetch", "version": 2})
        # Each window with one of the filters in turn (all pairs cost more than they find).
        for (since, until), filters in zip(WINDOWS.values(), itertools.cycle(filtering)):
            arguments = {"by": by, "bucket": bucket, "since": since, "until": until, **filters}
            assert_agree(
                activity_summary(session, history.project_id, **arguments),  # type: ignore[arg-type]
                activity_summary(session, history.project_id, exact=True, **arguments),  # type: ignore[arg-type]
            )


@pytest.mark.parametrize(
    ("by", "bucket"),
    [
        (("workflow", "version"), None),
        (("status",), None),
        ((), "hour"),
        (("workflow",), "day"),
    ],
)
def test_execution_summaries_agree(
    engine: Engine, history: Seeder, by: tuple[str, ...], bucket: str | None
) -> None:
    statuses = {"status": ["completed", "running"]}
    with session_scope(engine) as session:
        filtering = ({}, {"workflow": "billing", "version": 1}, statuses)
        for (since, until), filters in zip(WINDOWS.values(), itertools.cycle(filtering)):
            arguments = {"by": by, "bucket": bucket, "since": since, "until": until, **filters}
            assert_agree(
                execution_summary(session, history.project_id, **arguments),  # type: ignore[arg-type]
                execution_summary(session, history.project_id, exact=True, **arguments),  # type: ignore[arg-type]
            )


def test_summaries_outlive_the_raw_attempts(engine: Engine, history: Seeder) -> None:
    with session_scope(engine) as session:
        before = activity_summary(session, history.project_id, by=("component",))
        session.execute(delete(ActivityAttemptRecord))  # what pruning does to old rows
    with session_scope(engine) as session:
        after = activity_summary(session, history.project_id, by=("component",))
        assert activity_summary(session, history.project_id, exact=True).empty
    pd.testing.assert_frame_equal(before, after)


GROUPINGS = [
    Grouping(("workflow", "version")),
    Grouping(("workflow",), percentiles=(0, 25, 50, 75, 100)),
    Grouping((), "hour"),
    Grouping(("version",), "day", percentiles=(10,)),
    Grouping((), "minute"),
]


@pytest.mark.parametrize("window", ["all", "ragged edges"])
def test_summaries_read_together_are_each_summary(
    engine: Engine, history: Seeder, window: str
) -> None:
    """One read of the rollups for several groupings gives each grouping's own summary (read alone, and
    exactly ranked within the error), whatever percentiles each asks for; minute buckets come exact."""
    since, until = WINDOWS[window]
    with session_scope(engine) as session:
        project = history.project_id
        together = execution_summaries(session, project, GROUPINGS, since=since, until=until)
        for grouping, summary in zip(GROUPINGS, together, strict=True):
            alone = execution_summaries(session, project, [grouping], since=since, until=until)[0]
            pd.testing.assert_frame_equal(summary, alone)
            exact = execution_summaries(
                session, project, [grouping], since=since, until=until, exact=True
            )[0]
            assert_agree(summary, exact)
            assert [c for c in summary.columns if c.startswith("p")] == [
                f"p{percent}_ms" for percent in grouping.percentiles
            ]
        by_component = Grouping(("component",), percentiles=(25, 75))
        activities = activity_summaries(
            session, project, [by_component, Grouping((), "hour")], workflow="orders"
        )
        exact = activity_summary(session, project, (), bucket="hour", workflow="orders")
        pd.testing.assert_frame_equal(activities[1], exact)
        assert_agree(
            activities[0],
            activity_summaries(session, project, [by_component], workflow="orders", exact=True)[0],
        )


def test_a_grouping_is_checked() -> None:
    with pytest.raises(ValueError, match="percentiles must be distinct whole numbers"):
        Grouping(percentiles=(50, 101)).checked(("workflow",))
    with pytest.raises(ValueError, match="percentiles must be distinct"):
        Grouping(percentiles=(50, 50)).checked(("workflow",))
    with pytest.raises(ValueError, match="cannot group by"):
        Grouping(("colour",)).checked(("workflow",))
    assert Grouping("workflow").by == ("workflow",)


def test_versions_and_components_that_ran_agree_with_the_summaries(
    engine: Engine, history: Seeder
) -> None:
    from wfb_jupyter.statistics import executed_components, executed_versions

    with session_scope(engine) as session:
        project = history.project_id
        for workflow in (None, "orders", "billing", "nothing-ran"):
            by_version = execution_summary(session, project, by="version", workflow=workflow)
            assert executed_versions(session, project, workflow) == sorted(
                int(version) for version in by_version["version"]
            )
        by_component = activity_summary(session, project, by="component")
        assert executed_components(session, project) == list(by_component["component"])
        session.execute(delete(ActivityAttemptRecord))  # pruned attempts still count
        assert executed_components(session, project) == list(by_component["component"])


def test_percentiles_count_bins_in_a_table_or_by_sorting_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting entries into a group-by-bin table (small tables) and sorting them (large ones) read the
    same percentiles, also where entries take durations out of a part (negative counts)."""
    import numpy as np

    from wfb_jupyter.statistics import _histograms
    from wfb_jupyter.statistics._histograms import Entries, bins_of, group_percentiles

    generator = np.random.default_rng(16)
    durations = np.ceil(generator.lognormal(5, 2, 5_000))  # whole milliseconds, as recorded
    parts = generator.integers(0, 40, 5_000)
    entries = Entries(parts, bins_of(durations), np.ones(5_000, dtype=np.int64))
    taken = Entries(parts[:500], bins_of(durations[:500]), -np.ones(500, dtype=np.int64))
    entries = entries.concat(taken)
    groups = (np.arange(40) % 7).astype(np.int64)
    percents = (0, 25, 50, 95, 100)
    dense = group_percentiles(groups, entries, 8, percents, np.zeros(8), np.full(8, np.inf))
    monkeypatch.setattr(_histograms, "DENSE_CELLS", 0)
    by_sorting = group_percentiles(groups, entries, 8, percents, np.zeros(8), np.full(8, np.inf))
    for percent in percents:
        np.testing.assert_allclose(dense[percent], by_sorting[percent], equal_nan=True)
        assert np.isnan(dense[percent][7])  # a group without entries has no percentile
        kept = durations[500:][groups[parts[500:]] == 3]
        assert dense[percent][3] == pytest.approx(np.percentile(kept, percent), rel=RELATIVE_ERROR)
