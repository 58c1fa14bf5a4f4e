"""What every step shares: ids, ``when``, retry, timeouts and ``on_error``, and the parsing helpers for them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from wfb_jupyter.compiler._escape import name_problem
from wfb_jupyter.compiler._expressions import (
    ExpressionSyntaxError,
    Node,
    Template,
    parse_expression,
    parse_template,
)
from wfb_jupyter.compiler._problems import Path, Problems

if TYPE_CHECKING:
    from wfb_jupyter.compiler._step_lowering import StepLowering

# A definition value: JSON data in which every string holding "${" has become a Template.
Value = Any

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION_SECONDS = 10 * 365 * 86400.0
MIN_DURATION_SECONDS = 0.001
MAX_ATTEMPTS_LIMIT = 1_000


@dataclass(frozen=True)
class RetrySpec:
    initial_interval: float | None = None
    backoff_coefficient: float | None = None
    maximum_interval: float | None = None
    maximum_attempts: int | None = None
    non_retryable_error_types: tuple[str, ...] = ()

    def merged_over(self, base: RetrySpec | None) -> RetrySpec:
        """This policy, with fields it leaves unset taken from ``base`` (the workflow defaults)."""
        if base is None:
            return self
        return RetrySpec(
            _first(self.initial_interval, base.initial_interval),
            _first(self.backoff_coefficient, base.backoff_coefficient),
            _first(self.maximum_interval, base.maximum_interval),
            _first(self.maximum_attempts, base.maximum_attempts),
            self.non_retryable_error_types or base.non_retryable_error_types,
        )


@dataclass(frozen=True)
class Timeouts:
    start_to_close: float | None = None
    schedule_to_close: float | None = None
    heartbeat: float | None = None

    def merged_over(self, base: Timeouts) -> Timeouts:
        return Timeouts(
            _first(self.start_to_close, base.start_to_close),
            _first(self.schedule_to_close, base.schedule_to_close),
            _first(self.heartbeat, base.heartbeat),
        )


def _first(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


@dataclass
class OnError:
    """What happens when a step fails: ``fail`` (optionally with a message), ``continue``, ``goto`` a sibling
    step, or run handler ``steps`` and continue."""

    action: str
    message: Value = None
    target: str | None = None
    steps: list[Step] = field(default_factory=list)


@dataclass
class Step:
    """Fields common to all step kinds; subclasses add their own and name their nested sequences."""

    id: str
    path: Path
    when: Node | None = None
    summary: str | None = None
    on_error: OnError | None = None
    explicit_id: bool = True

    kind: ClassVar[str] = "step"
    KIND_KEYS: ClassVar[frozenset[str]] = (
        frozenset()
    )  # a step with one of these keys is of this kind
    KEYS: ClassVar[frozenset[str]] = frozenset()
    ALIASES: ClassVar[dict[str, str]] = {}

    def sequences(self) -> list[tuple[str, list[Step]]]:
        """Nested step lists, labelled; the code generator makes one method per list."""
        handler = self.on_error.steps if self.on_error and self.on_error.action == "steps" else None
        return [("on_error", handler)] if handler else []

    def lower(self, lowering: StepLowering) -> dict[str, Any]:
        """The fragments this kind's template (``templates/steps/<kind>.py.j2``) needs."""
        raise NotImplementedError(f"step kind {self.kind!r} has no lowering")

    def describe(self) -> str:
        """What the step does, in a few words (the workflow graph shows it)."""
        return self.kind


def walk(steps: list[Step]) -> Iterator[Step]:
    """Every step, depth first in document order."""
    for step in steps:
        yield step
        for _label, nested in step.sequences():
            yield from walk(nested)


def step_parents(steps: list[Step]) -> dict[str, str]:
    """Each nested step's id -> the id of the step holding it (a switch, a loop, an error handler...)."""
    parents: dict[str, str] = {}
    for step in walk(steps):
        for _label, nested in step.sequences():
            for child in nested:
                parents[child.id] = step.id
    return parents


COMMON_KEYS = frozenset({"id", "summary", "when", "on_error"})


@dataclass
class Context:
    """Parsing state shared by all step parsers."""

    problems: Problems
    parse_steps: Callable[[Any, Path], list[Step]]
    parse_step: Callable[[Any, Path], Step]


# -- small typed readers: each reports a problem and returns None when the value is unusable ------------------
def check_keys(
    raw: Mapping[str, Any], allowed: Iterable[str], path: Path, problems: Problems
) -> None:
    allowed_set = set(allowed)
    for key in raw:
        if key not in allowed_set:
            problems.unknown_key((*path, key), str(key), allowed_set)


