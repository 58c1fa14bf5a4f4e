"""``parallel``: branches (each a list of steps) that run concurrently; the result lists each branch's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from compiler._problems import Path
from compiler.model._common import Context, Step


@dataclass
class ParallelStep(Step):
    branches: list[list[Step]] = field(default_factory=list)

    kind = "parallel"
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
