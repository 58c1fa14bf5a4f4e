"""``sleep`` for a duration, or ``wait_until`` a time (an ISO-8601 timestamp, usually from an expression)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.compiler._expression_text import describe_value
from wfb_jupyter.compiler._expressions import Template
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering, timedelta_code
from wfb_jupyter.compiler.model._common import Context, Step, Value, read_duration, read_value


@dataclass
class SleepStep(Step):
    seconds: float | None = None
    until: Value = None

    kind = "sleep"
    KIND_KEYS = frozenset({"sleep", "delay", "wait_until"})
    KEYS = frozenset({"sleep", "wait_until"})
    ALIASES = {"delay": "sleep"}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> SleepStep:
        problems = context.problems
        if "sleep" in raw and "wait_until" in raw:
            problems.error((*path, "wait_until"), "use either sleep or wait_until, not both")
        if "wait_until" in raw:
            until = read_value(raw["wait_until"], (*path, "wait_until"), problems)
            if not isinstance(until, Template) and not _is_timestamp(until):
                problems.error(
                    (*path, "wait_until"),
                    f"wait_until takes an ISO-8601 timestamp (such as 2030-01-01T09:00:00+00:00) "
                    f"or ${{...}}, not {until!r}",
                )
            return cls(**common, until=until)
        return cls(**common, seconds=read_duration(raw.get("sleep"), (*path, "sleep"), problems))

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        if self.until is not None:
            lowering.owner.expressions.helpers.add("seconds_until")
            return {"until": lowering.value(self.until, "wait_until"), "duration": None}
        lowering.uses("timedelta")
        return {"until": None, "duration": timedelta_code(self.seconds or 1.0)}

    def describe(self) -> str:
        if self.seconds is None:
            return f"wait until {describe_value(self.until)}"
        return f"sleep {self.seconds:g}s"


def _is_timestamp(value: Value) -> bool:
    # The generated workflow reads it with the same function.
    try:
        datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True
