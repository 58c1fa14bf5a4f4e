"""``wait_signal``: block until a declared signal arrives, with an optional timeout and a path to take then."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wfb_jupyter.compiler._escape import py_str
from wfb_jupyter.compiler._problems import Path
from wfb_jupyter.compiler._step_lowering import StepLowering, timedelta_code
from wfb_jupyter.compiler.model._common import Context, Step, read_duration, read_name


@dataclass
class WaitSignalStep(Step):
    signal: str = ""
    timeout: float | None = None
    on_timeout_fails: bool = True  # otherwise continue, after running timeout_steps if any
    timeout_steps: list[Step] = field(default_factory=list)

    kind = "wait_signal"
    KIND_KEYS = frozenset({"wait_signal"})
    KEYS = frozenset({"wait_signal", "timeout", "on_timeout"})
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(
        cls, raw: Mapping[str, Any], path: Path, context: Context, common: dict[str, Any]
    ) -> WaitSignalStep:
        problems = context.problems
        signal = (
            read_name(raw.get("wait_signal"), (*path, "wait_signal"), problems, "signal name") or ""
        )
        timeout = read_duration(raw.get("timeout"), (*path, "timeout"), problems)
        on_timeout = raw.get("on_timeout")
        if on_timeout is not None and timeout is None and "timeout" not in raw:
            problems.error((*path, "on_timeout"), "on_timeout needs a timeout")
        elif on_timeout is not None and raw.get("timeout", 0) is None:
            # `timeout: null` waits for ever, so on_timeout would never run.
            problems.error((*path, "timeout"), "on_timeout needs a timeout, not null")
        fails = on_timeout in (None, "fail")
        steps = (
            []
            if fails or on_timeout == "continue"
            else context.parse_steps(on_timeout, (*path, "on_timeout"))
        )
        return cls(
            **common, signal=signal, timeout=timeout, on_timeout_fails=fails, timeout_steps=steps
        )

    def sequences(self) -> list[tuple[str, list[Step]]]:
        own = [("on_timeout", self.timeout_steps)] if self.timeout_steps else []
        return own + super().sequences()

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        if self.signal and self.signal not in lowering.names.signals:
            lowering.owner.problems.error(
                (*self.path, "wait_signal"),
                f"unknown signal {self.signal!r}: declare it under signals:",
            )
        timeout = None
        if self.timeout is not None:
            lowering.uses("timedelta", "asyncio")
            timeout = timedelta_code(self.timeout)
        method = (
            lowering.nested("on_timeout", self.timeout_steps, ("on_timeout",))
            if self.timeout_steps
            else None
        )
        return {
            "signal": py_str(self.signal),
            "timeout": timeout,
            "fails": self.on_timeout_fails,
            "method": method,
            "message": py_str(f"timed out waiting for signal {self.signal!r} in step {self.id!r}"),
        }

    def describe(self) -> str:
        return f"wait for signal {self.signal}"
