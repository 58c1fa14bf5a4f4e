"""Plain values the Workspace returns: what was built, stored, diffed, listed. Each renders itself as text,
so magics, widgets, tests and scripts show the same words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from wfb_jupyter.services._diff import side_by_side_html

if TYPE_CHECKING:
    from wfb_jupyter.executions import ExecutionRef

BuildOutcome = Literal["created", "unchanged", "dry-run"]
CODE_KINDS = ("workflow", "activities", "worker", "requirements", "definition")
_STEPS_SHOWN = 12  # a build summary names this many steps; the graph below it shows them all


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    user_id: str
    task_queue: str


@dataclass(frozen=True)
class BuildResult:
    """One ``build``: which version holds the definition now, and whether anything changed."""

    name: str
    project: ProjectInfo
    version: int
    outcome: BuildOutcome
    active: bool
    checksum: str
    manifest: dict[str, Any]
    definition_source: str
    warnings: tuple[Any, ...] = ()  # compiler ``Problem``s of level "warning", with their positions
    same_as_version: int | None = (
        None  # for "unchanged" and dry runs: the stored version with this checksum
    )
    worker_note: str = ""

    @property
    def steps(self) -> list[str]:
        return list(self.manifest.get("steps", []))

    def summary(self, first_line: int = 1) -> str:
        """What happened, in a few lines; ``first_line`` is where the definition starts (2 under ``%%workflow``),
        so that warnings name the line the user sees."""
        steps = self.steps
        step_text = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
        where = f"project {self.project.name!r}"
        if self.outcome == "dry-run":
            if self.same_as_version is not None:
                head = (
                    f"Dry run: {self.name!r} is unchanged (same as version {self.same_as_version}); "
                    "nothing stored."
                )
            else:
                head = f"Dry run: {self.name!r} compiles ({step_text}); it would be version {self.version}; nothing stored."
        elif self.outcome == "unchanged":
            state = "active" if self.active else "not active"
            head = (
                f"{self.name!r} is unchanged: version {self.version} already has this definition "
                f"({state}; {where})."
            )
        else:
            state = "active" if self.active else "stored, not active (activate with %wfb activate)"
            head = f"Built {self.name!r} version {self.version} ({step_text}, {state}; {where})."
        shown = ", ".join(steps[:_STEPS_SHOWN]) or "-"
        if len(steps) > _STEPS_SHOWN:
            shown += f", ... ({len(steps) - _STEPS_SHOWN} more)"
        lines = [head, f"  checksum {self.checksum[:12]}  steps: {shown}"]
        for warning in self.warnings:
            label = "cell line" if first_line > 1 else "line"
            where = f"{label} {warning.line + first_line - 1}: " if warning.line is not None else ""
            lines.append(f"  warning: {where}{warning.path}: {warning.message}")
        if self.worker_note:
            lines.append(f"  {self.worker_note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class VersionInfo:
    workflow: str
    version: int
    checksum: str
    build_id: str
    created_at: datetime
    active: bool
    compiler_version: str
    step_count: int
    open_executions: int = 0
    notes: tuple[str, ...] = ()  # what else the activation changed (schedules that follow it)

    def row(self) -> list[str]:
        return [
            f"v{self.version}",
            "active" if self.active else "",
            self.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            self.checksum[:12],
            str(self.step_count),
            str(self.open_executions),
        ]


VERSION_COLUMNS = ["version", "state", "created (UTC)", "checksum", "steps", "open runs"]


@dataclass(frozen=True)
class CodeDiff:
    workflow: str
    which: str
    old_version: int
    new_version: int
    old_code: str
    new_code: str
    unified: str
    changes: tuple[
        str, ...
    ] = ()  # what changed between the versions, one line each (see version_changes)

    @property
    def changed(self) -> bool:
        return self.old_code != self.new_code

    def summary(self) -> str:
        head = f"{self.workflow!r} v{self.old_version} -> v{self.new_version}:"
        if not self.changes:
            return f"{head} nothing changed but the version."
        return "\n".join([head, *(f"  {change}" for change in self.changes)])

    def __str__(self) -> str:
        if not self.changed:
            code = (
                f"The {self.which} code of {self.workflow!r} v{self.old_version} and "
                f"v{self.new_version} is identical."
            )
        else:
            code = self.unified
        return f"{self.summary()}\n\n{code}" if self.changes or self.changed else code

    def html(self) -> str:
        """Side by side, for widgets (difflib escapes the code; the labels are escaped here)."""
        return side_by_side_html(
            self.old_code,
            self.new_code,
            f"{self.workflow} v{self.old_version} ({self.which})",
            f"{self.workflow} v{self.new_version} ({self.which})",
        )


@dataclass(frozen=True)
class ComponentInfo:
    name: str
    kind: str
    version: int
    parameters: tuple[str, ...]
    description: str

    def row(self) -> list[str]:
        return [
            self.name,
            self.kind,
            str(self.version),
            ", ".join(self.parameters),
            self.description,
        ]


COMPONENT_COLUMNS = ["component", "kind", "version", "parameters", "description"]


@dataclass(frozen=True)
class ExecutionSummary:
    workflow: str
    version: int
    workflow_id: str
    run_id: str
    status: str
    started_at: datetime
    duration_ms: int | None
    error: str | None = None
    result: Any = None
    schedule_id: str | None = None  # the schedule that started it
    rerun_of: str | None = None  # the run id of the run it re-runs ...
    from_step: str | None = None  # ... from this step

    def row(self) -> list[str]:
        duration = f"{self.duration_ms / 1000:.2f}s" if self.duration_ms is not None else ""
        made = ["scheduled"] if self.schedule_id else []
        if self.from_step is not None:
            made.append(f"re-run from {self.from_step}")
        return [
            self.workflow_id,
            f"{self.workflow} v{self.version}" + (f" ({', '.join(made)})" if made else ""),
            self.status,
            self.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            duration,
        ]


EXECUTION_COLUMNS = ["workflow id", "workflow", "status", "started (UTC)", "duration"]


@dataclass(frozen=True)
class RunOutcome:
    """How an execution ended: its status, with its result or error, and its link in the Web UI."""

    ref: ExecutionRef
    status: str
    result: Any = None
    error: str | None = None
    link: str | None = None


def text_table(columns: list[str], rows: list[list[str]]) -> str:
    """A plain aligned table (stable in notebook outputs and easy to diff in tests)."""
    if not rows:
        return ""
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
    body = [
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join([line, *body])
