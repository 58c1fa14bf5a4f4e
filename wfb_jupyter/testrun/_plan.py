"""What a test run does instead of the real thing: pinned step results (mocks), scripted messages, limits.

A pin names a step (every run of it) or one run of it (``ship[2]``, ``retry_step#2``), the run ids the generated
code gives its activities and child workflows. Messages are signals and updates sent at a simulated time after
the start (``approve@2h={"by": "ada"}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from wfb_jupyter.compiler import duration_seconds, validate_input
from wfb_jupyter.errors import InputError

MOCKABLE_KINDS = frozenset({"activity", "child_workflow"})
DEFAULT_TIMEOUT = 60.0
_RUN_SUFFIX = re.compile(r"(\[\d+\]|#\d+)+\Z")
_MESSAGE = re.compile(r"(?P<name>[^@=\s]+)(?:@(?P<at>[^=\s]+))?(?:=(?P<payload>.*))?\Z", re.DOTALL)


class TestPlanError(InputError):
    """A mock, message or limit of a test run that does not fit the workflow: says what exists."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class Pin:
    """A step's stand-in result: ``value``, or a failure with ``error`` (raised without retries)."""

    value: Any = None
    error: str | None = None
    source: str = "mocked"  # or "recorded in <workflow id>"


@dataclass(frozen=True)
class ScheduledMessage:
    kind: Literal["signal", "update"]
    name: str
    at: float  # simulated seconds after the start
    payload: Any = None

    def describe(self) -> str:
        return f"{self.kind} {self.name!r} at +{format_duration(self.at)}"


@dataclass(frozen=True)
class TestPlan:
    __test__ = False  # not a pytest test class

    pins: Mapping[str, Pin] = field(default_factory=dict)
    messages: tuple[ScheduledMessage, ...] = ()
    timeout: float = DEFAULT_TIMEOUT  # wall-clock seconds the whole test may take

    def pin_for(self, run_id: str) -> Pin | None:
        """The pin of this exact run, else of its step."""
        return self.pins.get(run_id) or self.pins.get(step_of(run_id))


def step_of(run_id: str) -> str:
    """``ship[2]#3`` -> ``ship``: the step a run id belongs to."""
    return _RUN_SUFFIX.sub("", run_id)


def parse_value(text: str) -> Any:
    """JSON when it is JSON, else the text itself (``--mock greet=hello``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_message(kind: Literal["signal", "update"], text: str) -> ScheduledMessage:
    """``NAME[@DURATION][=JSON]``: e.g. ``approve@2h={"by": "ada"}``, ``done@3d``, ``go``."""
    match = _MESSAGE.match(text.strip())
    if match is None:
        raise TestPlanError(
            f'--{kind} {text!r}: write NAME[@WHEN][=PAYLOAD], e.g. --{kind} approve@2h=\'{{"by": "ada"}}\''
        )
    at = 0.0
    if match["at"] is not None:
        try:
            at = duration_seconds(match["at"])
        except ValueError as error:
            raise TestPlanError(f"--{kind} {text!r}: {error}") from None
    payload_text = match["payload"]
    payload = None if payload_text is None else parse_value(payload_text)
    return ScheduledMessage(kind, match["name"], at, payload)


def check_plan(plan: TestPlan, manifest: Mapping[str, Any]) -> None:
    """Refuse pins of steps that do not exist or cannot be pinned, and messages the workflow does not
    declare, each with what exists."""
    kinds: Mapping[str, str] = manifest.get("step_kinds", {})
    mockable = sorted(step for step, kind in kinds.items() if kind in MOCKABLE_KINDS)
    for key in plan.pins:
        step = step_of(key)
        if step not in kinds:
            raise TestPlanError(
                f"--mock {key}: the workflow has no step {step!r} "
                f"(steps that can be mocked: {_listing(mockable)})"
            )
        if kinds[step] not in MOCKABLE_KINDS:
            raise TestPlanError(
                f"--mock {key}: {step!r} is a {kinds[step]} step, which runs inside the workflow; only "
                f"call and child_workflow steps can be mocked ({_listing(mockable)})"
            )
    for message in plan.messages:
        declared = sorted(manifest.get(f"{message.kind}s", {}))
        if message.name not in declared:
            raise TestPlanError(
                f"--{message.kind} {message.name}: the workflow declares no {message.kind} "
                f"{message.name!r} ({message.kind}s: {_listing(declared)})"
            )
        schema = manifest[f"{message.kind}s"][message.name]
        if schema.get("properties") or message.payload is not None:
            problems = validate_input(
                schema, message.payload if message.payload is not None else {}
            )
            if problems:
                raise TestPlanError(f"--{message.kind} {message.name}: " + "; ".join(problems))
    if not 0 < plan.timeout <= 3600:
        raise TestPlanError(f"--timeout {plan.timeout:g}: give 1 to 3600 seconds of wall time")


def format_duration(seconds: float) -> str:
    """``302400`` -> ``3d 12h``; ``90.5`` -> ``1m 30.5s``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{int(count)}{unit}")
    if not parts or (seconds >= 1 and len(parts) < 2):
        parts.append(f"{seconds:.3g}s")
    return " ".join(parts)


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "none"
