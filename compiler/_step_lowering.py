"""What a step kind's ``lower`` method works with: the step, the names it sees, and the lowering pass it asks
for expressions, nested step methods, components and imports; and the code fragments several kinds share.

A kind lives in one place: its model module in ``model/`` (parsing, ``lower``, ``describe``), its template in
``templates/steps/<kind>.py.j2``, and one entry in ``model/_steps.py``'s ``STEP_KINDS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from wfb_jupyter.compiler._escape import Code, py_str
from wfb_jupyter.compiler._expression_codegen import ExpressionCompiler, Names
from wfb_jupyter.compiler._expressions import Template
from wfb_jupyter.compiler._problems import Path, Problems

if TYPE_CHECKING:
    from wfb_jupyter.compiler._catalogue import ComponentSpec
    from wfb_jupyter.compiler.model import RetrySpec, Step, Timeouts, WorkflowDefinition


class WorkflowUses(Protocol):
    """The generated module's optional imports, collected as steps are lowered."""

    @property
    def uses(self) -> set[str]: ...


class LoweringPass(Protocol):
    """What a step's lowering may ask of the pass lowering the whole workflow."""

    @property
    def definition(self) -> WorkflowDefinition: ...
    @property
    def problems(self) -> Problems: ...
    @property
    def expressions(self) -> ExpressionCompiler: ...
    @property
    def view(self) -> WorkflowUses: ...

    def component(self, name: str, path: Path) -> ComponentSpec | None: ...

    def nested(
        self, step: Step, label: str, steps: list[Step], names: Names, path: Path
    ) -> Code: ...


class StepLowering:
    """The state one step's lowering needs: the pass, the step, and the names visible to it."""

    def __init__(self, owner: LoweringPass, step: Step, names: Names) -> None:
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

    def uses(self, *features: str) -> None:
        """Features the generated module must import for this step: "timedelta", "asyncio", "retry"."""
        self.owner.view.uses.update(features)


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


def timeout_code(timeouts: Timeouts) -> list[tuple[Code, Code]]:
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


def has_expression(value: Any) -> bool:
    if isinstance(value, Template):
        return True
    if isinstance(value, dict):
        return any(has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(has_expression(item) for item in value)
    return False
