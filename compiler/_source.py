"""Turning cell text into plain data, remembering where every key and value came from.

YAML is read through its node tree rather than ``safe_load`` so that each path keeps its line and column; JSON
is read with ``json`` (which gives exact syntax error positions) and its marks are recovered through the YAML
node tree, JSON being close enough to YAML for that.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from compiler._problems import Path, Problem, Problems

# Aliases can make a tiny document expand exponentially ("billion laughs"); stop long before that hurts.
MAX_NODES = 200_000


@dataclass
class LoadedSource:
    data: Any
    format: str  # "yaml", "json" or "mapping"
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)


class _TooLarge(Exception):
    pass


def load_source(
    definition: str | bytes | Mapping[str, Any], problems: Problems
) -> LoadedSource | None:
    """Parse text (YAML or JSON, detected) or accept an already-parsed mapping; ``None`` after a syntax error."""
    if isinstance(definition, Mapping):
        return LoadedSource(dict(definition), "mapping")
    if isinstance(definition, bytes):
        try:
            definition = definition.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.error((), f"definition is not UTF-8 text: {error.reason}")
            return None
    if not isinstance(definition, str):
        problems.error((), f"expected YAML or JSON text, got {type(definition).__name__}")
        return None
    if not definition.strip():
        problems.error((), "the definition is empty")
        return None
    if definition.lstrip().startswith(("{", "[")):
        return _load_json(definition, problems)
    return _load_yaml(definition, problems)


def _load_json(text: str, problems: Problems) -> LoadedSource | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.items.append(
            _syntax_problem(f"invalid JSON: {error.msg}", error.lineno, error.colno)
        )
        return None
    except RecursionError:
        problems.error((), "invalid JSON: nested too deeply")
        return None
    marks: dict[Path, tuple[int, int]] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _convert(node, (), marks, [0])
    except (yaml.YAMLError, _TooLarge, RecursionError):
        marks = {}  # JSON that YAML cannot read (tabs, say) simply has no positions
    problems.marks = marks
    return LoadedSource(data, "json", marks)


def _load_yaml(text: str, problems: Problems) -> LoadedSource | None:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        problems.items.append(_syntax_problem(f"invalid YAML: {error.problem}", line, column))
        return None
    except (yaml.YAMLError, RecursionError) as error:
        problems.error((), f"invalid YAML: {type(error).__name__}")
        return None
    if len(documents) != 1 or documents[0] is None:
        problems.error((), "expected exactly one YAML document")
        return None
    marks: dict[Path, tuple[int, int]] = {}
    problems.marks = marks  # so that problems found while converting already have positions
    try:
        data = _convert(documents[0], (), marks, [0], problems)
    except _TooLarge:
        problems.error((), f"definition expands to more than {MAX_NODES} values (aliases?)")
        return None
    except RecursionError:
        problems.error((), "definition is nested too deeply")
        return None
    return LoadedSource(data, "yaml", marks)


def _syntax_problem(message: str, line: int | None, column: int | None) -> Problem:
    return Problem("error", "<definition>", message, line, column)


def _convert(
    node: yaml.Node,
    path: Path,
    marks: dict[Path, tuple[int, int]],
    count: list[int],
    problems: Problems | None = None,
) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise _TooLarge
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Keys are always text here: YAML 1.1 would turn `on:` or `yes:` into booleans.
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            child = (*path, key)
            marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result and problems is not None:
                problems.error(child, f"duplicate key {key!r}")
            result[key] = _convert(value_node, child, marks, count, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, i), marks, count, problems) for i, item in enumerate(node.value)
        ]
    return _scalar(node)


_SCALAR_LOADER = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    # Call the tag's constructor directly: construct_object would cache every node for the loader's lifetime.
    constructor = yaml.SafeLoader.yaml_constructors.get(node.tag)
    if constructor is None:
        return str(node.value)
    try:
        value = constructor(_SCALAR_LOADER, node)
    except (yaml.YAMLError, ValueError, TypeError):
        return str(node.value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(node.value)  # binary and other exotic tags stay text
