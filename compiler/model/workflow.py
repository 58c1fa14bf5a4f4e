"""The whole definition: name, input, output, defaults, signals, queries, variables and steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfb_jupyter.compiler._escape import workflow_name_problem
from wfb_jupyter.compiler._problems import Path, Problems
from wfb_jupyter.compiler.model._common import (
    RetrySpec,
    Step,
    Timeouts,
    Value,
    check_keys,
    read_mapping,
    read_name,
    read_retry,
    read_text,
    read_timeouts,
    read_value,
    type_name,
)
from wfb_jupyter.compiler.model._steps import StepParser, assign_ids
from wfb_jupyter.compiler.model.inputs import InputField, parse_input_fields

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "input",
    "output",
    "defaults",
    "metadata",
    "signals",
    "updates",
    "queries",
    "vars",
    "steps",
)
RESERVED_QUERIES = frozenset({"progress"})
DEFAULT_START_TO_CLOSE = 300.0


@dataclass
class SignalSpec:
    name: str
    payload: list[InputField] = field(default_factory=list)
    sets: dict[str, Value] = field(default_factory=dict)


@dataclass
class UpdateSpec:
    """A validated, answered message: ``validate`` (an expression over ``update``, the payload, and the run's
    state) must hold or the update is refused with ``message``; then ``set`` runs and ``result`` answers."""

    name: str
    payload: list[InputField] = field(default_factory=list)
    validate: Value = None
    message: Value = None
    sets: dict[str, Value] = field(default_factory=dict)
    result: Value = None


@dataclass
class QuerySpec:
    name: str
    value: Value


@dataclass
class Defaults:
    timeouts: Timeouts = field(
        default_factory=lambda: Timeouts(start_to_close=DEFAULT_START_TO_CLOSE)
    )
    retry: RetrySpec | None = None


@dataclass
class WorkflowDefinition:
    name: str
    description: str = ""
    inputs: list[InputField] = field(default_factory=list)
    output: Value = None
    has_output: bool = False
    defaults: Defaults = field(default_factory=Defaults)
    metadata: dict[str, Any] = field(default_factory=dict)
    signals: list[SignalSpec] = field(default_factory=list)
    updates: list[UpdateSpec] = field(default_factory=list)
    queries: list[QuerySpec] = field(default_factory=list)
    variables: dict[str, Value] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    raw: dict[str, Any] = field(
        default_factory=dict
    )  # the normalised source, hashed for the checksum


def parse_workflow(data: Any, problems: Problems, path: Path = ()) -> WorkflowDefinition | None:
    if not isinstance(data, Mapping):
        problems.error(
            path, f"a definition is a mapping with name and steps, got {type_name(data)}"
        )
        return None
    check_keys(data, TOP_LEVEL_KEYS, path, problems)
    name = data.get("name")
    if name is None:
        problems.error((*path, "name"), "the workflow needs a name")
    elif (message := workflow_name_problem(name)) is not None:
        problems.error((*path, "name"), message)
    if "steps" in data:
        steps = StepParser(problems).parse_steps(data["steps"], (*path, "steps"))
    else:
        problems.error((*path, "steps"), "the workflow needs steps: a list of steps")
        steps = []
    assign_ids(steps)
    definition = WorkflowDefinition(
        name=name if isinstance(name, str) and workflow_name_problem(name) is None else "invalid",
        description=read_text(
            data.get("description"), (*path, "description"), problems, "description"
        )
        or "",
        inputs=parse_input_fields(data.get("input"), (*path, "input"), problems),
        output=read_value(data.get("output"), (*path, "output"), problems),
        has_output="output" in data,
        defaults=_parse_defaults(data.get("defaults"), (*path, "defaults"), problems),
        metadata=_parse_metadata(data.get("metadata"), (*path, "metadata"), problems),
        signals=_parse_signals(data.get("signals"), (*path, "signals"), problems),
        updates=_parse_updates(data.get("updates"), (*path, "updates"), problems),
        queries=_parse_queries(data.get("queries"), (*path, "queries"), problems),
        variables=_parse_variables(data.get("vars"), (*path, "vars"), problems),
        steps=steps,
        raw=dict(data),
    )
    for update in definition.updates:
        if update.name in {signal.name for signal in definition.signals}:
            problems.error(
                (*path, "updates", update.name),
                f"{update.name!r} is a signal too: use one name for one",
            )
    return definition


def _parse_defaults(raw: Any, path: Path, problems: Problems) -> Defaults:
    mapping = read_mapping(raw, path, problems, "defaults") or {}
    check_keys(mapping, ("timeout", "timeouts", "retry"), path, problems)
    timeouts = read_timeouts(mapping, path, problems)
    base = Defaults().timeouts
    if timeouts.schedule_to_close is not None and timeouts.start_to_close is None:
        base = Timeouts()  # a schedule-to-close default alone is enough for Temporal
    return Defaults(
        timeouts.merged_over(base), read_retry(mapping.get("retry"), (*path, "retry"), problems)
    )


def _parse_metadata(raw: Any, path: Path, problems: Problems) -> dict[str, Any]:
    mapping = read_mapping(raw, path, problems, "metadata") or {}
    for key, value in mapping.items():
        if not isinstance(value, (str, int, float, bool)) or value is None:
            problems.error((*path, key), "metadata values are text, numbers or booleans")
    return mapping


def _parse_signals(raw: Any, path: Path, problems: Problems) -> list[SignalSpec]:
    mapping = read_mapping(raw, path, problems, "signals") or {}
    signals = []
    for key, spec in mapping.items():
        signal_path = (*path, key)
        name = read_name(key, signal_path, problems, "signal name")
        spec = {} if spec is None else spec
        body = read_mapping(spec, signal_path, problems, "a signal") or {}
        check_keys(body, ("payload", "set", "description"), signal_path, problems)
        payload = parse_input_fields(body.get("payload"), (*signal_path, "payload"), problems)
        sets = read_mapping(body.get("set"), (*signal_path, "set"), problems, "set") or {}
        values = {}
        for var, value in sets.items():
            if read_name(var, (*signal_path, "set", var), problems, "variable name"):
                values[var] = read_value(value, (*signal_path, "set", var), problems)
        if name is not None:
            signals.append(SignalSpec(name, payload, values))
    return signals


def _parse_updates(raw: Any, path: Path, problems: Problems) -> list[UpdateSpec]:
    mapping = read_mapping(raw, path, problems, "updates") or {}
    updates = []
    for key, spec in mapping.items():
        update_path = (*path, key)
        name = read_name(key, update_path, problems, "update name")
        body = read_mapping({} if spec is None else spec, update_path, problems, "an update") or {}
        check_keys(
            body,
            ("payload", "validate", "message", "set", "result", "description"),
            update_path,
            problems,
        )
        if "message" in body and "validate" not in body:
            problems.error(
                (*update_path, "message"), "message: goes with validate: (what is refused)"
            )
        sets = read_mapping(body.get("set"), (*update_path, "set"), problems, "set") or {}
        values = {}
        for var, value in sets.items():
            if read_name(var, (*update_path, "set", var), problems, "variable name"):
                values[var] = read_value(value, (*update_path, "set", var), problems)
        if name is None:
            continue
        updates.append(
            UpdateSpec(
                name,
                parse_input_fields(body.get("payload"), (*update_path, "payload"), problems),
                validate=read_value(body.get("validate"), (*update_path, "validate"), problems),
                message=read_value(
                    body.get("message", f"update {name!r} was refused"),
                    (*update_path, "message"),
                    problems,
                ),
                sets=values,
                result=read_value(body.get("result"), (*update_path, "result"), problems),
            )
        )
    return updates


def _parse_queries(raw: Any, path: Path, problems: Problems) -> list[QuerySpec]:
    mapping = read_mapping(raw, path, problems, "queries") or {}
    queries = []
    for key, value in mapping.items():
        name = read_name(key, (*path, key), problems, "query name")
        if name in RESERVED_QUERIES:
            problems.error((*path, key), f"the query {name!r} is built in; choose another name")
            continue
        if name is not None:
            queries.append(QuerySpec(name, read_value(value, (*path, key), problems)))
    return queries


def _parse_variables(raw: Any, path: Path, problems: Problems) -> dict[str, Value]:
    mapping = read_mapping(raw, path, problems, "vars") or {}
    variables = {}
    for key, value in mapping.items():
        if read_name(key, (*path, key), problems, "variable name"):
            variables[key] = read_value(value, (*path, key), problems)
    return variables
