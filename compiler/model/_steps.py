"""Reading a list of steps: find each step's kind from its key, parse the common fields, then the kind's own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfb_jupyter.compiler._problems import Path, Problems
from wfb_jupyter.compiler.model._common import (
    COMMON_KEYS,
    Context,
    Step,
    check_keys,
    read_aliased,
    read_condition,
    read_name,
    read_on_error,
    read_text,
    walk,
)
from wfb_jupyter.compiler.model.activity import ActivityStep
from wfb_jupyter.compiler.model.child_workflow import ChildWorkflowStep
from wfb_jupyter.compiler.model.fail import FailStep
from wfb_jupyter.compiler.model.for_each import ForEachStep
from wfb_jupyter.compiler.model.parallel import ParallelStep
from wfb_jupyter.compiler.model.sequence import SequenceStep
from wfb_jupyter.compiler.model.set import SetStep
from wfb_jupyter.compiler.model.sleep import SleepStep
from wfb_jupyter.compiler.model.switch import SwitchStep
from wfb_jupyter.compiler.model.wait_signal import WaitSignalStep

STEP_KINDS: tuple[type[Any], ...] = (
    ActivityStep,
    SequenceStep,
    SwitchStep,
    ParallelStep,
    ForEachStep,
    SleepStep,
    WaitSignalStep,
    ChildWorkflowStep,
    SetStep,
    FailStep,
)
# The key that says which kind a step is, e.g. `call:` makes an activity step.
KIND_BY_KEY: dict[str, type[Any]] = {key: kind for kind in STEP_KINDS for key in kind.KIND_KEYS}
MAX_STEP_DEPTH = 30


class StepParser:
    """Parses nested step lists; ids left out are filled in later by ``assign_ids``."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.depth = 0
        self.context = Context(problems, self.parse_steps, self.parse_step)

    def parse_steps(self, raw: Any, path: Path) -> list[Step]:
        if raw is None:
            self.problems.error(path, "expected a list of steps")
            return []
        if not isinstance(raw, list):
            self.problems.error(path, f"expected a list of steps, got {_type(raw)}")
            return []
        if not raw:
            self.problems.error(path, "a list of steps cannot be empty")
        if self.depth >= MAX_STEP_DEPTH:
            self.problems.error(path, f"steps nested more than {MAX_STEP_DEPTH} levels deep")
            return []
        self.depth += 1
        try:
            return [self.parse_step(item, (*path, index)) for index, item in enumerate(raw)]
        finally:
            self.depth -= 1

    def parse_step(self, raw: Any, path: Path) -> Step:
        problems = self.problems
        placeholder = SetStep(id="", path=path, explicit_id=False)  # stands in for an unusable step
        if not isinstance(raw, Mapping):
            problems.error(path, f"a step must be a mapping, got {_type(raw)}")
            return placeholder
        kinds = {KIND_BY_KEY[key] for key in raw if key in KIND_BY_KEY}
        if len(kinds) != 1:
            keys = ", ".join(sorted(KIND_BY_KEY))
            found = "no step kind" if not kinds else "more than one step kind"
            problems.error(path, f"{found}: a step has exactly one of {keys}")
            return placeholder
        kind = kinds.pop()
        normalised = read_aliased(raw, kind.ALIASES, path, problems)
        check_keys(raw, COMMON_KEYS | kind.KEYS | set(kind.ALIASES), path, problems)
        step_id = None
        if "id" in raw:
            step_id = read_name(raw["id"], (*path, "id"), problems, "step id")
        common: dict[str, Any] = {
            "id": step_id or "",
            "path": path,
            "explicit_id": step_id is not None,
            "when": read_condition(raw.get("when"), (*path, "when"), problems),
            "summary": read_text(raw.get("summary"), (*path, "summary"), problems, "summary"),
            "on_error": read_on_error(raw.get("on_error"), (*path, "on_error"), self.context),
        }
        step: Step = kind.parse(normalised, path, self.context, common)
        return step


def assign_ids(steps: list[Step]) -> None:
    """Give steps without an ``id`` a readable one, ``<kind>_<n>``, that no explicit id already uses."""
    taken = {step.id for step in walk(steps) if step.explicit_id}
    counter = 0
    for step in walk(steps):
        if step.explicit_id:
            continue
        counter += 1
        candidate = f"{step.kind}_{counter}"
        while candidate in taken:
            counter += 1
            candidate = f"{step.kind}_{counter}"
        step.id = candidate
        taken.add(candidate)


def _type(value: Any) -> str:
    from wfb_jupyter.compiler.model._common import type_name

    return type_name(value)
