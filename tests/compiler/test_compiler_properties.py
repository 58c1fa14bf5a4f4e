"""Properties (issue 13): every definition the compiler accepts yields modules that compile and import, and
whatever it refuses it refuses with its own error, for expressions, values and step nesting of any shape
within the documented limits (and some beyond them).

Timing and memory growth are measured in ``benchmarks/compile_scaling.py``, not here.
"""

from __future__ import annotations

import itertools
import json
import sys
import types
from typing import Any

from compiler_fixtures import CATALOGUE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfb_jupyter.compiler import CompileOptions, WorkflowDefinitionError, compile_workflow
from wfb_jupyter.compiler._expressions import FUNCTIONS

_modules = itertools.count()
SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

REFS = ["input.a", "input.b", "vars.v", "steps.first.result", "input.a[0]", "input.b.key"]
LITERALS = ["1", "0", "2.5", "'text'", "true", "null", "[]", "[1, 'x']"]
OPERATORS = ["+", "-", "*", "/", "//", "%", "==", "!=", "<", ">=", "in", "and", "or"]


def _call(name: str, args: list[str]) -> str:
    least, most = FUNCTIONS[name]
    return f"{name}({', '.join((args * most)[: max(least, min(len(args), most))])})"


leaves = st.sampled_from(REFS + LITERALS)
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"-{e}"),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, min_size=1, max_size=3)).map(
            lambda call: _call(*call)
        ),
    ),
    max_leaves=40,
)
# Long flat chains: the shape that used to nest generated calls as deep as the chain was long.
chains = st.tuples(
    st.lists(st.sampled_from(REFS + ["1", "'x'"]), min_size=2, max_size=300),
    st.lists(st.sampled_from(["+", "-", "*", "//", "%", "and", "or"]), min_size=1, max_size=3),
).map(
    lambda parts: (
        parts[0][0]
        + "".join(f" {parts[1][i % len(parts[1])]} {item}" for i, item in enumerate(parts[0][1:]))
    )
)
values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=5),
        st.sampled_from(["${input.a}", "x ${vars.v} y", "$${literal}"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=30,
)


def _deep(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def _steps(depth: int, kind: str) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [{"call": "echo", "with": {"value": "${vars.v}"}}]
    for level in range(depth):
        if kind == "switch":
            body = [
                {
                    "switch": [
                        {"when": "${input.a == 1}", "steps": body},
                        {"default": [{"sleep": "1s"}]},
                    ]
                }
            ]
        elif kind == "parallel":
            body = [{"parallel": [body, [{"sleep": "1s"}]]}]
        elif kind == "for_each":
            body = [{"for_each": "${input.b}", "as": f"item{level}", "steps": body}]
        else:
            body = [{"sequence": body}]
    return body


def _definition(value: Any, expression: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "property",
        "input": {"a": {"type": "any", "default": None}, "b": {"type": "any", "default": None}},
        "vars": {"v": value},
        "queries": {"seen": "${" + expression + "}"},
        "steps": [
            {
                "id": "first",
                "call": "echo",
                "with": {"value": value, "tag": "${" + expression + "}"},
            },
            {"set": {"v": "${" + expression + "}"}},
            *steps,
        ],
        "output": "${" + expression + "}",
    }


def _accepted_modules_load(definition: dict[str, Any], as_json: bool) -> None:
    text = json.dumps(definition) if as_json else definition
    try:
        compiled = compile_workflow(text, CompileOptions(catalogue=CATALOGUE))
    except WorkflowDefinitionError as error:
        assert error.errors and "internal compiler error" not in str(error), str(error)
        return
    for which, code in (
        ("workflow", compiled.workflow_code),
        ("activities", compiled.activities_code),
        ("worker", compiled.worker_code),
    ):
        compile(code, f"<{which}>", "exec")  # the worker script imports modules of its folder
    workflow = _import(compiled.workflow_code)
    assert isinstance(getattr(workflow, compiled.workflow_class), type)
    assert isinstance(_import(compiled.activities_code).ACTIVITIES, list)


def _import(code: str) -> types.ModuleType:
    module = types.ModuleType(f"property_module_{next(_modules)}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


@SETTINGS
@given(values, st.one_of(expressions, chains), st.booleans())
def test_accepted_expressions_and_values_give_modules_that_load(
    value: Any, expression: str, as_json: bool
) -> None:
    _accepted_modules_load(_definition(value, expression, []), as_json)


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.integers(1, 120),
    st.integers(0, 35),
    st.sampled_from(["switch", "parallel", "for_each", "sequence"]),
)
def test_accepted_shapes_give_modules_that_load(
    value_depth: int, step_depth: int, kind: str
) -> None:
    _accepted_modules_load(
        _definition(_deep(value_depth, 1), "vars.v", _steps(step_depth, kind)), as_json=True
    )
