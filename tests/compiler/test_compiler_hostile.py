"""Hostile input: every name, string and expression of the corpus is rejected with a clear error, or compiles to
code that runs on a real worker and does only what a harmless value would."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from compiler_fixtures import CATALOGUE, LoadedWorkflow, load_compiled, running, start
from hostile_corpus import HOSTILE_EXPRESSIONS, HOSTILE_NAMES, HOSTILE_STRINGS
from temporalio.client import Client, WorkflowFailureError

from wfb_jupyter.compiler import CompileOptions, WorkflowDefinitionError, compile_workflow

pytestmark = pytest.mark.timeout(180)


def test_the_corpus_has_at_least_200_entries() -> None:
    assert len(HOSTILE_STRINGS) + len(HOSTILE_NAMES) + len(HOSTILE_EXPRESSIONS) >= 150
    assert len(_string_cases()) + len(_name_cases()) + len(_expression_cases()) >= 200


def _string_definition(text: str) -> dict[str, Any]:
    """``text`` in every place a string reaches generated code as a literal."""
    return {
        "name": "hostile-string",
        "description": text,
        "metadata": {"note": text},
        "input": {"text": {"type": "string", "default": text, "description": text}},
        "vars": {"kept": text},
        "steps": [
            {"id": "plain", "call": "echo", "summary": text, "with": {"value": text, "tag": text}},
            {"id": "as_key", "call": "echo", "with": {"value": {text: text, "list": [text, text]}}},
            {"id": "boom", "fail": text, "on_error": "continue"},
            {"id": "from_input", "call": "echo", "with": {"value": "${input.text}"}},
            {"id": "joined", "call": "echo", "with": {"value": "<${input.text}>"}},
        ],
        "output": "${[steps.plain.result, steps.as_key.result, steps.boom.result, "
        "steps.from_input.result, vars.kept, steps.joined.result]}",
    }


def _expected(text: str) -> list[Any]:
    return [
        {"value": text, "tag": text},
        {text: text, "list": [text, text]},
        {"error": text},
        text,
        text,
        f"<{text}>",
    ]


def _string_cases() -> list[str]:
    # Text holding "${" is an expression by definition; the expression corpus covers those.
    return [text for text in HOSTILE_STRINGS if "${" not in text]


def _name_definitions(name: str) -> list[dict[str, Any]]:
    echo = {"id": "echo", "call": "echo", "with": {"value": 1}}
    return [
        {"name": name, "steps": [echo]},
        {"name": "hostile-name", "steps": [{**echo, "id": name}]},
        {"name": "hostile-name", "input": {name: "string"}, "steps": [echo]},
        {"name": "hostile-name", "signals": {name: {"set": {"seen": True}}}, "steps": [echo]},
        {"name": "hostile-name", "vars": {"v": 1}, "queries": {name: "${vars.v}"}, "steps": [echo]},
        {"name": "hostile-name", "vars": {name: 1}, "steps": [echo]},
        {"name": "hostile-name", "steps": [{"for_each": [1], "as": name, "steps": [echo]}]},
    ]


def _name_cases() -> list[dict[str, Any]]:
    return [definition for name in HOSTILE_NAMES for definition in _name_definitions(name)]


def _expression_cases() -> list[dict[str, Any]]:
    return [
        {
            "name": "hostile-expression",
            "input": {"x": {"type": "object", "default": {"y": [1, 2], "__class__": "data"}}},
            "steps": [{"id": "a", "call": "echo", "with": {"value": "${" + expression + "}"}}],
            "output": "${steps.a.result}",
        }
        for expression in HOSTILE_EXPRESSIONS
    ]


def _compile_or_reject(definition: dict[str, Any]) -> bool:
    """True if it compiled; a rejection must be our error type with a readable message and a path."""
    try:
        compile_workflow(json.dumps(definition), CompileOptions(catalogue=CATALOGUE))
    except WorkflowDefinitionError as error:
        assert error.problems and all(problem.path for problem in error.problems)
        message = str(error)
        assert message.startswith("workflow definition has") and "Traceback" not in message
        return False
    return True


async def _run_all(
    client: Client, task_queue: str, loaded: list[LoadedWorkflow], inputs: list[dict[str, Any]]
) -> list[Any]:
    async with running(client, task_queue, *loaded):
        handles = [
            await start(client, item, task_queue, **values)
            for item, values in zip(loaded, inputs, strict=True)
        ]

        async def outcome(handle: Any) -> Any:
            try:
                return await handle.result()
            except WorkflowFailureError as failure:
                return failure

        return list(await asyncio.gather(*(outcome(handle) for handle in handles)))


async def test_hostile_strings_round_trip_exactly(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    cases = _string_cases()
    loaded = [load_compiled(json.dumps(_string_definition(text)), tmp_path) for text in cases]
    results = await _run_all(temporal_client, task_queue, loaded, [{} for _ in cases])
    for text, result in zip(cases, results, strict=True):
        assert result == _expected(text), repr(text)[:80]
    assert "WFB_PWNED" not in os.environ


async def test_hostile_names_are_rejected_or_run(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    accepted = [definition for definition in _name_cases() if _compile_or_reject(definition)]
    for definition in accepted:  # whatever got through is an ordinary identifier
        text = json.dumps(definition)
        assert "__" not in text and "\\n" not in text and "{{" not in text
    loaded = [load_compiled(json.dumps(definition), tmp_path) for definition in accepted]
    inputs = [{name: "x" for name in definition.get("input", {})} for definition in accepted]
    results = await _run_all(temporal_client, task_queue, loaded, inputs)
    assert not [result for result in results if isinstance(result, BaseException)]
    assert "WFB_PWNED" not in os.environ


async def test_hostile_expressions_are_rejected_or_evaluate_as_data(
    temporal_client: Client, task_queue: str, tmp_path: Path
) -> None:
    accepted = [definition for definition in _expression_cases() if _compile_or_reject(definition)]
    loaded = [load_compiled(json.dumps(definition), tmp_path) for definition in accepted]
    results = await _run_all(temporal_client, task_queue, loaded, [{} for _ in accepted])
    for definition, result in zip(accepted, results, strict=True):
        expression = definition["steps"][0]["with"]["value"]
        if isinstance(result, WorkflowFailureError):
            # A failed evaluation (a missing key, a wrong type) fails the run with the error's type, nothing else.
            assert result.cause is not None, expression
        else:
            assert isinstance(result, (str, int, float, bool, list, dict, type(None))), expression
    assert "WFB_PWNED" not in os.environ
    # What the compiler accepts from this corpus is exactly the harmless, data-only part of it.
    accepted_texts = {definition["steps"][0]["with"]["value"] for definition in accepted}
    assert not {
        text for text in accepted_texts if "__import__" in text or "eval(" in text or ".__" in text
    }
