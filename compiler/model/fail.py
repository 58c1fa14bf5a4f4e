"""``fail``: end the workflow as failed, with a message (text or ``${...}``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from wfb_jupyter.compiler._expression_text import describe_value
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering
from wfb_jupyter.compiler.model._common import Context, Step, Value, read_value


@dataclass
class FailStep(Step):
    message: Value = "workflow failed"

    kind = "fail"
    KIND_KEYS = frozenset({"fail"})
    KEYS = frozenset({"fail"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> FailStep:
        message = read_value(raw.get("fail"), (*path, "fail"), context.problems)
        if not isinstance(message, str) and not hasattr(message, "parts"):
            context.problems.error((*path, "fail"), "fail takes a message (text or ${...})")
            message = "workflow failed"
        return cls(**common, message=message)

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        return {"message": lowering.value(self.message, "fail")}

    def describe(self) -> str:
        return f"fail: {describe_value(self.message)}"
