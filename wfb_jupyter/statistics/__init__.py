"""Statistics: record what ran, and read it back as pandas DataFrames.

Aggregates (counts, success rates, duration percentiles, time buckets) are computed by the database with one
GROUP BY over window-ranked rows, the same SQL on SQLite and PostgreSQL, so only aggregated rows reach Python.
Every function takes a ``Session``; the caller owns the transaction (``wfb_jupyter.storage.session_scope``).
This package imports pandas: import it lazily from code that runs when the extension loads.
"""

from wfb_jupyter.statistics._frames import (
    ATTEMPT_COLUMNS,
    EXECUTION_COLUMNS,
    activity_attempts_frame,
    executions_frame,
)
from wfb_jupyter.statistics._overview import ProjectOverview, WorkflowOverview, project_overview
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
    ACTIVITY_SUMMARY_COLUMNS,
    EXECUTION_SUMMARY_COLUMNS,
    activity_summary,
    execution_summary,
)

__all__ = [
    # recording
    "record_activity_execution",
    "record_activity_executions",
    "record_workflow_execution",
    # row-level frames
    "ATTEMPT_COLUMNS",
    "EXECUTION_COLUMNS",
    "activity_attempts_frame",
    "executions_frame",
    # aggregated frames
    "ACTIVITY_SUMMARY_COLUMNS",
    "BUCKETS",
    "EXECUTION_SUMMARY_COLUMNS",
    "PERCENTILES",
    "activity_summary",
    "execution_summary",
    # analyses
    "ActivityPerformance",
    "ErrorCount",
    "StepPerformance",
    "analyze_activity_performance",
    # projects
    "ProjectOverview",
    "WorkflowOverview",
    "project_overview",
]
