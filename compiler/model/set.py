"""``set``: assign workflow variables (``vars.<name>``) from values or expressions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._escape import py_str
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import (
    Context,
    Step,
    Value,
    read_mapping,
    read_name,
    read_value,
)


@dataclass
class SetStep(Step):
    values: dict[str, Value] = field(default_factory=dict)

    kind = "set"
    KIND_KEYS = frozenset({"set"})
    KEYS = frozenset({"set"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> SetStep:
        problems = context.problems
        mapping = read_mapping(raw.get("set"), (*path, "set"), problems, "set") or {}
        if not mapping:
            problems.error((*path, "set"), "set takes a mapping of variable names to values")
        values = {}
        for key, value in mapping.items():
            if read_name(key, (*path, "set", key), problems, "variable name"):
                values[key] = read_value(value, (*path, "set", key), problems)
        return cls(**common, values=values)

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        values = [
            (py_str(name), lowering.value(value, "set", name))
            for name, value in self.values.items()
        ]
        return {"values": values}

    def describe(self) -> str:
        return "set " + ", ".join(self.values)
