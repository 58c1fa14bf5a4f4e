"""``call``: run one component as an activity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler._problems import Path
from compiler.model._common import (
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


@dataclass
class ActivityStep(Step):
    component: str = ""
    args: dict[str, Value] = field(default_factory=dict)
    retry: RetrySpec | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)

    kind = "activity"
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
