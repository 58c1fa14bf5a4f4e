"""Definition values written back as a person would type them: ``input.size > 100`` for the parsed form of
``${input.size > 100}``, a list as its length. For the workflow graph and step descriptions; not escaped here.
"""

from __future__ import annotations

import json
from typing import Any

from wfb_jupyter.compiler._expressions import Binary, Call, ListExpr, Literal, Ref, Template, Unary


def expression_text(node: Any) -> str:
    """``input.size > 100`` for the parsed form of ``${input.size > 100}``."""
    if isinstance(node, Literal):
        return json.dumps(node.value) if isinstance(node.value, str) else _literal(node.value)
    if isinstance(node, Ref):
        text = node.root
        for part in node.parts:
            if isinstance(part, str):
                text += f".{part}"
            elif isinstance(part, int):
                text += f"[{part}]"
            else:
                text += f"[{expression_text(part)}]"
        return text
    if isinstance(node, Unary):
        spacer = " " if node.op.isalpha() else ""
        return f"{node.op}{spacer}{_operand(node.operand)}"
    if isinstance(node, Binary):
        return f"{_operand(node.left)} {node.op} {_operand(node.right)}"
    if isinstance(node, Call):
        return f"{node.function}({', '.join(expression_text(arg) for arg in node.args)})"
    if isinstance(node, ListExpr):
        return f"[{', '.join(expression_text(item) for item in node.items)}]"
    return str(node)


def _operand(node: Any) -> str:
    text = expression_text(node)
    return f"({text})" if isinstance(node, Binary) else text


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe_value(value: Any) -> str:
    """A definition value in a few words: the source of a ``${...}`` template, a list's length, or JSON."""
    if isinstance(value, Template):
        return value.source
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return f"{len(value)} items"
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)
