"""The expression budget (issue 13, item 4): what an expression builds or goes through is counted before it is
built, so a hostile expression fails with a clear error instead of taking the worker's memory or time.

The generated step method is run directly (a ``set`` step needs no Temporal), so each case shows exactly what
the compiled code does with the value; ``benchmarks/compile_scaling.py`` prints the time and memory they take.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from typing import Any

import pytest

from wfb_jupyter.compiler import compile_workflow

pytestmark = pytest.mark.timeout(60)


def evaluate(expression: str, **inputs: Any) -> Any:
    """The value of ``${expression}`` as the compiled workflow computes it in a ``set`` step."""
    definition = {
        "name": "budget",
        "input": {name: {"type": "any", "default": None} for name in inputs},
        "vars": {"out": None},
        "steps": [{"id": "calc", "set": {"out": "${" + expression + "}"}}],
    }
    compiled = compile_workflow(json.dumps(definition))
    module = types.ModuleType("budget_check")
    sys.modules[module.__name__] = module
    try:
        exec(compile(compiled.workflow_code, "<budget>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    instance = getattr(module, compiled.workflow_class)(dict(inputs))
    asyncio.run(instance._step_calc({"@path": "", "@results": {}}))
    return instance._vars["out"]


TOO_MUCH = "more than 10 MB"


@pytest.mark.parametrize(
    ("expression", "inputs"),
    [
        ("'a' * 1000000000", {}),
        ("input.items * 100000000", {"items": [1, 2, 3]}),
        ("str([input.text] * 100000)", {"text": "x" * 1000}),
        ("join([input.text] * 100000, ',')", {"text": "x" * 1000}),
        ("upper(input.items)", {"items": ["y" * 1000] * 20_000}),
        ("'${' + 'x' + '}' + str(input.items)", {"items": [[["z" * 100] * 100] * 100] * 20}),
        (" + ".join(["input.x"] * 160), {"x": list(range(100_000))}),
        ("round(5, -1000000000)", {}),
        ("sum(input.items * 10000)", {"items": list(range(1000))}),
    ],
)
def test_what_would_be_too_large_fails_before_it_is_built(
    expression: str, inputs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=TOO_MUCH):
        evaluate(expression, **inputs)


def test_percent_is_a_remainder_never_text_formatting() -> None:
    # '%0999999999d' % 1 built a 1 GB string.
    with pytest.raises(TypeError, match="% takes numbers, not text"):
        evaluate("'%0999999999d' % 1")
    with pytest.raises(TypeError, match="% takes numbers, not text"):
        evaluate("input.pattern % 1", pattern="%0999999999d")
    assert evaluate("17 % 5") == 2
    assert evaluate("input.n % 5", n=17) == 2


def test_the_budget_is_for_all_expressions_of_a_step_together() -> None:
    definition = {
        "name": "budget",
        "input": {"text": "string"},
        "vars": {"a": None, "b": None},
        "steps": [
            {
                "id": "calc",
                "set": {"a": "${input.text * 600}", "b": "${input.text * 600}"},
            }
        ],
    }
    compiled = compile_workflow(json.dumps(definition))
    namespace: dict[str, Any] = {"__name__": "budget_together"}
    sys.modules["budget_together"] = types.ModuleType("budget_together")
    try:
        exec(compile(compiled.workflow_code, "<budget>", "exec"), namespace)
    finally:
        del sys.modules["budget_together"]
    instance = namespace[compiled.workflow_class]({"text": "x" * 10_000})  # 6 MB each: not both
    with pytest.raises(ValueError, match=TOO_MUCH):
        asyncio.run(instance._step_calc({"@path": "", "@results": {}}))
    assert instance._vars["a"] == "x" * 6_000_000 and instance._vars["b"] is None


@pytest.mark.parametrize(
    ("expression", "inputs", "expected"),
    [
        ("input.a + input.b + input.c", {"a": "x", "b": "y", "c": "z"}, "xyz"),
        ("input.a + input.b + input.c", {"a": [1], "b": [2], "c": [3]}, [1, 2, 3]),
        ("input.a + input.b - 1", {"a": 1, "b": 2}, 2),
        ("input.a * 3", {"a": "ab"}, "ababab"),
        ("2 * input.a * 2", {"a": [0]}, [0, 0, 0, 0]),
        ("input.a // 2 * 3", {"a": 9}, 12),
        ("join(input.a, '-')", {"a": ["x", 1, True]}, "x-1-True"),
        ("str(input.a)", {"a": {"k": [1, "two"]}}, "{'k': [1, 'two']}"),
        ("upper(trim(input.a))", {"a": "  hi "}, "HI"),
        ("max(input.a) + min(input.a)", {"a": [3, 1, 2]}, 4),
        ("round(input.a, 1)", {"a": 2.345}, 2.3),
        ("len(keys(input.a))", {"a": {"x": 1, "y": 2}}, 2),
        ("7 % 4 + 1.5", {}, 4.5),
        ("input.a // 1 * input.b // 1 * input.b", {"a": 9, "b": 2}, 36),
        ("input.a % 4 * input.b + 1 - input.a", {"a": 9, "b": 3}, -5),
    ],
)
def test_ordinary_expressions_keep_their_meaning(
    expression: str, inputs: dict[str, Any], expected: Any
) -> None:
    assert evaluate(expression, **inputs) == expected


def test_a_mixed_chain_counts_each_repetition() -> None:
    with pytest.raises(ValueError, match=TOO_MUCH):
        evaluate("input.a // 1 * input.b * 1000 // 1 * input.b", a=3, b="x" * 10_000)


def test_long_additions_are_linear_and_still_correct() -> None:
    # 160 list additions in one expression took over 30 s: each made a new, longer list.
    items = list(range(1_000))
    assert evaluate(" + ".join(["input.x"] * 160), x=items) == items * 160
