"""``sequence``: a group of steps run in order (useful as an ``on_error`` target or to share a ``when``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import Context, Step


@dataclass
class SequenceStep(Step):
    steps: list[Step] = field(default_factory=list)

    kind = "sequence"
    KIND_KEYS = frozenset({"sequence"})
    KEYS = frozenset({"sequence"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> SequenceStep:
        return cls(**common, steps=context.parse_steps(raw.get("sequence"), (*path, "sequence")))

    def sequences(self) -> list[tuple[str, list[Step]]]:
        return [("steps", self.steps), *super().sequences()]

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        return {"method": lowering.nested("steps", self.steps, ("sequence",))}
