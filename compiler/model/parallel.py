"""``parallel``: branches (each a list of steps) that run concurrently; the result lists each branch's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import Context, Step


@dataclass
class ParallelStep(Step):
    branches: list[list[Step]] = field(default_factory=list)

    kind = "parallel"
    KIND_KEYS = frozenset({"parallel"})
    KEYS = frozenset({"parallel"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> ParallelStep:
        entries = raw.get("parallel")
        if not isinstance(entries, list) or len(entries) < 1:
            context.problems.error(
                (*path, "parallel"), "parallel takes a non-empty list of branches"
            )
            return cls(**common)
        branches = []
        for index, entry in enumerate(entries):
            branch_path = (*path, "parallel", index)
            if isinstance(entry, Mapping) and set(entry) == {"steps"}:
                branches.append(context.parse_steps(entry["steps"], (*branch_path, "steps")))
            elif isinstance(entry, Mapping):
                branches.append([context.parse_step(entry, branch_path)])  # a one-step branch
            else:
                branches.append(context.parse_steps(entry, branch_path))
        return cls(**common, branches=branches)

    def sequences(self) -> list[tuple[str, list[Step]]]:
        return [
            (f"branch_{index}", branch) for index, branch in enumerate(self.branches)
        ] + super().sequences()

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        lowering.uses("asyncio")
        branches = [
            lowering.nested(f"branch_{index}", branch, ("parallel", index))
            for index, branch in enumerate(self.branches)
        ]
        return {"branches": branches}

    def describe(self) -> str:
        return f"parallel, {len(self.branches)} branches"
