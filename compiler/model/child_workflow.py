"""``child_workflow``: start another workflow type (``name.vN``) and wait for its result."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfb_jupyter.compiler._escape import Code, py_dict, py_str
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering, retry_code, timedelta_code
from wfb_jupyter.compiler.model._common import (
    Context,
    RetrySpec,
    Step,
    Value,
    read_duration,
    read_mapping,
    read_retry,
    read_text,
    read_value,
)

WORKFLOW_TYPE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,127}\Z")


@dataclass
class ChildWorkflowStep(Step):
    workflow: str = ""
    args: dict[str, Value] = field(default_factory=dict)
    task_queue: str | None = None
    execution_timeout: float | None = None
    retry: RetrySpec | None = None

    kind = "child_workflow"
    KIND_KEYS = frozenset({"child_workflow"})
    KEYS = frozenset({"child_workflow", "with", "task_queue", "timeout", "retry"})
    ALIASES = {"args": "with", "input": "with"}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> ChildWorkflowStep:
        problems = context.problems
        workflow = (
            read_text(
                raw.get("child_workflow"), (*path, "child_workflow"), problems, "workflow type"
            )
            or ""
        )
        if not workflow.strip():
            problems.error(
                (*path, "child_workflow"),
                "child_workflow needs a workflow type, e.g. other-flow.v2",
            )
        args = read_mapping(raw.get("with"), (*path, "with"), problems, "child input") or {}
        return cls(
            **common,
            workflow=workflow,
            args={
                key: read_value(value, (*path, "with", key), problems)
                for key, value in args.items()
            },
            task_queue=read_text(
                raw.get("task_queue"), (*path, "task_queue"), problems, "task_queue"
            ),
            execution_timeout=read_duration(raw.get("timeout"), (*path, "timeout"), problems),
            retry=read_retry(raw.get("retry"), (*path, "retry"), problems),
        )

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        if self.workflow and not WORKFLOW_TYPE_PATTERN.match(self.workflow):
            lowering.owner.problems.error(
                (*self.path, "child_workflow"), "not a valid workflow type name"
            )
        options: list[tuple[Code, Code]] = []
        if self.task_queue:
            options.append((Code("task_queue"), py_str(self.task_queue)))
        if self.execution_timeout is not None:
            lowering.uses("timedelta")
            options.append((Code("execution_timeout"), timedelta_code(self.execution_timeout)))
        retry = retry_code(self.retry)
        if retry:
            lowering.uses("retry", "timedelta")
        args = {
            py_str(key): lowering.value(value, "with", key, depth=1)
            for key, value in self.args.items()
        }
        return {
            "workflow": py_str(self.workflow),
            "args": py_dict(args, 0),
            "options": options,
            "retry": retry,
        }

    def describe(self) -> str:
        return f"child {self.workflow}"
