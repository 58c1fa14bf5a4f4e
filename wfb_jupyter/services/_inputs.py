"""Inputs read as a workflow's schema expects them, and the words that explain a refused input."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def read_value(text: str, field_schema: Mapping[str, Any]) -> Any:
    """Typed text, read for one field: a string field keeps the text as typed (``01234`` stays ``"01234"``);
    other fields read it as JSON, so numbers, booleans, lists and objects need no quoting. Text that is not
    JSON stays text: validation against the schema then says what was expected."""
    if field_schema.get("type") == "string":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def coerce_form_value(text: str, field_schema: Mapping[str, Any]) -> Any:
    """A run form's text box value (empty text means "not given")."""
    return None if text == "" else read_value(text, field_schema)


def input_problems_message(
    workflow: str, version: int, problems: Sequence[str], schema: Mapping[str, Any]
) -> str:
    """Why a run was refused, with the fields the workflow takes."""
    lines = [f"{workflow!r} v{version} was not started: the input is invalid"]
    lines.extend(f"  - {problem}" for problem in problems)
    lines.append(f"  it takes: {describe_fields(schema)}")
    return "\n".join(lines)


def describe_fields(schema: Mapping[str, Any]) -> str:
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        return "no input"
    required = set(schema.get("required", []))
    parts = []
    for name, spec in properties.items():
        kind = spec.get("type", "any") if "enum" not in spec else "|".join(map(str, spec["enum"]))
        text = f"{name}: {kind}"
        if "default" in spec:
            text += f" = {json.dumps(spec['default'])}"
        elif name not in required:
            text += " (optional)"
        parts.append(text)
    return ", ".join(parts)
