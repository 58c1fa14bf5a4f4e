"""What a ``%wfb`` subcommand works with: the Workspace, the notebook's namespace, and the last execution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from wfb_jupyter._workspace import Workspace
    from wfb_jupyter.services import ExecutionHandle


@dataclass
class CommandContext:
    workspace: Workspace
    namespace: dict[str, Any]
    display: Callable[[Any], None]
    last_execution: ExecutionHandle | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def execution(self, workflow_id: str | None) -> ExecutionHandle:
        """The execution a command names, or the last one started from this notebook."""
        if workflow_id:
            return self.workspace.runs.get(workflow_id)
        if self.last_execution is None:
            raise UsageError(
                "no execution started from this notebook yet; give its workflow id (--id ID), "
                "see %wfb executions"
            )
        return self.last_execution


def display_html(html: str) -> None:
    from IPython.display import HTML, display

    display(HTML(html))
