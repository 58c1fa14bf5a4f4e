"""Where a run is, step by step, for drawing it on the workflow's graph: derived from the definition's
manifest, the run's own progress query (completed, running, skipped and pending run ids, loop counts) and
the attempts the worker recorded, never guessed from the history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wfb_jupyter.testrun import format_duration, step_of

# done | handled (failed, on_error took over) | running | retrying | failed | stopped (the run was cancelled
# or terminated while it ran) | skipped | not taken (a branch that was not chosen) | not reached
STEP_STATUSES = (
    "done", "handled", "running", "retrying", "failed", "stopped", "skipped", "not taken",
    "not reached",
)  # fmt: skip
_STOPPED_RUNS = frozenset({"cancelled", "terminated", "timed_out"})


@dataclass(frozen=True)
class AttemptRow:
    """The part of a recorded attempt the graph shows."""

    activity_id: str
    attempt: int
    status: str
    duration_ms: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class StepProgress:
    step: str
    status: str
    runs_done: int = 0
    attempts: int = 0
    retries: int = 0  # attempts beyond the first of each run
    duration_ms: int | None = None
    error: str | None = None
    count: tuple[int, int] | None = None  # loop iterations or parallel branches done, of total

    def caption(self) -> str:
        """A few words under the step's name: ``done ×3 · 1.2s · 1 retry``, ``running 7/20``."""
        head = self.status
        if self.count is not None:
            head = f"{self.status} {self.count[0]}/{self.count[1]}"
        elif self.runs_done > 1 and self.status == "done":
            head = f"done ×{self.runs_done}"
        elif self.runs_done and self.status in ("running", "retrying", "failed", "stopped"):
            head = f"{self.status} · {self.runs_done} done"
        parts = [head]
        if self.duration_ms is not None and self.status in ("done", "handled", "failed"):
            parts.append(format_duration(self.duration_ms / 1000))
        if self.retries:
            parts.append(f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}")
        return " · ".join(parts)

    def tooltip(self) -> str:
        return self.caption() + (f": {self.error}" if self.error else "")


@dataclass(frozen=True)
class RunGraph:
    """A run drawn on its workflow's graph (``%wfb status ID --graph``, the run form's live graph)."""

    workflow_id: str
    workflow_name: str
    version: int
    status: str
    definition_source: str
    steps: dict[str, StepProgress] = field(default_factory=dict)
    error: str | None = None


