"""Statistics: record what ran, and read it back as pandas DataFrames.

Aggregates (counts, success rates, duration percentiles, time buckets) are read from the hourly rollups that
recording keeps, so they answer in interactive time however long the history; percentiles come from mergeable
log-bucket histograms, within ``RELATIVE_ERROR`` (1 %) of the exact ones. ``exact=True`` computes them from the
raw rows instead, with one GROUP BY over window-ranked rows (the same SQL on SQLite and PostgreSQL). The raw rows
stay for drill-down: one execution's attempts, the latest failures, with limits and paging.
Every function takes a ``Session``; the caller owns the transaction (``wfb_jupyter.storage.session_scope``).
This package imports pandas: import it lazily from code that runs when the extension loads.
"""

from wfb_jupyter.statistics._frames import (
    ATTEMPT_COLUMNS,
    EXECUTION_COLUMNS,
    activity_attempts_frame,
    execution_durations,
    executions_frame,
)
from wfb_jupyter.statistics._overview import (
    ProjectOverview,
    WorkflowOverview,
    executed_components,
    executed_versions,
    project_overview,
)
from wfb_jupyter.statistics._performance import (
    ActivityPerformance,
    ErrorCount,
    StepPerformance,
    analyze_activity_performance,
)
from wfb_jupyter.statistics._recording import (
    record_activity_execution,
    record_activity_executions,
    record_workflow_execution,
)
from wfb_jupyter.statistics._sql import BUCKETS, PERCENTILES
from wfb_jupyter.statistics._summaries import (
    activity_summaries,
    activity_summary,
    execution_summaries,
    execution_summary,
)
from wfb_jupyter.statistics._summary_shape import (
    ACTIVITY_SUMMARY_COLUMNS,
    EXECUTION_SUMMARY_COLUMNS,
    Grouping,
)
from wfb_jupyter.storage import RELATIVE_ERROR

__all__ = [
    # recording
    "record_activity_execution",
    "record_activity_executions",
    "record_workflow_execution",
    # row-level frames
    "ATTEMPT_COLUMNS",
    "EXECUTION_COLUMNS",
    "activity_attempts_frame",
    "execution_durations",
    "executions_frame",
    # aggregated frames
    "ACTIVITY_SUMMARY_COLUMNS",
    "BUCKETS",
    "EXECUTION_SUMMARY_COLUMNS",
    "PERCENTILES",
    "RELATIVE_ERROR",
    "Grouping",
    "activity_summaries",
    "activity_summary",
    "execution_summaries",
    "execution_summary",
    # analyses
    "ActivityPerformance",
    "ErrorCount",
    "StepPerformance",
    "analyze_activity_performance",
    # projects
    "ProjectOverview",
    "WorkflowOverview",
    "executed_components",
    "executed_versions",
    "project_overview",
]
