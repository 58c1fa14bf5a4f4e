"""The expression evaluator behind the ``python_transform`` component.

It narrows what an expression can reach (no statements, no dunder attributes, a short list of builtins), which
stops accidents and casual misuse. It is not a security boundary: the expression runs in the worker's
process, with the worker's permissions.
"""

from __future__ import annotations

import ast
import builtins
import json
import math
import re
from typing import Any

_ALLOWED_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int", "isinstance",
    "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip",
)  # fmt: skip
_MODULES = {"json": json, "math": math, "re": re}
MAX_EXPRESSION_LENGTH = 10_000


class TransformError(ValueError):
    """The expression is not allowed, does not parse, or failed while running."""


def evaluate_transform(expression: str, data: Any, variables: dict[str, Any]) -> Any:
    """Evaluate one expression with ``data``, ``variables`` and the allowed builtins and modules in scope."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise TransformError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise TransformError(
            f"not a Python expression: {error.msg} (column {error.offset})"
        ) from None
    _check(tree)
    reserved = {"data", *_MODULES, *_ALLOWED_BUILTINS}
    clashes = sorted(reserved & set(variables))
    if clashes:
        raise TransformError(f"variables may not be named {', '.join(clashes)}")
    namespace: dict[str, Any] = {
        "__builtins__": {name: getattr(builtins, name) for name in _ALLOWED_BUILTINS},
        **_MODULES,
        **variables,
        "data": data,
    }
    try:
        return eval(compile(tree, "<python_transform>", "eval"), namespace)  # noqa: S307 - see module docstring
    except Exception as error:  # noqa: BLE001 - any failure of the user's expression is reported as theirs
        raise TransformError(f"{type(error).__name__}: {error}") from error


def _check(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise TransformError(
                f"attribute {node.attr!r} is not allowed (no underscore attributes)"
            )
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise TransformError(f"name {node.id!r} is not allowed")
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            raise TransformError(f"{type(node).__name__} is not allowed in a transform")
