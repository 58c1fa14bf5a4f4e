"""Limits (issue 13, items 1, 8, 11, 12): beyond them one clear error with a path, YAML and JSON alike; within
them the generated modules always compile, however the definition is shaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from compiler_fixtures import CATALOGUE

from wfb_jupyter.compiler import CompileOptions, WorkflowDefinitionError, compile_workflow

pytestmark = pytest.mark.timeout(60)


def _compile(definition: Any) -> Any:
    return compile_workflow(definition, CompileOptions(catalogue=CATALOGUE))


def _error(definition: Any) -> str:
    with pytest.raises(WorkflowDefinitionError) as raised:
        _compile(definition)
    message = str(raised.value)
    assert "internal compiler error" not in message, message
    message.encode("utf-8")  # printable in any notebook
    return message


def _echo(value: Any, **more: Any) -> dict[str, Any]:
    return {
        "name": "limits",
        "steps": [{"id": "a", "call": "echo", "with": {"value": value}}],
        **more,
    }


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _both_formats(definition: dict[str, Any]) -> list[str]:
    return [json.dumps(definition), yaml.safe_dump(definition, width=10**6)]


def _modules_compile(definition: Any) -> None:
    compiled = _compile(definition)
    for code in (compiled.workflow_code, compiled.activities_code, compiled.worker_code):
        compile(code, "<generated>", "exec")


@pytest.mark.parametrize("depth", [90, 100])
def test_values_nested_up_to_the_limit_compile_to_modules_that_parse(depth: int) -> None:
    # Item 1: a value nested 199 lists deep used to compile into a module Python cannot parse.
    definition = _echo(_nested(depth - 5))  # the definition, steps, the step and `with` come first
    for text in _both_formats(definition):
        _modules_compile(text)


@pytest.mark.parametrize("text_format", ["json", "yaml"])
def test_values_nested_deeper_are_refused_with_their_path(text_format: str) -> None:
    definition = _echo(_nested(199))
    text = _both_formats(definition)[0 if text_format == "json" else 1]
    message = _error(text)
    assert "steps[0].with.value: nested more than 100 levels deep" in message


def test_nesting_far_beyond_the_limit_is_refused_too() -> None:
    # Item 8: YAML nesting 400 and JSON nesting 900 gave a RecursionError ("internal compiler error").
    assert "nested more than 100 levels deep" in _error(json.dumps(_echo(_nested(900))))
    yaml_text = (
        "name: limits\nsteps:\n  - call: echo\n    with: {value: " + "[" * 400 + "]" * 400 + "}\n"
    )
    assert "nested more than 100 levels deep" in _error(yaml_text)


@pytest.mark.parametrize(
    "expression",
    [
        " * ".join(["2"] * 200),  # item 1: 200 factors made 200 nested calls
        " * ".join(["input.n"] * 100),
        " + ".join(["1"] * 500),  # item 8: 500 terms (999 characters) was a RecursionError
        " + ".join(["input.n"] * 150),
        " and ".join(["input.n"] * 150),
        " // ".join(["input.n"] * 150) + " % 7 * input.n",
        "input.n"
        + " // 1 * input.n" * 120,  # each `*` may repeat text: one flat call, not 120 nested
        " - ".join(["input.n"] * 90) + " + " + " + ".join(["input.n"] * 80),
        "(" * 38 + "input.n" + ")" * 38,
    ],
)
def test_long_chains_compile_to_modules_that_parse(expression: str) -> None:
    _modules_compile(_echo("${" + expression + "}", input={"n": "integer"}))


def test_an_expression_with_too_many_parts_is_refused_clearly() -> None:
    message = _error(_echo("${" + "+".join(["1"] * 900) + "}"))
    assert "steps[0].with.value: invalid expression: expression has 1799 operators" in message


@pytest.mark.parametrize(
    ("where", "definition"),
    [
        ("steps[0].timeout", {**_echo(1), "steps": [{"call": "echo", "timeout": 10**400}]}),
        (
            "input.x.minimum",
            {**_echo(1), "input": {"x": {"type": "integer", "minimum": 10**400}}},
        ),
        ("steps[0].with.value", _echo(10**30)),
    ],
)
def test_huge_integers_are_refused_in_both_formats(where: str, definition: dict[str, Any]) -> None:
    # Item 8: a 400-digit timeout or minimum was an OverflowError; a 5,000-digit JSON integer a ValueError.
    for text in _both_formats(definition):
        message = _error(text)
        assert f"{where}: an integer of" in message and "is too large" in message


def test_a_5000_digit_json_integer_is_refused_by_path() -> None:
    text = '{"name": "limits", "steps": [{"call": "echo", "with": {"value": ' + "9" * 5000 + "}}]}"
    assert "steps[0].with.value: an integer of 5000 digits is too large" in _error(text)


def test_an_expression_integer_beyond_64_bits_is_refused() -> None:
    assert "is too large" in _error(_echo("${" + "9" * 400 + "}"))


def test_json_definitions_have_the_size_limits_yaml_has() -> None:
    # Item 11: a JSON list of a million numbers took 24 s, 684 MB and made 23 MB of code.
    big = _echo(list(range(60_000)))
    for text in _both_formats(big):
        assert "the definition has more than 50,000 values" in _error(text)
    assert "at most 1,000,000" in _error(json.dumps(_echo("x" * 1_000_001)))


def test_a_lone_surrogate_is_refused_with_a_printable_message() -> None:
    # Item 12: the error text itself could not be encoded.
    text = '{"name": "limits", "steps": [{"set": {"\\ud800": 1}}]}'
    message = _error(text)
    assert "half of a UTF-16 pair" in message and "\\ud800" in message


def test_a_mapping_with_an_integer_key_is_refused_clearly() -> None:
    # Item 12: an integer key in `with` gave an internal TypeError.
    message = _error({"name": "limits", "steps": [{"call": "echo", "with": {1: "one"}}]})
    assert "steps[0].with: keys must be text, got int 1" in message
