"""One lowering function per step kind: the fragments its template in ``templates/steps/`` needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from compiler._escape import Code, py_dict, py_str
from compiler._expression_codegen import Names
from compiler._expressions import Template
from compiler.model import (
    ActivityStep,
    ChildWorkflowStep,
    FailStep,
    ForEachStep,
    ParallelStep,
    RetrySpec,
    SequenceStep,
    SetStep,
    SleepStep,
    Step,
    SwitchStep,
    Timeouts,
    WaitSignalStep,
)
from compiler.model.inputs import InputField, check_value

if TYPE_CHECKING:
    from compiler._lowering import Lowering

WORKFLOW_TYPE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,127}\Z")


class StepLowering:
    """The state one step's lowering needs: the pass, the step, and the names visible to it."""

    def __init__(self, owner: Lowering, step: Step, names: Names) -> None:
        self.owner = owner
        self.step = step
        self.names = names

    def value(self, value: Any, *keys: str | int, depth: int = 0) -> Code:
        return self.owner.expressions.value(value, self.names, (*self.step.path, *keys), depth)

    def nested(
        self, label: str, steps: list[Step], path_key: tuple[Any, ...], names: Names | None = None
    ) -> Code:
        return self.owner.nested(
            self.step, label, steps, names or self.names, (*self.step.path, *path_key)
        )


def timedelta_code(seconds: float) -> Code:
    """``timedelta(minutes=5)`` rather than ``timedelta(seconds=300)``: generated code is read by people."""
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return Code(f"timedelta({unit}={int(seconds // size)})")
    whole = int(seconds)
    return Code(f"timedelta(seconds={whole if whole == seconds else repr(seconds)})")


def retry_code(retry: RetrySpec | None) -> list[tuple[Code, Code]]:
    if retry is None:
        return []
    fields: list[tuple[Code, Code]] = []
    for name in ("initial_interval", "maximum_interval"):
        seconds = getattr(retry, name)
        if seconds is not None:
            fields.append((Code(name), timedelta_code(seconds)))
    if retry.backoff_coefficient is not None:
        fields.append((Code("backoff_coefficient"), Code(repr(float(retry.backoff_coefficient)))))
    if retry.maximum_attempts is not None:
        fields.append((Code("maximum_attempts"), Code(str(int(retry.maximum_attempts)))))
    if retry.non_retryable_error_types:
        names = ", ".join(py_str(name) for name in retry.non_retryable_error_types)
        fields.append((Code("non_retryable_error_types"), Code(f"[{names}]")))
    fields.sort(key=lambda item: _RETRY_ORDER.index(item[0]))
    return fields


_RETRY_ORDER = [
    "initial_interval",
    "backoff_coefficient",
    "maximum_interval",
    "maximum_attempts",
    "non_retryable_error_types",
]


def lower_activity(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, ActivityStep)
    owner = lowering.owner
    spec = owner.component(step.component, (*step.path, "call"))
    if spec is not None:
        _check_arguments(lowering, step, spec)
    activity_type = spec.activity_type if spec is not None else step.component
    timeouts = step.timeouts.merged_over(owner.definition.defaults.timeouts)
    retry = (
        step.retry.merged_over(owner.definition.defaults.retry)
        if step.retry
        else owner.definition.defaults.retry
    )
    owner.view.uses.add("timedelta")
    if retry is not None:
        owner.view.uses.add("retry")
    args = {
        py_str(key): lowering.value(value, "with", key, depth=1) for key, value in step.args.items()
    }
    return {
        "activity_type": py_str(activity_type),
        # No arguments, no payload: nothing to encode in the workflow or decode in the activity.
        "args": py_dict(args, 0) if args else None,
        "timeouts": _timeout_code(timeouts),
        "retry": retry_code(retry),
        "summary": py_str(step.summary) if step.summary else None,
    }


def _timeout_code(timeouts: Timeouts) -> list[tuple[Code, Code]]:
    names = (
        ("schedule_to_close", timeouts.schedule_to_close),
        ("start_to_close", timeouts.start_to_close),
    )
    pairs = [
        (Code(f"{name}_timeout"), timedelta_code(value))
        for name, value in names
        if value is not None
    ]
    if timeouts.heartbeat is not None:
        pairs.append((Code("heartbeat_timeout"), timedelta_code(timeouts.heartbeat)))
    return pairs


def _has_expression(value: Any) -> bool:
    if isinstance(value, Template):
        return True
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False


