"""Helpers of the notebook surface: result values, input parsing, diffs and user-facing messages."""

from wfb_jupyter.notebook._errors import WorkspaceError, definition_problems_message, user_message
from wfb_jupyter.notebook._results import (
    BuildResult,
    CodeDiff,
    ComponentInfo,
    ExecutionSummary,
    ProjectInfo,
    RunOutcome,
    VersionInfo,
)

__all__ = [
    "WorkspaceError",
    "definition_problems_message",
    "user_message",
    "BuildResult",
    "CodeDiff",
    "ComponentInfo",
    "ExecutionSummary",
    "ProjectInfo",
    "RunOutcome",
    "VersionInfo",
]
