"""The report of a test run: the path taken (each step run: ran, mocked, pinned, skipped, failed or not run,
with its result), the messages sent, the result, and the simulated and wall-clock durations."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.testrun._mocks import RunRecord
from wfb_jupyter.testrun._plan import format_duration, step_of

_RESULT_WIDTH = 60
_COLOURS = {
    "ran": "#1a7f37", "mocked": "#8250df", "pinned": "#8250df", "skipped": "#6e7781",
    "failed": "#cf222e", "running": "#bf8700", "not run": "#6e7781", "not taken": "#6e7781",
}  # fmt: skip


@dataclass(frozen=True)
class StepRun:
    run_id: str
    step: str
    label: str
    kind: str
    status: str
    result: Any = None
    error: str | None = None
    attempts: int | None = None


@dataclass(frozen=True)
class TestStepState:
    """A step's part in the test, for the workflow graph (the shape ``widgets.workflow_graph_svg`` reads)."""

    status: str  # done | mocked | failed | running | skipped | not taken | not reached
    runs: int
    detail: str = ""

    def caption(self) -> str:
        return self.status + (f" ×{self.runs}" if self.runs > 1 else "")

    def tooltip(self) -> str:
        return self.caption() + (f": {self.detail}" if self.detail else "")


_GRAPH_STATUS = {"ran": "done", "pinned": "mocked", "not run": "not reached"}
_PRECEDENCE = ("failed", "running", "done", "mocked", "skipped", "not taken", "not reached")


@dataclass(frozen=True, repr=False)
class TestReport:
    __test__ = False  # not a pytest test class

    workflow: str
    status: str  # completed | failed | timed out
    result: Any
    error: str | None
    steps: tuple[StepRun, ...]
    messages: tuple[tuple[str, str], ...]
    simulated_seconds: float
    wall_seconds: float
    definition_source: str = ""  # what was tested (the graph is drawn from it)

    @property
    def path(self) -> list[str]:
        """The run ids that ran (for real, mocked or pinned), in the report's order."""
        return [step.run_id for step in self.steps if step.status in ("ran", "mocked", "pinned")]

    def step(self, run_id: str) -> StepRun:
        for step in self.steps:
            if step.run_id == run_id:
                return step
        raise KeyError(
            f"no run {run_id!r} in this test (runs: {', '.join(s.run_id for s in self.steps)})"
        )

    def step_states(self) -> dict[str, TestStepState]:
        """Per step (all its runs together): what the graph colours it."""
        grouped: dict[str, list[StepRun]] = {}
        for run in self.steps:
            grouped.setdefault(run.step, []).append(run)
        states = {}
        for step, runs in grouped.items():
            statuses = {_GRAPH_STATUS.get(run.status, run.status) for run in runs}
            status = next((name for name in _PRECEDENCE if name in statuses), "done")
            detail = next((run.error for run in runs if run.error), None) or ""
            counted = [run for run in runs if _GRAPH_STATUS.get(run.status, run.status) == status]
            states[step] = TestStepState(status, len(counted), detail)
        return states

    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [vars(step) for step in self.steps],
            columns=["run_id", "step", "label", "kind", "status", "result", "error", "attempts"],
        )

    def headline(self) -> str:
        return (
            f"Test of {self.workflow!r} (not stored) on the time-skipping test server: {self.status} in "
            f"{self.wall_seconds:.2f} s, simulated {format_duration(self.simulated_seconds)}."
        )

    def __str__(self) -> str:
        width = max([len(step.run_id) for step in self.steps] + [4])
        lines = [self.headline(), f"  {'step'.ljust(width)}  {'status':8}  result"]
        for step in self.steps:
            shown = _clip(step.error) if step.error else _detail(step)
            lines.append(f"  {step.run_id.ljust(width)}  {step.status:8}  {shown}".rstrip())
        lines.extend(f"  {what}: {how}" for what, how in self.messages)
        if self.status == "completed":
            lines.append(f"Result: {_short(self.result, 200)}")
        else:
            lines.append(f"Error: {self.error}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(step.run_id)}</code></td><td>{html.escape(step.label)}</td>"
            f'<td style="color:{_COLOURS.get(step.status, "inherit")}"><b>{step.status}</b></td>'
            f"<td><code>{html.escape(_clip(step.error) if step.error else _detail(step))}</code></td></tr>"
            for step in self.steps
        )
        messages = "".join(
            f"<li>{html.escape(what)}: {html.escape(how)}</li>" for what, how in self.messages
        )
        ending = (
            f"<b>Result</b>: <code>{html.escape(_short(self.result, 200))}</code>"
            if self.status == "completed"
            else f'<b style="color:#cf222e">Error</b>: {html.escape(self.error or "")}'
        )
        return (
            f'<div class="wfb-test-report"><p>{html.escape(self.headline())}</p>'
            "<table><tr><th>step</th><th>what</th><th>status</th><th>result</th></tr>"
            f"{rows}</table>{f'<ul>{messages}</ul>' if messages else ''}<p>{ending}</p></div>"
        )


