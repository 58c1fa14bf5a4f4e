"""Turning cell text into plain data, remembering where every key and value came from.

YAML is read through its node tree rather than ``safe_load`` so that each path keeps its line and column; JSON
is read with ``json`` (which gives exact syntax error positions) and its marks are recovered through the YAML
node tree, JSON being close enough to YAML for that. Both then go through the same limits (``_limits``).

YAML 1.1 reads some text in surprising ways; the loader reads it as YAML 1.2 would, or refuses it: ``1:30`` is
text (not 90), merge keys (``<<``) are refused rather than taken as a key, and a duplicate key is an error in
JSON as in YAML.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from wfb_jupyter.compiler._limits import (
    MAX_DEFINITION_CHARACTERS,
    MAX_INTEGER_DIGITS,
    MAX_NESTING,
    MAX_VALUES,
    LargeInteger,
    check_data,
    count_values,
    nesting_owner,
)
from wfb_jupyter.compiler._problems import Path, Problem, Problems

# Aliases can make a tiny document expand exponentially ("billion laughs"); stop long before that hurts.
MAX_NODES = MAX_VALUES
# libyaml's composer is some thirty times faster than the pure Python one, and does not recurse in Python.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


@dataclass
class LoadedSource:
    data: Any
    format: str  # "yaml", "json" or "mapping"
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, path: Path) -> None:
        self.path = path


def load_source(
    definition: str | bytes | Mapping[str, Any], problems: Problems
) -> LoadedSource | None:
    """Parse text (YAML or JSON, detected) or accept an already-parsed mapping; ``None`` after a syntax error."""
    if isinstance(definition, Mapping):
        data = dict(definition)
        return LoadedSource(data, "mapping") if check_data(data, problems) else None
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
    if len(definition) > MAX_DEFINITION_CHARACTERS:
        problems.error(
            (),
            f"the definition is {len(definition):,} characters long; "
            f"at most {MAX_DEFINITION_CHARACTERS:,}",
        )
        return None
    loaded = (
        _load_json(definition, problems)
        if definition.lstrip().startswith(("{", "["))
        else _load_yaml(definition, problems)
    )
    if loaded is None or problems.has_errors:
        return None
    return loaded


def _load_json(text: str, problems: Problems) -> LoadedSource | None:
    duplicates: list[str] = []

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return result

    try:
        data = json.loads(text, object_pairs_hook=mapping, parse_int=_json_integer)
    except json.JSONDecodeError as error:
        problems.items.append(
            _syntax_problem(f"invalid JSON: {error.msg}", error.lineno, error.colno)
        )
        return None
    except RecursionError:
        problems.error((), f"invalid JSON: nested more than {MAX_NESTING} levels deep")
        return None
    if count_values(data) > MAX_VALUES:  # refused before the slower pass that finds positions
        check_data(data, problems)
        return None
    marks: dict[Path, tuple[int, int]] = {}
    problems.marks = marks  # so that the problems found below already have positions
    try:
        node = yaml.compose(text, Loader=_LOADER)
        if node is not None:
            # The node tree also finds each duplicate key's path and line.
            _json_marks(node, marks, problems if duplicates else None)
    except (yaml.YAMLError, RecursionError):
        marks.clear()  # JSON that YAML cannot read (tabs, say) simply has no positions
    if duplicates and not problems.has_errors:
        problems.error((), f"duplicate key {duplicates[0]!r}")
    if not check_data(data, problems):
        return None
    return LoadedSource(data, "json", marks)


def _json_marks(
    root: yaml.Node, marks: dict[Path, tuple[int, int]], problems: Problems | None
) -> None:
    """The position of every path of a JSON document (its values come from ``json``), in a loop."""
    pending: list[tuple[yaml.Node, Path]] = [(root, ())]
    while pending:
        node, path = pending.pop()
        marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = (*path, key)
                marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in seen and problems is not None:
                    problems.error(child, f"duplicate key {key!r}")
                seen.add(key)
                pending.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((item, (*path, index)) for index, item in enumerate(node.value))


def _json_integer(text: str) -> int | LargeInteger:
    # int() refuses more than 4,300 digits with a ValueError; the limits check reports long ones by path.
    return LargeInteger(text) if len(text.lstrip("-")) > MAX_INTEGER_DIGITS else int(text)


def _load_yaml(text: str, problems: Problems) -> LoadedSource | None:
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        message = f"invalid YAML: {error.problem}"
        if line is not None:
            # The parser's words name its own grammar; what people get wrong there is indentation.
            message += (
                f" (check the indentation of line {line} and the lines just above it, and that "
                "text with ': ' or '#' in it is quoted)"
            )
        problems.items.append(_syntax_problem(message, line, column))
        return None
    except RecursionError:
        problems.error((), f"invalid YAML: nested more than {MAX_NESTING} levels deep")
        return None
    except yaml.YAMLError as error:
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
        problems.error(
            (), f"the definition has more than {MAX_NODES:,} values (with aliases expanded)"
        )
        return None
    except _TooDeep as error:
        problems.error(nesting_owner(error.path), f"nested more than {MAX_NESTING} levels deep")
        return None
    if not check_data(data, problems):
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
    if len(path) >= MAX_NESTING:
        raise _TooDeep(path)
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Keys are always text here: YAML 1.1 would turn `on:` or `yes:` into booleans.
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "<complex key>"
            child = (*path, key)
            marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_node.tag == _MERGE_TAG and problems is not None:
                problems.error(child, "YAML merge keys (<<) are not supported: write the keys out")
            elif key in result and problems is not None:
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
    text = str(node.value)
    if node.tag in _NUMBER_TAGS and ":" in text:
        return text  # YAML 1.1 sexagesimal (1:30 is 90); YAML 1.2 and people read it as text
    if node.tag == _NUMBER_TAGS[0] and len(text.lstrip("+-").replace("_", "")) > MAX_INTEGER_DIGITS:
        return LargeInteger(text)
    try:
        value = constructor(_SCALAR_LOADER, node)
    except (yaml.YAMLError, ValueError, TypeError):
        return str(node.value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(node.value)  # binary and other exotic tags stay text
