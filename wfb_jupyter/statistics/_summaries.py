"""Aggregated views: counts, success rates and duration percentiles per group (and per time bucket).

They read the hourly rollups that recording keeps (``_rollup_summaries``), so they answer in time that follows the
number of hours and groups asked about, not the number of rows: percentiles are then within ``RELATIVE_ERROR``
(1 %) of the exact ones, every count and the mean and maximum exact. ``exact=True``, and minute buckets (finer
than the rollups), rank the raw rows instead (``_exact_summaries``): exact percentiles, at a cost that grows with
the history, and only over raw rows that ``wfb db prune`` has left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._exact_summaries import exact_activity_summary, exact_execution_summary
from wfb_jupyter.statistics._rollup_summaries import (
    rolled_up_activity_summary,
    rolled_up_execution_summary,
)
from wfb_jupyter.statistics._sql import statuses
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_KEYS,
    EXECUTION_KEYS,
    check_bucket,
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
    names = choose_keys(by, EXECUTION_KEYS)
    check_bucket(bucket)
    if exact or bucket == "minute":
        return exact_execution_summary(
            session,
            project_id,
            names,
            bucket=bucket,
            workflow=workflow,
            version=version,
            status=status,
            since=since,
            until=until,
        )
    return rolled_up_execution_summary(
        session,
        project_id,
        names,
        bucket,
        workflow=workflow,
        version=version,
        status=statuses(status),
        since=since,
        until=until,
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
    names = choose_keys(by, ACTIVITY_KEYS)
    check_bucket(bucket)
    if exact or bucket == "minute":
        return exact_activity_summary(
            session,
            project_id,
            names,
            bucket=bucket,
            component=component,
            workflow=workflow,
            version=version,
            since=since,
            until=until,
        )
    return rolled_up_activity_summary(
        session,
        project_id,
        names,
        bucket,
        component=component,
        workflow=workflow,
        version=version,
        since=since,
        until=until,
    )
