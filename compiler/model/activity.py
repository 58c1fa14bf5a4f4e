"""``call``: run one component as an activity."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfb_jupyter.compiler._escape import py_dict, py_str
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import (
    StepLowering,
    has_expression,
    retry_code,
    timeout_code,
)
from wfb_jupyter.compiler.model._common import (
    Context,
    RetrySpec,
    Step,
    Timeouts,
    Value,
    read_mapping,
    read_retry,
    read_text,
    read_timeouts,
    read_value,
)
from wfb_jupyter.compiler.model.inputs import InputField, check_value


@dataclass
class ActivityStep(Step):
    component: str = ""
    args: dict[str, Value] = field(default_factory=dict)
    retry: RetrySpec | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)

    kind = "activity"
    KIND_KEYS = frozenset({"call", "activity", "component"})
    KEYS = frozenset({"call", "with", "retry", "timeout", "timeouts"})
    ALIASES = {"activity": "call", "component": "call", "args": "with", "arguments": "with"}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> ActivityStep:
        problems = context.problems
        component = read_text(raw.get("call"), (*path, "call"), problems, "component name") or ""
        args = read_mapping(raw.get("with"), (*path, "with"), problems, "arguments") or {}
        return cls(
            **common,
            component=component,
            args={
                key: read_value(value, (*path, "with", key), problems)
                for key, value in args.items()
            },
            retry=read_retry(raw.get("retry"), (*path, "retry"), problems),
            timeouts=read_timeouts(raw, path, problems),
        )

    def describe(self) -> str:
        return self.component

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        owner = lowering.owner
        spec = owner.component(self.component, (*self.path, "call"))
        if spec is not None:
            self._check_arguments(lowering, spec)
        activity_type = spec.activity_type if spec is not None else self.component
        defaults = owner.definition.defaults
        timeouts = self.timeouts.merged_over(defaults.timeouts)
        retry = self.retry.merged_over(defaults.retry) if self.retry else defaults.retry
        lowering.uses("timedelta", *(("retry",) if retry is not None else ()))
        args = {
            py_str(key): lowering.value(value, "with", key, depth=1)
            for key, value in self.args.items()
        }
        return {
            "activity_type": py_str(activity_type),
            # No arguments, no payload: nothing to encode in the workflow or decode in the activity.
            "args": py_dict(args, 0) if args else None,
            "timeouts": timeout_code(timeouts),
            "retry": retry_code(retry),
            "summary": py_str(self.summary) if self.summary else None,
        }

    def _check_arguments(self, lowering: StepLowering, spec: Any) -> None:
        problems = lowering.owner.problems
        known = [parameter.name for parameter in spec.parameters]
        for name, value in self.args.items():
            parameter = spec.parameter(name)
            if parameter is not None and not has_expression(value):
                # A literal argument can be checked now; an expression's value only exists at run time.
                field = InputField(name, parameter.type, required=False, enum=parameter.enum)
                for message in check_value(field, value):
                    problems.error(
                        (*self.path, "with", name), f"component {spec.name!r}: {message}"
                    )
            if parameter is None:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.error(
                    (*self.path, "with", name),
                    f"component {spec.name!r} has no argument {name!r}{hint}",
                )
        for parameter in spec.parameters:
            if parameter.required and parameter.name not in self.args:
                problems.error(
                    (*self.path, "with"),
                    f"component {spec.name!r} needs argument {parameter.name!r}",
                )
