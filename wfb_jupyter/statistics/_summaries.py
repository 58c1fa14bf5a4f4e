"""Aggregated views: counts, success rates and duration percentiles per group (and per time bucket).

They read the hourly rollups that recording keeps (``_rollup_summaries``), so they answer in time that follows the
number of hours and groups asked about, not the number of rows: percentiles are then within ``RELATIVE_ERROR``
(1 %) of the exact ones, every count and the mean and maximum exact. ``exact=True``, and minute buckets (finer
than the rollups), rank the raw rows instead (``_exact_summaries``): exact percentiles, at a cost that grows with
the history, and only over raw rows that ``wfb db prune`` has left.

Several summaries over the same filters (a dashboard's table, charts and time series) are cheapest read
together: ``execution_summaries`` and ``activity_summaries`` read the rollup rows once for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._exact_summaries import exact_activity_summary, exact_execution_summary
from wfb_jupyter.statistics._rollup_summaries import (
    rolled_up_activity_summaries,
    rolled_up_execution_summaries,
)
from wfb_jupyter.statistics._sql import statuses
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_KEYS,
    EXECUTION_KEYS,
    Grouping,
    choose_keys,
)


def execution_summary(
    session: Session,
    project_id: str,
    by: Sequence[str] | str = ("workflow", "version"),
    *,
    bucket: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Per group (``by``: workflow, version, status; plus ``bucket`` of ``started_at`` when given): how many
    executions, how they ended, the success rate among closed ones, and duration statistics of closed ones."""
    grouping = Grouping(tuple(choose_keys(by, EXECUTION_KEYS)), bucket)
    return execution_summaries(
        session,
        project_id,
        [grouping],
        workflow=workflow,
        version=version,
        status=status,
        since=since,
        until=until,
        exact=exact,
    )[0]


def execution_summaries(
    session: Session,
    project_id: str,
    groupings: Sequence[Grouping],
    *,
    workflow: str | None = None,
    version: int | None = None,
    status: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exact: bool = False,
) -> list[pd.DataFrame]:
    """``execution_summary`` for each grouping over the same filters, in the groupings' order."""
    filters: dict[str, Any] = {
        "workflow": workflow,
        "version": version,
        "since": since,
        "until": until,
    }
    return _each(
        [grouping.checked(EXECUTION_KEYS) for grouping in groupings],
        exact,
        lambda shared: rolled_up_execution_summaries(
            session, project_id, shared, status=statuses(status), **filters
        ),
        lambda grouping: exact_execution_summary(
            session,
            project_id,
            grouping.by,
            bucket=grouping.bucket,
            status=status,
            percentiles=grouping.percentiles,
            **filters,
        ),
    )


def activity_summary(
    session: Session,
    project_id: str,
    by: Sequence[str] | str = ("component",),
    *,
    bucket: str | None = None,
    component: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Per group (``by``: component, workflow, version, step, status, error_type; ``()`` for one overall row;
    plus ``bucket`` of ``started_at`` when given): attempts, successes, failures, retries (attempts after
    the first), the success rate, and duration statistics."""
    grouping = Grouping(tuple(choose_keys(by, ACTIVITY_KEYS)), bucket)
    return activity_summaries(
        session,
        project_id,
        [grouping],
        component=component,
        workflow=workflow,
        version=version,
        since=since,
        until=until,
        exact=exact,
    )[0]


def activity_summaries(
    session: Session,
    project_id: str,
    groupings: Sequence[Grouping],
    *,
    component: str | None = None,
    workflow: str | None = None,
    version: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    exact: bool = False,
) -> list[pd.DataFrame]:
    """``activity_summary`` for each grouping over the same filters, in the groupings' order."""
    filters: dict[str, Any] = {
        "component": component,
        "workflow": workflow,
        "version": version,
        "since": since,
        "until": until,
    }
    return _each(
        [grouping.checked(ACTIVITY_KEYS) for grouping in groupings],
        exact,
        lambda shared: rolled_up_activity_summaries(session, project_id, shared, **filters),
        lambda grouping: exact_activity_summary(
            session,
            project_id,
            grouping.by,
            bucket=grouping.bucket,
            percentiles=grouping.percentiles,
            **filters,
        ),
    )


def _each(
    groupings: list[Grouping],
    exact: bool,
    read_together: Callable[[list[Grouping]], list[pd.DataFrame]],
    read_exactly: Callable[[Grouping], pd.DataFrame],
) -> list[pd.DataFrame]:
    """Each grouping's summary in order: those the rollups answer from one read of them, the others (exact,
    or per minute: finer than the rollups) each from the raw rows."""
    together = [not exact and grouping.bucket != "minute" for grouping in groupings]
    shared = iter(read_together([g for g, t in zip(groupings, together, strict=True) if t]))
    return [
        next(shared) if t else read_exactly(g) for g, t in zip(groupings, together, strict=True)
    ]
