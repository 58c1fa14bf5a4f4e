"""The one way user-supplied text becomes generated code.

Templates never see raw user strings: the code generator passes them ``Code`` fragments made here, and the
Jinja environment refuses to render any plain ``str`` (see ``_environment``). Names become identifiers only if
they already are plain ASCII identifiers (validation reports the rest); every other string becomes a Python
literal, quoted the way ``ruff format`` would quote it.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from typing import Any

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
WORKFLOW_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
MAX_NAME_LENGTH = 64
INDENT = "    "


class Code(str):
    """A fragment of Python that is safe to place in generated code as it is."""

    __slots__ = ()


def name_problem(name: object, what: str = "name") -> str | None:
    """Why ``name`` cannot be used as a step id, variable, input field, signal or query; ``None`` if it can."""
    if not isinstance(name, str):
        return f"{what} must be text, got {type(name).__name__}"
    if len(name) > MAX_NAME_LENGTH:
        return f"{what} is longer than {MAX_NAME_LENGTH} characters"
    if not NAME_PATTERN.match(name):
        # ascii() shows look-alikes for what they are: a Cyrillic "Ѕ" prints as \u0405.
        return (
            f"{what} {ascii(name)} must be ASCII letters, digits and '_', not starting with a digit"
        )
    if name.startswith("_"):
        return f"{what} {py_str(name)} must not start with '_'"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{what} {py_str(name)} is a Python keyword"
    return None


def workflow_name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"name must be text, got {type(name).__name__}"
    if len(name) > MAX_NAME_LENGTH:
        return f"name is longer than {MAX_NAME_LENGTH} characters"
    if not WORKFLOW_NAME_PATTERN.match(name):
        return (
            f"name {ascii(name)} must be ASCII letters, digits, '_' and '-', starting with a letter"
        )
    return None


def py_identifier(name: str, prefix: str = "") -> Code:
    """``prefix + name`` as an identifier; refuses anything validation should already have rejected."""
    if name_problem(name) is not None and not (prefix and NAME_PATTERN.match(name)):
        raise ValueError(f"not a usable name: {name!r}")
    return Code(prefix + name)


def class_name(workflow_name: str, suffix: str = "Workflow") -> Code:
    if workflow_name_problem(workflow_name) is not None:
        raise ValueError(f"not a usable workflow name: {workflow_name!r}")
    words = re.split(r"[-_]+", workflow_name)
    return Code("".join(word[:1].upper() + word[1:] for word in words if word) + suffix)


def module_name(workflow_name: str, version: int) -> Code:
    if workflow_name_problem(workflow_name) is not None:
        raise ValueError(f"not a usable workflow name: {workflow_name!r}")
    return Code(f"wfb_{workflow_name.replace('-', '_').lower()}_v{int(version)}")


def py_str(text: str) -> Code:
    """A string literal; double quotes unless single quotes need fewer escapes (ruff's rule)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = []
    for char in text:
        if char == "\\":
            body.append("\\\\")
        elif char == quote:
            body.append("\\" + quote)
        elif char == "\n":
            body.append("\\n")
        elif char == "\r":
            body.append("\\r")
        elif char == "\t":
            body.append("\\t")
        elif char.isprintable():
            body.append(char)
        else:
            body.append(_escape_codepoint(ord(char)))
    return Code(quote + "".join(body) + quote)


def _escape_codepoint(point: int) -> str:
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def py_literal(value: Any, depth: int = 0) -> Code:
    """A JSON-like value as a Python literal; containers are exploded one item per line (ruff's magic comma)."""
    if value is None or isinstance(value, bool):
        return Code(repr(value))
    if isinstance(value, int):
        return Code(repr(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return Code(f'float("{value}")')
        return Code(repr(value))
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, Mapping):
        return py_dict(
            {py_str(str(key)): py_literal(item, depth + 1) for key, item in value.items()}, depth
        )
    if isinstance(value, (list, tuple)):
        return py_list([py_literal(item, depth + 1) for item in value], depth)
    raise TypeError(f"cannot write a {type(value).__name__} into generated code")


def py_dict(items: Mapping[Code, Code], depth: int = 0) -> Code:
    """A dict display from already-escaped keys and values, indented for nesting ``depth``."""
    if not items:
        return Code("{}")
    inner = INDENT * (depth + 1)
    lines = [f"{inner}{key}: {value}," for key, value in items.items()]
    return Code("{\n" + "\n".join(lines) + "\n" + INDENT * depth + "}")


def py_list(items: list[Code], depth: int = 0) -> Code:
    if not items:
        return Code("[]")
    inner = INDENT * (depth + 1)
    lines = [f"{inner}{item}," for item in items]
    return Code("[\n" + "\n".join(lines) + "\n" + INDENT * depth + "]")


def indent(fragment: str, levels: int) -> Code:
    """Shift every line but the first right by ``levels`` indents, for multi-line fragments in templates."""
    pad = INDENT * levels
    return Code(fragment.replace("\n", "\n" + pad))
