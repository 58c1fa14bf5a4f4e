"""The ``@component`` decorator: turns a notebook function into a user component, checked at once."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any, overload

from wfb_jupyter.compiler import ComponentParameter, ComponentSpec
from wfb_jupyter.components._builtin_specs import BUILTIN_NAMES
from wfb_jupyter.components._capture import capture_function
from wfb_jupyter.components._errors import ComponentCaptureError
from wfb_jupyter.components._parameters import ParameterError, signature_parameters
from wfb_jupyter.components._shapes import check_shape

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Components decorated in this process, by name; re-running a cell replaces the earlier definition.
_defined: dict[str, UserComponent] = {}


class UserComponent:
    """A captured notebook function. Calling it calls the function, so it can be tried in the notebook."""

    __wfb_component__ = True

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        requirements: Sequence[str] = (),
    ) -> None:
        check_shape(function)  # before its name: a partial or a callable object has none
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", ""))
        if not _NAME.match(self.name):
            raise ComponentCaptureError(
                self.name, [f"component name {self.name!r} must be a Python identifier"]
            )
        if self.name in BUILTIN_NAMES:
            raise ComponentCaptureError(
                self.name,
                [f"`{self.name}` is a built-in component; give yours another name (name=...)"],
            )
        captured = capture_function(function)
        try:
            self.parameters: tuple[ComponentParameter, ...] = signature_parameters(
                function, self.name
            )
        except ParameterError as error:
            raise ComponentCaptureError(self.name, [str(error)]) from None
        self.source = captured.source
        self.imports = captured.imports
        self.requirements = tuple(sorted({*captured.requirements, *requirements}))
        self.description = description or (inspect.getdoc(function) or "").split("\n\n")[0].strip()
        self.is_async = inspect.iscoroutinefunction(function)
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<component {self.name} ({', '.join(p.name for p in self.parameters)})>"

    def spec(self, version: int = 1) -> ComponentSpec:
        """The catalogue entry for this component at ``version`` (storage assigns the real number)."""
        return ComponentSpec(
            name=self.name,
            kind="user",
            parameters=self.parameters,
            description=self.description,
            version=version,
            function=self.function.__name__,
            source=self.source,
            imports=self.imports,
            requirements=self.requirements,
            is_async=self.is_async,
        )


@overload
def component(function: Callable[..., Any], /) -> UserComponent: ...
@overload
def component(
    *, name: str | None = None, description: str | None = None, requirements: Sequence[str] = ()
) -> Callable[[Callable[..., Any]], UserComponent]: ...


def component(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    requirements: Sequence[str] = (),
) -> UserComponent | Callable[[Callable[..., Any]], UserComponent]:
    """Make a notebook function a component: ``@component`` or ``@component(name=..., description=...)``.

    The function's source and the imports it needs are captured now, so a problem (a notebook variable it
    reads, a helper defined in the notebook) is reported in the cell that defines it. ``requirements``
    adds packages a worker elsewhere must install; imported third-party packages are found automatically.
    """

    def decorate(target: Callable[..., Any]) -> UserComponent:
        captured = UserComponent(
            target, name=name, description=description, requirements=requirements
        )
        _defined[captured.name] = captured
        return captured

    return decorate(function) if function is not None else decorate


# Capture recognises the decorator under any name it is bound to (`c = component`).
component.__wfb_decorator__ = True  # type: ignore[attr-defined]


def defined_components() -> list[UserComponent]:
    """The components decorated in this process (latest definition of each name), by name."""
    return [_defined[name] for name in sorted(_defined)]


def forget_components() -> None:
    """Forget the components decorated in this process (tests; a fresh notebook session)."""
    _defined.clear()
