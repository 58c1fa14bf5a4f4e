"""How one component performs: counts, success rate, retries, duration percentiles, its slowest steps and
its most common errors, each read from the rollups."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from wfb_jupyter.statistics._rollup_summaries import failures_by_error_type
from wfb_jupyter.statistics._summaries import activity_summaries
from wfb_jupyter.statistics._summary_shape import Grouping

SLOWEST_STEPS = 5
COMMON_ERRORS = 5
NO_ERROR_TYPE = "(unknown)"


@dataclass(frozen=True)
class StepPerformance:
    workflow: str | None
    step: str
    attempts: int
    mean_ms: float | None
    p95_ms: float | None
    max_ms: int | None


@dataclass(frozen=True)
class ErrorCount:
    error_type: str
    count: int


@dataclass(frozen=True)
class ActivityPerformance:
    """The performance of ``component`` in a project (over ``workflow`` and since ``since`` when given)."""

    component: str
    attempts: int
    successes: int
    failures: int
    retries: int
    success_rate: float | None
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: int | None
    slowest_steps: tuple[StepPerformance, ...] = field(default_factory=tuple)
    common_errors: tuple[ErrorCount, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """The headline numbers as one row (the steps and errors: ``steps_frame``, ``errors_frame``)."""
        row = {
            name: getattr(self, name)
            for name in (
                "component",
                "attempts",
                "successes",
                "failures",
                "retries",
                "success_rate",
                "mean_ms",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "max_ms",
            )
        }
        return pd.DataFrame([row])

    def steps_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(step) for step in self.slowest_steps],
            columns=["workflow", "step", "attempts", "mean_ms", "p95_ms", "max_ms"],
        )

    def errors_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(error) for error in self.common_errors], columns=["error_type", "count"]
        )

    def _repr_html_(self) -> str:
        title = f"<h4>Component {html.escape(self.component)}</h4>"
        if not self.attempts:
            return title + "<p>No attempts recorded yet.</p>"
        parts = [title, self.to_frame().drop(columns="component").to_html(index=False)]
        if self.slowest_steps:
            parts += ["<h5>Slowest steps</h5>", self.steps_frame().to_html(index=False)]
        if self.common_errors:
            parts += ["<h5>Most common errors</h5>", self.errors_frame().to_html(index=False)]
        return "\n".join(parts)  # DataFrame.to_html escapes cell values


def analyze_activity_performance(
    session: Session,
    project_id: str,
    component: str,
    *,
    since: datetime | None = None,
    workflow: str | None = None,
    exact: bool = False,
) -> ActivityPerformance:
    """Performance of one component's attempts in a project; an unknown component gives zero attempts.
    Read from the rollups (percentiles within ``RELATIVE_ERROR``), or with ``exact`` from the raw rows."""
    filters: dict[str, Any] = {
        "component": component,
        "workflow": workflow,
        "since": since,
        "exact": exact,
    }
    # One read of the rollups for both: the component's own figures and its steps'.
    overall, per_step = activity_summaries(
        session, project_id, [Grouping(()), Grouping(("workflow", "step"))], **filters
    )
    if overall.empty:
        return ActivityPerformance(component, 0, 0, 0, 0, None, None, None, None, None, None)
    numbers = overall.iloc[0]
    per_step = per_step.assign(_p95=per_step["p95_ms"].fillna(-1.0)).sort_values(
        ["_p95", "workflow", "step"], ascending=[False, True, True], kind="stable"
    )
    return ActivityPerformance(
        component=component,
        attempts=int(numbers["attempts"]),
        successes=int(numbers["successes"]),
        failures=int(numbers["failures"]),
        retries=int(numbers["retries"]),
        success_rate=_number(numbers["success_rate"]),
        mean_ms=_number(numbers["mean_ms"]),
        p50_ms=_number(numbers["p50_ms"]),
        p95_ms=_number(numbers["p95_ms"]),
        p99_ms=_number(numbers["p99_ms"]),
        max_ms=_integer(numbers["max_ms"]),
        slowest_steps=tuple(
            StepPerformance(
                workflow=None if pd.isna(row["workflow"]) else str(row["workflow"]),
                step=str(row["step"]),
                attempts=int(row["attempts"]),
                mean_ms=_number(row["mean_ms"]),
                p95_ms=_number(row["p95_ms"]),
                max_ms=_integer(row["max_ms"]),
            )
            for _, row in per_step.head(SLOWEST_STEPS).iterrows()
        ),
        common_errors=_common_errors(session, project_id, filters),
    )


def _common_errors(
    session: Session, project_id: str, filters: dict[str, Any]
) -> tuple[ErrorCount, ...]:
    counts = failures_by_error_type(session, project_id, **filters)
    named: dict[str, int] = {}
    for error_type, count in counts.items():
        name = NO_ERROR_TYPE if error_type is None else str(error_type)
        named[name] = named.get(name, 0) + count
    ranked = sorted(named.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ErrorCount(name, count) for name, count in ranked[:COMMON_ERRORS] if count > 0)


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value) or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
