"""Typed input fields: parsed from the definition, turned into a JSON schema, and used to check start values."""

from __future__ import annotations

import builtins
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.compiler._problems import Path, Problems
from wfb_jupyter.compiler.model._common import check_keys, read_name, read_text, type_name

# Input fields are declared in the generated input class and used as names in generated code; names of
# builtins and of what generated code imports are kept out so that no field can ever shadow them.
RESERVED_FIELD_NAMES = frozenset(dir(builtins)) | {
    "self",
    "dataclasses",
    "Any",
    "workflow",
    "params",
}
FIELD_TYPES = ("string", "number", "integer", "boolean", "object", "array", "any")
FIELD_KEYS = (
    "type",
    "default",
    "required",
    "enum",
    "minimum",
    "maximum",
    "description",
    "title",
    "items",
)


@dataclass(frozen=True)
class InputField:
    name: str
    type: str = "any"
    required: bool = True
    default: Any = None
    has_default: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    items: str | None = None  # the element type of an array

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {} if self.type == "any" else {"type": self.type}
        if self.items:
            schema["items"] = {"type": self.items}
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        for key, bound in (("minimum", self.minimum), ("maximum", self.maximum)):
            if bound is not None:
                schema[key] = bound
        if self.has_default:
            schema["default"] = self.default
        if self.description:
            schema["description"] = self.description
        return schema


def parse_input_fields(raw: Any, path: Path, problems: Problems) -> list[InputField]:
    """``input: {name: string}`` (short) or ``input: {name: {type: number, minimum: 0, default: 1}}``."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        problems.error(
            path, f"input must be a mapping of field names to types, got {type_name(raw)}"
        )
        return []
    fields = []
    for key, spec in raw.items():
        field_path = (*path, key)
        name = read_name(key, field_path, problems, "input field name")
        if name in RESERVED_FIELD_NAMES:
            problems.error(
                field_path, f"input field name {name!r} would hide a Python name; choose another"
            )
            name = None
        parsed = _parse_field(name or "invalid", spec, field_path, problems)
        if name is not None and parsed is not None:
            fields.append(parsed)
    return fields


def _parse_field(name: str, spec: Any, path: Path, problems: Problems) -> InputField | None:
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        problems.error(path, f"an input field is a type name or a mapping, got {type_name(spec)}")
        return None
    check_keys(spec, FIELD_KEYS, path, problems)
    enum = spec.get("enum")
    field_type = spec.get(
        "type",
        "string"
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum)
        else "any",
    )
    if field_type not in FIELD_TYPES:
        problems.error(
            (*path, "type"), f"unknown type {field_type!r}; use one of {', '.join(FIELD_TYPES)}"
        )
        return None
    if enum is not None and (not isinstance(enum, list) or not enum):
        problems.error((*path, "enum"), "enum must be a non-empty list")
        enum = None
    bounds = {}
    for key in ("minimum", "maximum"):
        value = spec.get(key)
        if value is not None:
            if field_type not in ("number", "integer"):
                problems.error((*path, key), f"{key} applies to number and integer fields only")
            elif (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                problems.error((*path, key), f"{key} must be a number")
            else:
                bounds[key] = value
    if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
        problems.error((*path, "maximum"), "maximum is less than minimum")
    items = spec.get("items")
    if items is not None and (field_type != "array" or items not in FIELD_TYPES):
        problems.error((*path, "items"), "items takes an element type, on array fields only")
        items = None
    required = spec.get("required", "default" not in spec)
    if not isinstance(required, bool):
        problems.error((*path, "required"), "required must be true or false")
        required = True
    field = InputField(
        name=name,
        type=field_type,
        required=required,
        default=spec.get("default"),
        has_default="default" in spec,
        enum=tuple(enum) if enum is not None else None,
        minimum=bounds.get("minimum"),
        maximum=bounds.get("maximum"),
        description=read_text(
            spec.get("description"), (*path, "description"), problems, "description"
        )
        or "",
        items=items,
    )
    if enum is not None:
        for index, option in enumerate(enum):
            for message in check_value(InputField(name, field_type), option):
                problems.error((*path, "enum", index), message)
    if field.has_default:
        for message in check_value(field, field.default):
            problems.error((*path, "default"), f"default: {message}")
        if required and "required" in spec:
            problems.error((*path, "required"), "a field with a default cannot be required")
    return field


def input_json_schema(fields: list[InputField]) -> dict[str, Any]:
    """The JSON schema the runtime validates starts with and builds its run form from."""
    return {
        "type": "object",
        "properties": {field.name: field.json_schema() for field in fields},
        "required": [field.name for field in fields if field.required],
        "additionalProperties": False,
    }


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def check_value(field: InputField, value: Any) -> list[str]:
    """Problems with one value for ``field`` (empty when it fits)."""
    expected = _PYTHON_TYPES.get(field.type)
    if value is None and not field.required:
        return []
    if expected is not None:
        wrong_bool = isinstance(value, bool) and field.type in ("number", "integer")
        if wrong_bool or not isinstance(value, expected):
            return [f"{field.name} must be {field.type}, got {type_name(value)}"]
    if field.enum is not None and value not in field.enum:
        return [f"{field.name} must be one of {list(field.enum)!r}"]
    if field.minimum is not None and isinstance(value, (int, float)) and value < field.minimum:
        return [f"{field.name} must be at least {field.minimum}"]
    if field.maximum is not None and isinstance(value, (int, float)) and value > field.maximum:
        return [f"{field.name} must be at most {field.maximum}"]
    return []


def validate_input(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """Check start values against a schema from ``input_json_schema``; returns readable messages."""
    if not isinstance(values, Mapping):
        return [f"input must be a mapping, got {type_name(values)}"]
    properties: Mapping[str, Any] = schema.get("properties", {})
    messages = [f"{name} is required" for name in schema.get("required", []) if name not in values]
    for name, value in values.items():
        if name not in properties:
            messages.append(f"unknown input field {name!r}")
            continue
        prop = properties[name]
        field = InputField(
            name=name,
            type=prop.get("type", "any"),
            required=name in schema.get("required", []),
            enum=tuple(prop["enum"]) if "enum" in prop else None,
            minimum=prop.get("minimum"),
            maximum=prop.get("maximum"),
        )
        messages.extend(check_value(field, value))
    return messages