def _check_arguments(lowering: StepLowering, step: ActivityStep, spec: Any) -> None:
    problems = lowering.owner.problems
    known = [parameter.name for parameter in spec.parameters]
    for name, value in step.args.items():
        parameter = spec.parameter(name)
        if parameter is not None and not _has_expression(value):
            # A literal argument can be checked now; an expression's value only exists at run time.
            field = InputField(name, parameter.type, required=False, enum=parameter.enum)
            for message in check_value(field, value):
                problems.error((*step.path, "with", name), f"component {spec.name!r}: {message}")
        if parameter is None:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.error(
                (*step.path, "with", name),
                f"component {spec.name!r} has no argument {name!r}{hint}",
            )
    for parameter in spec.parameters:
        if parameter.required and parameter.name not in step.args:
            problems.error(
                (*step.path, "with"), f"component {spec.name!r} needs argument {parameter.name!r}"
            )


def lower_sequence(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, SequenceStep)
    return {"method": lowering.nested("steps", step.steps, ("sequence",))}


def lower_switch(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, SwitchStep)
    owner = lowering.owner
    cases = []
    for index, case in enumerate(step.cases):
        condition = None
        if case.when is not None:
            condition = owner.expressions.expression(
                case.when, lowering.names, (*step.path, "switch", index, "when")
            )
        cases.append(
            {
                "when": condition,
                "method": lowering.nested(f"case_{index}", case.steps, ("switch", index)),
            }
        )
    conditional = [case for case in cases if case["when"] is not None]
    default = next((case["method"] for case in cases if case["when"] is None), None)
    return {"conditional": conditional, "default": default}


def lower_parallel(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, ParallelStep)
    lowering.owner.view.uses.add("asyncio")
    branches = [
        lowering.nested(f"branch_{index}", branch, ("parallel", index))
        for index, branch in enumerate(step.branches)
    ]
    return {"branches": branches}


def lower_for_each(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, ForEachStep)
    lowering.owner.view.uses.add("asyncio")
    from compiler.model import walk

    inner = lowering.names.inside_loop(
        (step.item_name, step.index_name), (s.id for s in walk(step.steps))
    )
    return {
        "items": lowering.value(step.items, "for_each"),
        "concurrency": Code(str(int(step.concurrency))),
        "item_name": py_str(step.item_name),
        "index_name": py_str(step.index_name),
        "method": lowering.nested("body", step.steps, ("steps",), inner),
    }


def lower_sleep(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, SleepStep)
    if step.until is not None:
        lowering.owner.expressions.helpers.add("seconds_until")
        return {"until": lowering.value(step.until, "wait_until"), "duration": None}
    lowering.owner.view.uses.add("timedelta")
    return {"until": None, "duration": timedelta_code(step.seconds or 1.0)}


def lower_wait_signal(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, WaitSignalStep)
    if step.signal and step.signal not in lowering.names.signals:
        lowering.owner.problems.error(
            (*step.path, "wait_signal"),
            f"unknown signal {step.signal!r}: declare it under signals:",
        )
    timeout = None
    if step.timeout is not None:
        lowering.owner.view.uses.update(("timedelta", "asyncio"))
        timeout = timedelta_code(step.timeout)
    method = (
        lowering.nested("on_timeout", step.timeout_steps, ("on_timeout",))
        if step.timeout_steps
        else None
    )
    return {
        "signal": py_str(step.signal),
        "timeout": timeout,
        "fails": step.on_timeout_fails,
        "method": method,
        "message": py_str(f"timed out waiting for signal {step.signal!r} in step {step.id!r}"),
    }


def lower_child_workflow(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, ChildWorkflowStep)
    if step.workflow and not WORKFLOW_TYPE_PATTERN.match(step.workflow):
        lowering.owner.problems.error(
            (*step.path, "child_workflow"), "not a valid workflow type name"
        )
    options: list[tuple[Code, Code]] = []
    if step.task_queue:
        options.append((Code("task_queue"), py_str(step.task_queue)))
    if step.execution_timeout is not None:
        lowering.owner.view.uses.add("timedelta")
        options.append((Code("execution_timeout"), timedelta_code(step.execution_timeout)))
    retry = retry_code(step.retry)
    if retry:
        lowering.owner.view.uses.update(("retry", "timedelta"))
    args = {
        py_str(key): lowering.value(value, "with", key, depth=1) for key, value in step.args.items()
    }
    return {
        "workflow": py_str(step.workflow),
        "args": py_dict(args, 0),
        "options": options,
        "retry": retry,
    }


def lower_set(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, SetStep)
    values = [
        (py_str(name), lowering.value(value, "set", name)) for name, value in step.values.items()
    ]
    return {"values": values}


def lower_fail(lowering: StepLowering) -> dict[str, Any]:
    step = lowering.step
    assert isinstance(step, FailStep)
    return {"message": lowering.value(step.message, "fail")}


KIND_LOWERING: dict[str, Callable[[StepLowering], dict[str, Any]]] = {
    "activity": lower_activity,
    "sequence": lower_sequence,
    "switch": lower_switch,
    "parallel": lower_parallel,
    "for_each": lower_for_each,
    "sleep": lower_sleep,
    "wait_signal": lower_wait_signal,
    "child_workflow": lower_child_workflow,
    "set": lower_set,
    "fail": lower_fail,
}