def read_mapping(raw: Any, path: Path, problems: Problems, what: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.error(path, f"{what} must be a mapping, got {type_name(raw)}")
        return None
    return dict(raw)


def read_text(raw: Any, path: Path, problems: Problems, what: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.error(path, f"{what} must be text, got {type_name(raw)}")
        return None
    return raw


def read_name(raw: Any, path: Path, problems: Problems, what: str) -> str | None:
    problem = name_problem(raw, what)
    if problem is not None:
        problems.error(path, problem)
        return None
    return str(raw)


def read_duration(raw: Any, path: Path, problems: Problems) -> float | None:
    """``30s``, ``5m``, ``1h30m``, ``250ms``, ``2d`` or a number of seconds."""
    if raw is None:
        return None
    seconds: float | None = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        seconds = float(raw)
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if parts and "".join(number + unit for number, unit in parts) == text:
            seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds is None or seconds != seconds:
        problems.error(
            path, f"invalid duration {raw!r}: use e.g. 30s, 5m, 1h30m, 250ms or a number of seconds"
        )
        return None
    if seconds < MIN_DURATION_SECONDS or seconds > MAX_DURATION_SECONDS:
        # Temporal counts in milliseconds: anything shorter would become zero, which means "no timeout".
        problems.error(path, f"duration {raw!r} must be at least 1ms and at most 10 years")
        return None
    return seconds


def duration_seconds(text: str) -> float:
    """A duration written as in a definition (``2h``, ``1d12h``, ``90s``), in seconds; ``ValueError`` says
    what is wrong."""
    problems = Problems()
    seconds = read_duration(text, (), problems)
    if seconds is None:
        raise ValueError(
            problems.items[0].message if problems.items else f"invalid duration {text!r}"
        )
    return seconds


def read_number(raw: Any, path: Path, problems: Problems, *, integer: bool, minimum: float) -> Any:
    valid_type = isinstance(raw, int) if integer else isinstance(raw, (int, float))
    if isinstance(raw, bool) or not valid_type:
        problems.error(
            path, f"expected {'an integer' if integer else 'a number'}, got {type_name(raw)}"
        )
        return None
    if raw != raw or raw < minimum or raw > 1e9:
        problems.error(path, f"{raw!r} is out of range (at least {minimum:g})")
        return None
    return raw


def read_aliased(
    raw: Mapping[str, Any], aliases: Mapping[str, str], path: Path, problems: Problems
) -> dict[str, Any]:
    """``raw`` with every alias under its own name; one key written twice, under two names, is an error
    (rather than the last one silently winning)."""
    values: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        name = aliases.get(key, key)
        if name in values:
            problems.error(
                (*path, key), f"{key!r} and {spelled[name]!r} are the same key: keep one"
            )
            continue
        values[name], spelled[name] = value, key
    return values


def read_retry(raw: Any, path: Path, problems: Problems) -> RetrySpec | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = {"max_attempts": raw}  # short form: `retry: 3`
    mapping = read_mapping(raw, path, problems, "retry")
    if mapping is None:
        return None
    aliases = {"backoff": "backoff_coefficient", "non_retryable": "non_retryable_error_types"}
    keys = {"initial_interval", "backoff_coefficient", "maximum_interval", "max_attempts", *aliases}
    keys |= {"maximum_attempts", "non_retryable_error_types"}
    check_keys(mapping, keys, path, problems)
    aliases["maximum_attempts"] = "max_attempts"
    values = read_aliased(mapping, aliases, path, problems)
    attempts = values.get("max_attempts")
    errors = values.get("non_retryable_error_types", [])
    if not isinstance(errors, list) or not all(isinstance(item, str) and item for item in errors):
        problems.error((*path, "non_retryable_error_types"), "must be a list of error type names")
        errors = []
    spec = RetrySpec(
        initial_interval=read_duration(
            values.get("initial_interval"), (*path, "initial_interval"), problems
        ),
        backoff_coefficient=None
        if values.get("backoff_coefficient") is None
        else read_number(
            values["backoff_coefficient"],
            (*path, "backoff_coefficient"),
            problems,
            integer=False,
            minimum=1,
        ),
        maximum_interval=read_duration(
            values.get("maximum_interval"), (*path, "maximum_interval"), problems
        ),
        maximum_attempts=None
        if attempts is None
        else read_number(attempts, (*path, "max_attempts"), problems, integer=True, minimum=0),
        non_retryable_error_types=tuple(errors),
    )
    if spec.maximum_attempts is not None and spec.maximum_attempts > MAX_ATTEMPTS_LIMIT:
        problems.error(
            (*path, "max_attempts"), f"at most {MAX_ATTEMPTS_LIMIT} attempts (0 means unlimited)"
        )
    low, high = spec.initial_interval, spec.maximum_interval
    if low is not None and high is not None and high < low:
        problems.error(
            (*path, "maximum_interval"), "maximum_interval is shorter than initial_interval"
        )
    return spec


TIMEOUT_KEYS = ("start_to_close", "schedule_to_close", "heartbeat")


def read_timeouts(raw: Mapping[str, Any], path: Path, problems: Problems) -> Timeouts:
    """``timeout`` (start-to-close, the common case) and/or a ``timeouts`` mapping."""
    values: dict[str, float | None] = {key: None for key in TIMEOUT_KEYS}
    values["start_to_close"] = read_duration(raw.get("timeout"), (*path, "timeout"), problems)
    nested = read_mapping(raw.get("timeouts"), (*path, "timeouts"), problems, "timeouts") or {}
    check_keys(nested, TIMEOUT_KEYS, (*path, "timeouts"), problems)
    for key in TIMEOUT_KEYS:
        if key in nested:
            values[key] = read_duration(nested[key], (*path, "timeouts", key), problems)
    return Timeouts(**values)


def read_condition(raw: Any, path: Path, problems: Problems) -> Node | None:
    """A ``when``: ``${...}`` or a bare expression."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return parse_expression("true" if raw else "false")
    text = read_text(raw, path, problems, "condition")
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("${") and stripped.endswith("}"):
        template = read_template(stripped, path, problems)
        if template is not None and template.single is not None:
            return template.single
        if template is not None:
            problems.error(path, "a condition must be a single ${...} expression")
        return None
    try:
        return parse_expression(text)
    except ExpressionSyntaxError as error:
        problems.error(path, f"invalid expression: {error} (at character {error.offset + 1})")
        return None


def read_template(text: str, path: Path, problems: Problems) -> Template | None:
    try:
        return parse_template(text)
    except ExpressionSyntaxError as error:
        problems.error(path, f"invalid expression: {error} (at character {error.offset + 1})")
        return None


def read_value(raw: Any, path: Path, problems: Problems) -> Value:
    """JSON data with every ``${...}`` string parsed; non-JSON values are reported."""
    if isinstance(raw, str):
        if "${" not in raw:
            return raw
        return read_template(raw, path, problems)
    if raw is None or isinstance(raw, (bool, int, float)):
        return raw
    if isinstance(raw, list):
        return [read_value(item, (*path, index), problems) for index, item in enumerate(raw)]
    if isinstance(raw, Mapping):
        result: dict[str, Value] = {}
        for key, item in raw.items():
            if not isinstance(key, str):
                problems.error(path, f"keys must be text, got {type_name(key)}")
                continue
            result[key] = read_value(item, (*path, key), problems)
        return result
    problems.error(path, f"unsupported value of type {type_name(raw)}")
    return None


def read_on_error(raw: Any, path: Path, context: Context) -> OnError | None:
    problems = context.problems
    if raw is None:
        return None
    if raw in ("continue", "fail"):
        return OnError(str(raw))
    if isinstance(raw, list):
        return OnError("steps", steps=context.parse_steps(raw, path))
    mapping = read_mapping(raw, path, problems, "on_error")
    if mapping is None or len(mapping) != 1:
        if mapping is not None:
            problems.error(
                path,
                "on_error takes one of: continue, fail, {fail: message}, {goto: id}, {steps: [...]}",
            )
        return None
    check_keys(mapping, ("fail", "goto", "steps"), path, problems)
    if "fail" in mapping:
        return OnError("fail", message=read_value(mapping["fail"], (*path, "fail"), problems))
    if "goto" in mapping:
        target = read_name(mapping["goto"], (*path, "goto"), problems, "goto target")
        return OnError("goto", target=target) if target else None
    if "steps" in mapping:
        return OnError("steps", steps=context.parse_steps(mapping["steps"], (*path, "steps")))
    return None


def type_name(value: Any) -> str:
    names = {
        str: "text",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
    }
    return "nothing" if value is None else names.get(type(value), type(value).__name__)
