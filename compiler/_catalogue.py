"""The component catalogue: what the compiler knows about the activities a workflow may call.

The runtime's component registry (``wfb_jupyter``) builds these values from the database; the compiler only
reads them, to validate a definition's arguments and to render the activities module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ParameterType = Literal["string", "number", "integer", "boolean", "object", "array", "any"]
ComponentKind = Literal["builtin", "user"]


@dataclass(frozen=True)
class ComponentParameter:
    """One named argument of a component."""

    name: str
    type: ParameterType = "any"
    required: bool = False
    default: Any = None
    description: str = ""
    enum: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ComponentSpec:
    """A component (activity) as the compiler sees it.

    Every component activity takes one positional argument, the dict of its evaluated arguments, and returns a
    JSON-serialisable value. Builtins are implemented in an importable module (``module``/``function``); user
    components carry their own ``source`` (a top-level ``def`` named ``function``) and the ``imports`` it needs.
    """

    name: str
    kind: ComponentKind
    parameters: tuple[ComponentParameter, ...] = ()
    description: str = ""
    version: int = 1
    module: str = ""
    function: str = ""
    source: str = ""
    imports: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    is_async: bool = False
    # Builtins that are quick and never block are called on the worker's event loop: a thread hop would cost
    # more than the call. Everything else that is not async runs in a thread.
    runs_inline: bool = False

    @property
    def activity_type(self) -> str:
        """The Temporal activity type name: user components are versioned so old workflow versions keep theirs."""
        if self.kind == "builtin":
            return f"wfb.{self.name}"
        return f"{self.name}.v{self.version}"

    def parameter(self, name: str) -> ComponentParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


@dataclass(frozen=True)
class ComponentCatalogue(Mapping[str, ComponentSpec]):
    """An immutable name -> spec mapping, iterated in name order so generated code is deterministic."""

    components: Mapping[str, ComponentSpec] = field(default_factory=dict)

    @classmethod
    def of(cls, specs: Iterable[ComponentSpec]) -> ComponentCatalogue:
        return cls({spec.name: spec for spec in specs})

    def __getitem__(self, name: str) -> ComponentSpec:
        return self.components[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.components))

    def __len__(self) -> int:
        return len(self.components)