def build_report(
    manifest: Mapping[str, Any],
    *,
    status: str,
    result: Any,
    error: str | None,
    progress: Mapping[str, Any],
    journal: Mapping[str, RunRecord],
    messages: list[tuple[str, str]],
    simulated_seconds: float,
    wall_seconds: float,
    definition_source: str = "",
) -> TestReport:
    order = {step: index for index, step in enumerate(manifest.get("steps", []))}
    kinds: Mapping[str, str] = manifest.get("step_kinds", {})
    labels: Mapping[str, str] = manifest.get("step_labels", {})
    results: Mapping[str, Any] = progress.get("step_results", {})
    runs: dict[str, StepRun] = {}

    def add(run_id: str, status: str, **extra: Any) -> None:
        step = step_of(run_id)
        runs[run_id] = StepRun(
            run_id, step, labels.get(step, step), kinds.get(step, "step"), status, **extra
        )

    for run_id in progress.get("completed_steps", []):
        record = journal.get(run_id)
        if record is not None:
            add(run_id, record.outcome, result=record.result, attempts=record.attempts)
        else:
            add(run_id, "ran", result=results.get(run_id))
    for run_id in progress.get("running_steps", []):
        record = journal.get(run_id)
        failed = status != "completed" and (record is None or record.outcome != "ran")
        reason = record.error if record is not None and record.error else error
        if reason and record is not None and record.outcome in ("mocked", "pinned"):
            reason += f" ({record.outcome})"
        add(
            run_id,
            "failed" if failed else "running",
            error=reason if failed else None,
            attempts=record.attempts if record is not None else None,
        )
    for run_id in progress.get("skipped_steps", []):
        add(run_id, "skipped")
    parents: Mapping[str, str] = manifest.get("step_parents", {})
    for step in progress.get("pending_steps", manifest.get("steps", [])):
        if step not in runs:  # a branch its holder passed by, or a step the run never reached
            holder = next((run for run in runs.values() if run.step == parents.get(step)), None)
            passed_by = holder is not None and holder.status in ("ran", "skipped", "not taken")
            add(step, "not taken" if passed_by else "not run")
    for (
        run_id,
        record,
    ) in journal.items():  # a failed attempt the workflow handled (on_error) is done
        if run_id not in runs:
            add(
                run_id,
                record.outcome,
                result=record.result,
                error=record.error,
                attempts=record.attempts,
            )
    ordered = sorted(
        runs.values(), key=lambda run: (order.get(run.step, len(order)), _natural(run.run_id))
    )
    return TestReport(
        workflow=str(manifest.get("name", "")),
        status=status,
        result=result,
        error=error,
        steps=tuple(ordered),
        messages=tuple(messages),
        simulated_seconds=simulated_seconds,
        wall_seconds=wall_seconds,
        definition_source=definition_source,
    )


def _natural(run_id: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", run_id)]


def _detail(step: StepRun) -> str:
    if step.status in ("skipped", "not run", "not taken", "running"):
        return ""
    text = _short(step.result)
    if step.attempts and step.attempts > 1:
        text += f"  ({step.attempts} attempts)"
    return text


def _short(value: Any, width: int = _RESULT_WIDTH) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return _clip(text, width)


def _clip(text: str, width: int = _RESULT_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
