"""Random malformed definitions: only ``WorkflowDefinitionError`` ever comes out, and whatever compiles imports.

Each example starts from a golden definition and applies a few random mutations (a key dropped, renamed to a
near miss or added, a value swapped for an awkward one, a list emptied, a step duplicated...). The random choices
come from a seed Hypothesis draws, which keeps 10,000 examples within seconds; a failure prints the definition.
"""

from __future__ import annotations

import copy
import itertools
import random
import sys
import types
from typing import Any

import yaml
from compiler_fixtures import CATALOGUE, definition_file, golden_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfb_jupyter.compiler import CompileOptions, WorkflowDefinitionError, compile_workflow

SEEDS = [yaml.safe_load(definition_file(case).read_text()) for case in golden_cases()]
SAMPLE_STEPS = [step for seed in SEEDS for step in seed.get("steps", [])]
KEYS = [
    "id",
    "call",
    "with",
    "retry",
    "timeout",
    "timeouts",
    "when",
    "on_error",
    "steps",
    "switch",
    "if",
    "then",
    "else",
    "parallel",
    "for_each",
    "concurrency",
    "as",
    "sleep",
    "wait_until",
    "wait_signal",
    "on_timeout",
    "child_workflow",
    "set",
    "fail",
    "sequence",
    "default",
    "goto",
    "max_attempts",
    "type",
    "enum",
    "minimum",
    "payload",
    "value",
    "calll",
    "wiht",
    "__class__",
    "",
    "nodes",
    "edges",
    "source",
    "target",
]
AWKWARD = [
    None,
    True,
    False,
    0,
    -1,
    3,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "x",
    "echo",
    "add",
    "1s",
    "-1s",
    "5m",
    "string",
    "continue",
    "fail",
    "${input.a}",
    "${steps.a.result}",
    "${vars.v}",
    "${",
    "${}",
    "${1 +}",
    "${len(input.scores)}",
    "${item}",
    "a-b",
    "${'x' * 3}",
    "approve",
    "other.v1",
    "\n",
    "'\"",
    "__class__",
    [],
    {},
    [1, 2],
    {"a": 1},
    [{"call": "echo"}],
    {"when": "${true}", "steps": []},
    "${input.__class__}",
]
_modules = itertools.count()
OUTCOMES: dict[str, int] = {"rejected": 0, "compiled": 0}


def _containers(value: Any, found: list[Any]) -> list[Any]:
    if isinstance(value, (dict, list)):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, found)
    return found


def _mutate(rng: random.Random, definition: dict[str, Any]) -> Any:
    for _ in range(rng.randint(1, 4)):
        target = rng.choice(_containers(definition, []))
        if isinstance(target, dict):
            action = rng.randrange(5)
            key = rng.choice(list(target)) if target else None
            if action == 0 and key is not None:
                del target[key]
            elif action == 1 and key is not None:
                target[key + rng.choice(["", "s", "_"])[:1] or key[:-1]] = target.pop(key)
            elif action == 2:
                target[rng.choice(KEYS)] = copy.deepcopy(rng.choice(AWKWARD))
            elif key is not None:
                target[key] = copy.deepcopy(rng.choice(AWKWARD))
        elif target:
            action = rng.randrange(4)
            index = rng.randrange(len(target))
            if action == 0:
                del target[index]
            elif action == 1:
                target.append(copy.deepcopy(target[index]))  # duplicates ids, among other things
            elif action == 2:
                target[index] = copy.deepcopy(rng.choice(AWKWARD))
            else:
                target.insert(index, copy.deepcopy(rng.choice(SAMPLE_STEPS)))
    return definition


def _check(definition: Any) -> None:
    try:
        compiled = compile_workflow(definition, CompileOptions(catalogue=CATALOGUE))
    except WorkflowDefinitionError as error:
        assert error.errors, "raised without any error-level problem"
        assert "internal compiler error" not in str(error), str(error)
        OUTCOMES["rejected"] += 1
        return
    OUTCOMES["compiled"] += 1
    workflow_module = _import(compiled.workflow_code)
    activities_module = _import(compiled.activities_code)
    assert hasattr(workflow_module, compiled.workflow_class)
    assert hasattr(activities_module, "ACTIVITIES")


def _import(code: str) -> types.ModuleType:
    """Import generated code as a real (registered) module, then forget it."""
    module = types.ModuleType(f"fuzz_module_{next(_modules)}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, f"<{module.__name__}>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


@settings(
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(min_value=0, max_value=2**63))
def test_mutated_definitions_raise_only_our_error(seed: int) -> None:
    rng = random.Random(seed)
    definition = _mutate(rng, copy.deepcopy(rng.choice(SEEDS)))
    try:
        _check(definition)
    except AssertionError:
        raise
    except Exception as error:  # report the definition, not just the seed
        raise AssertionError(
            f"{type(error).__name__}: {error}\ndefinition: {definition!r}"
        ) from error


@settings(
    max_examples=1_500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.sampled_from(
            [
                "name: fuzz\n",
                "steps:\n",
                "  - call: echo\n",
                "    with: {value: 1}\n",
                "  - sleep: 1s\n",
                "    id: a\n",
                "  - if: ${input.a}\n",
                "    then: [{fail: x}]\n",
                "input:\n",
                "  a: string\n",
                "{",
                "}",
                "[",
                "]",
                ":",
                "- ",
                "\t",
                "&a ",
                "*a ",
                "!!python/object:os.system ",
                "%YAML 1.1\n",
                "---\n",
                '"',
                "'",
                "${",
                "#",
                "\n",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_random_text_raises_only_our_error(text: str) -> None:
    _check(text)


def test_fuzzing_reaches_both_outcomes() -> None:
    # Runs after the tests above (file order): a fuzzer that never compiles would only test the error path.
    if OUTCOMES["rejected"] + OUTCOMES["compiled"] >= 10_000:
        assert OUTCOMES["rejected"] > 1_000 and OUTCOMES["compiled"] > 1_000, OUTCOMES