def step_progress(
    manifest: Mapping[str, Any],
    status: str,
    progress: Mapping[str, Any] | None,
    attempts: Iterable[AttemptRow],
    pending_activities: Iterable[Mapping[str, Any]] = (),
    error: str | None = None,
) -> dict[str, StepProgress]:
    """Each step's state in a run whose execution status is ``status``."""
    steps: list[str] = list(manifest.get("steps", []))
    parents: Mapping[str, str] = manifest.get("step_parents", {})
    tried = _attempts_by_step(attempts)
    retrying = {
        step_of(str(activity.get("activity_id", ""))): activity
        for activity in pending_activities
        if int(activity.get("attempt") or 1) > 1
    }
    if progress is None:  # no worker answered: what the recorded attempts show
        return {step: _from_attempts(step, tried.get(step, [])) for step in steps}
    completed = _runs_by_step(progress.get("completed_steps", []))
    running = _runs_by_step(progress.get("running_steps", []))
    skipped = _runs_by_step(progress.get("skipped_steps", []))
    pending = set(progress.get("pending_steps", []))
    results: Mapping[str, Any] = progress.get("step_results", {})
    counts = _counts_by_step(progress.get("counts", {}))
    culprits = _failed_steps(running, tried) if status == "failed" else set()
    holders = set(parents.values())
    states: dict[str, StepProgress] = {}
    for step in reversed(steps):  # held steps first: a holder fails when a step it holds failed
        rows = tried.get(step, [])
        common: dict[str, Any] = {
            "runs_done": len(completed.get(step, [])),
            "attempts": len(rows),
            "retries": len(rows) - len({row.activity_id for row in rows}),
            "duration_ms": sum(row.duration_ms or 0 for row in rows) if rows else None,
            "count": counts.get(step),
        }
        last_error = next((row.error for row in reversed(rows) if row.error), None)
        if running.get(step):
            if status in _STOPPED_RUNS:
                states[step] = StepProgress(step, "stopped", error=error, **common)
            elif status != "running":
                held_failed = step in holders and any(
                    parents.get(other) == step and state.status == "failed"
                    for other, state in states.items()
                )
                failed = held_failed or not culprits or step in culprits
                states[step] = StepProgress(
                    step,
                    "failed" if failed else "stopped",
                    error=(last_error or error) if failed else "the run failed elsewhere",
                    **common,
                )
            elif step in retrying:
                failure = retrying[step].get("last_failure") or last_error
                states[step] = StepProgress(step, "retrying", error=failure, **common)
            else:
                states[step] = StepProgress(step, "running", **common)
        elif completed.get(step):
            handled = _is_handled_error(results.get(step))
            states[step] = StepProgress(
                step,
                "handled" if handled else "done",
                error=last_error if handled else None,
                **common,
            )
        elif skipped.get(step):
            states[step] = StepProgress(step, "skipped", **common)
        elif step in pending or not rows:
            states[step] = StepProgress(step, "not reached", **common)
        else:
            states[step] = _from_attempts(step, rows)
    for (
        step
    ) in steps:  # holders first: a pending step in a branch its holder passed by was not taken
        holder = states.get(parents.get(step, ""))
        passed_by = holder is not None and holder.status in (
            "done",
            "handled",
            "skipped",
            "not taken",
        )
        if states[step].status == "not reached" and passed_by:
            states[step] = replace(states[step], status="not taken")
    return {step: states[step] for step in steps}


def _failed_steps(
    running: Mapping[str, list[str]], tried: Mapping[str, list[AttemptRow]]
) -> set[str]:
    """Of the steps still running when the run failed, those whose last attempt of a running run failed
    (the others were stopped by the failure)."""
    culprits = set()
    for step, run_ids in running.items():
        for run_id in run_ids:
            attempts = [row for row in tried.get(step, []) if row.activity_id == run_id]
            if attempts and attempts[-1].status == "failed":
                culprits.add(step)
    return culprits


def _attempts_by_step(attempts: Iterable[AttemptRow]) -> dict[str, list[AttemptRow]]:
    grouped: dict[str, list[AttemptRow]] = {}
    for row in attempts:
        grouped.setdefault(step_of(row.activity_id), []).append(row)
    return grouped


def _runs_by_step(run_ids: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for run_id in run_ids:
        grouped.setdefault(step_of(run_id), []).append(run_id)
    return grouped


def _counts_by_step(counts: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """Loop/parallel counts summed over the runs of each step (a loop inside a loop has one per run)."""
    summed: dict[str, tuple[int, int]] = {}
    for run_id, pair in counts.items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            done, total = summed.get(step_of(run_id), (0, 0))
            summed[step_of(run_id)] = (done + int(pair[0]), total + int(pair[1]))
    return summed


def _from_attempts(step: str, rows: list[AttemptRow]) -> StepProgress:
    if not rows:
        return StepProgress(step, "not reached")
    last = rows[-1]
    status = "done" if last.status in ("completed", "succeeded", "success") else "failed"
    return StepProgress(
        step,
        status,
        runs_done=1 if status == "done" else 0,
        attempts=len(rows),
        retries=len(rows) - len({row.activity_id for row in rows}),
        duration_ms=sum(row.duration_ms or 0 for row in rows),
        error=last.error if status == "failed" else None,
    )


def _is_handled_error(result: Any) -> bool:
    return isinstance(result, dict) and set(result) == {"error"}
