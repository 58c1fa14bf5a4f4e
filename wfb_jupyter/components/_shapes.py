"""Which callables can be components: a plain function at the top level of a cell, that returns its result.

Everything else is refused by what it really is, with the fix: a ``functools.partial`` or a callable object has
no source of its own to store; a method needs an instance the worker does not have; a generator gives nothing
a workflow can receive; and a function that another decorator wrapped (without ``functools.wraps``) is named by
the function it wraps, not by the decorator's inner ``wrapper``.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from wfb_jupyter.components._errors import ComponentCaptureError

_FIX = "define a `def` function at the top level of a cell, and decorate that"


def check_shape(function: Callable[..., Any]) -> None:
    """Raise ``ComponentCaptureError`` naming why ``function`` cannot be a component; None if it can."""
    if isinstance(function, functools.partial):
        inner = getattr(function.func, "__name__", type(function.func).__name__)
        raise ComponentCaptureError(
            inner,
            [
                f"a functools.partial of {inner} cannot be a component: {_FIX}, "
                f"calling {inner} with the arguments you fixed"
            ],
        )
    if isinstance(function, (types.MethodType, staticmethod, classmethod)):
        name = getattr(function, "__name__", "method")
        raise ComponentCaptureError(
            name, [f"{name} is a method; a component is a function at the top level of a cell"]
        )
    if not isinstance(function, types.FunctionType):
        if hasattr(function, "__wrapped__"):
            return  # a decorator that used functools.wraps: capture names it from the source
        kind = type(function).__name__
        name = getattr(function, "__name__", "")
        what = f"{name} (a {kind})" if name else f"a {kind} object"
        raise ComponentCaptureError(name or kind, [f"{what} cannot be a component: {_FIX}"])
    name = function.__name__
    wrapped = _wrapped_function(function)
    if wrapped is not None:
        decorator = function.__qualname__.split(".<locals>")[0]
        raise ComponentCaptureError(
            wrapped.__name__,
            [
                f"{wrapped.__name__} is wrapped by the decorator `{decorator}` (which gives back its "
                f"inner function `{name}`); a component is stored without other decorators, so put "
                f"@component directly on `def {wrapped.__name__}` and apply `{decorator}` inside it"
            ],
        )
    owner, _, _ = function.__qualname__.rpartition(".")
    if owner and "<locals>" not in owner:
        raise ComponentCaptureError(
            name,
            [
                f"{name} is defined in class {owner}; a component is a function at the top level "
                "of a cell: move it out of the class (without `self`)"
            ],
        )
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        raise ComponentCaptureError(
            name,
            [
                f"{name} is a generator (it yields), and a workflow receives one result: "
                "return a list instead"
            ],
        )


def _wrapped_function(function: types.FunctionType) -> types.FunctionType | None:
    """The function a decorator's inner function closes over, if ``function`` is such an inner one."""
    if "<locals>" not in function.__qualname__ or not function.__closure__:
        return None
    for cell in function.__closure__:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, types.FunctionType) and value is not function:
            return value
    return None
