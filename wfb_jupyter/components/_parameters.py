"""Component parameters from a function's signature: type hints give types, defaults make them optional."""

from __future__ import annotations

import collections.abc
import inspect
import json
import types
import typing
from collections.abc import Callable
from typing import Any

from wfb_jupyter.compiler import ComponentParameter, ParameterType

_SIMPLE: dict[Any, ParameterType] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    dict: "object",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
}
_ABSTRACT: tuple[tuple[Any, ParameterType], ...] = (
    (collections.abc.Mapping, "object"),
    (collections.abc.Sequence, "array"),
    (collections.abc.Set, "array"),
)


class ParameterError(ValueError):
    """The signature cannot be called with keyword arguments from a workflow."""


def parameter_type(annotation: Any) -> ParameterType:
    """The catalogue type of a type hint; ``any`` for what JSON cannot express more precisely."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return "any"
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        kinds = {
            parameter_type(arg) for arg in typing.get_args(annotation) if arg is not type(None)
        }
        if kinds == {"integer", "number"}:
            return "number"
        return kinds.pop() if len(kinds) == 1 else "any"
    if origin is typing.Literal:
        kinds = {parameter_type(type(value)) for value in typing.get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else "any"
    base = origin or annotation
    if base in _SIMPLE:
        return _SIMPLE[base]
    if isinstance(base, type):
        for abstract, kind in _ABSTRACT:
            if issubclass(base, abstract) and not issubclass(base, (str, bytes, bytearray)):
                return kind
    return "any"


def _enum(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    return None


def signature_parameters(
    function: Callable[..., Any], component: str
) -> tuple[ComponentParameter, ...]:
    """One parameter per argument of ``function``; every argument must be passable by keyword."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - unresolvable hints only cost precision: fall back to the raw ones
        hints = {}
    parameters = []
    for argument in inspect.signature(function).parameters.values():
        if argument.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ParameterError(
                f"{component}: parameter `{argument.name}` is positional-only; workflows pass arguments "
                "by name, so remove the `/` from the signature"
            )
        if argument.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue  # **kwargs accepts whatever the workflow passes; nothing to declare
        annotation = hints.get(argument.name, argument.annotation)
        required = argument.default is inspect.Parameter.empty
        default = None if required else argument.default
        if not required:
            try:
                json.dumps(default)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{component}: the default of `{argument.name}` ({default!r}) is not JSON data; use "
                    "None as the default and build the value inside the function"
                ) from None
        parameters.append(
            ComponentParameter(
                name=argument.name,
                type=parameter_type(annotation),
                required=required,
                default=default,
                enum=_enum(annotation),
            )
        )
    return tuple(parameters)
