"""What used to pass silently or mean something else (issue 13, items 3, 6, 7, 10, 13): now an error with the
cell line, or the meaning a reader expects."""

from __future__ import annotations

import json
from typing import Any

import pytest
from compiler_fixtures import CATALOGUE

from wfb_jupyter.compiler import (
    CompileOptions,
    WorkflowDefinitionError,
    compile_workflow,
    parse_definition,
    validate_definition,
)

pytestmark = pytest.mark.timeout(60)


def _error(text: str | dict[str, Any]) -> str:
    with pytest.raises(WorkflowDefinitionError) as raised:
        compile_workflow(text, CompileOptions(catalogue=CATALOGUE))
    assert "internal compiler error" not in str(raised.value)
    return str(raised.value)


def _compiles(text: str | dict[str, Any]) -> None:
    compile_workflow(text, CompileOptions(catalogue=CATALOGUE))


# -- item 6: goto loops that never wait -------------------------------------------------------------------


def test_a_goto_loop_with_nothing_that_waits_is_refused_where_it_jumps() -> None:
    text = "name: spin\nsteps:\n  - {id: a, fail: boom, on_error: {goto: a}}\n"
    message = _error(text)
    assert "line 3" in message and "steps[0].on_error.goto" in message
    assert "loop (a -> a) in which no step waits" in message


def test_a_longer_loop_through_steps_that_may_not_wait_is_refused() -> None:
    text = """
name: spin
vars: {n: 0}
steps:
  - id: count
    set: {n: "${vars.n + 1}"}
  - id: maybe
    when: ${vars.n > 3}
    call: echo
  - id: fail_again
    fail: again
    on_error: {goto: count}
"""
    assert "loop (count -> maybe -> fail_again -> count)" in _error(text)


@pytest.mark.parametrize(
    "waiting",
    ["{id: pause, sleep: 1s}", "{id: pause, call: echo}", "{id: pause, wait_signal: go}"],
)
def test_a_goto_loop_that_waits_compiles(waiting: str) -> None:
    text = f"""
name: retry-loop
signals: {{go: {{}}}}
steps:
  - {waiting}
  - {{id: check, fail: not yet, on_error: {{goto: pause}}}}
"""
    _compiles(text)


def test_an_activity_that_fails_and_jumps_back_to_itself_waits_each_time() -> None:
    _compiles("name: poll\nsteps:\n  - {id: a, call: echo, on_error: {goto: a}}\n")


# -- items 3 and 7: graphs ---------------------------------------------------------------------------------


def _graph(nodes: list[str], edges: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "name": "graph",
            "nodes": [{"id": "start", "type": "start"}]
            + [{"id": node, "type": "set", "data": {"set": {node: True}}} for node in nodes],
            "edges": [{"source": s, "target": t} for s, t in edges],
        }
    )


def _step_ids(steps: list[Any]) -> list[Any]:
    """Step ids, with parallel branches as nested lists."""
    out: list[Any] = []
    for step in steps:
        branches = getattr(step, "branches", None)
        out.append(
            [[_step_ids(branch) for branch in branches]] if branches is not None else step.id
        )
    return out


def test_a_fork_with_an_edge_straight_to_the_join_runs_its_other_branch_in_order() -> None:
    # Item 7: A->B->C with A->C was refused with a message about a `set` step nobody wrote.
    text = _graph(["a", "b", "c"], [("start", "a"), ("a", "b"), ("b", "c"), ("a", "c")])
    assert [step.id for step in parse_definition(text).steps] == ["a", "b", "c"]


def _ladder(levels: int) -> str:
    nodes = [f"{side}{level}" for level in range(levels) for side in "lr"]
    edges = [("start", "l0"), ("start", "r0")]
    edges += [
        (f"{a}{level}", f"{b}{level + 1}")
        for level in range(levels - 1)
        for a in "lr"
        for b in "lr"
    ]
    return _graph(nodes, edges)


@pytest.mark.timeout(20)
def test_a_ladder_graph_runs_level_by_level_each_node_once() -> None:
    # Item 3: 32 nodes did not finish in a minute (normalisation copied nodes into every branch).
    definition = parse_definition(_ladder(100))
    ids = _step_ids(definition.steps)
    assert len(ids) == 100
    assert ids[0] == [[["l0"], ["r0"]]] and ids[-1] == [[["l99"], ["r99"]]]
    _compiles(_ladder(100))


def test_branches_that_do_not_meet_are_refused_when_conditions_decide() -> None:
    text = json.loads(_ladder(3))
    text["edges"][0]["condition"] = "${true}"
    text["edges"][1]["condition"] = "${false}"
    assert "reached from branches that have not met again" in _error(json.dumps(text))


# -- item 10 and item 13: values that meant something else ----------------------------------------------------


def test_a_timeout_below_a_millisecond_is_refused() -> None:
    # Item 10: 0.0001ms passed the "positive" check, became zero, and every run failed at start.
    text = "name: quick\nsteps:\n  - {call: echo, timeout: 0.0001ms}\n"
    assert "steps[0].timeout: duration '0.0001ms' must be at least 1ms" in _error(text)


def test_yaml_sexagesimal_is_not_ninety_seconds() -> None:
    text = "name: quick\nsteps:\n  - {call: echo, timeout: 1:30}\n"
    assert "invalid duration '1:30'" in _error(text)


def test_json_duplicate_keys_are_refused_like_yaml_ones() -> None:
    text = '{"name": "dup",\n "steps": [{"call": "echo", "with": {"value": 1, "value": 2}}]}'
    assert "line 2, column 50: steps[0].with.value: duplicate key 'value'" in _error(text)


def test_yaml_merge_keys_are_refused() -> None:
    text = "name: merge\nbase: &base {call: echo}\nsteps:\n  - <<: *base\n    id: a\n"
    assert "steps[0].<<: YAML merge keys (<<) are not supported" in _error(text)


@pytest.mark.parametrize("name", ["steps", "input", "vars", "signals", "true", "null"])
def test_a_loop_variable_cannot_hide_an_expression_name(name: str) -> None:
    text = f"name: loop\nsteps:\n  - for_each: [1]\n    index_as: '{name}'\n    steps: [{{call: echo}}]\n"
    assert f"index variable '{name}' would hide what '{name}' means" in _error(text)


def test_on_timeout_with_a_null_timeout_is_refused() -> None:
    text = """
name: wait
signals: {go: {}}
steps:
  - wait_signal: go
    timeout: null
    on_timeout: [{call: echo}]
"""
    assert "steps[0].timeout: on_timeout needs a timeout, not null" in _error(text)


@pytest.mark.parametrize("items", ["5", "'abc'", "{a: 1}", "'${len(input.x)}'", "'x${input.x}'"])
def test_for_each_over_what_is_not_a_list_is_refused(items: str) -> None:
    text = f"name: loop\ninput: {{x: array}}\nsteps:\n  - for_each: {items}\n    steps: [{{call: echo}}]\n"
    assert "for_each takes a list" in _error(text)


def test_wait_until_text_must_be_a_timestamp() -> None:
    text = "name: later\nsteps:\n  - wait_until: next tuesday\n"
    assert "wait_until takes an ISO-8601 timestamp" in _error(text)
    _compiles("name: later\nsteps:\n  - wait_until: '2030-01-01T09:00:00+00:00'\n")


@pytest.mark.parametrize(
    ("retry", "first", "second"),
    [
        ("{max_attempts: 3, maximum_attempts: 5}", "maximum_attempts", "max_attempts"),
        ("{backoff: 2, backoff_coefficient: 3}", "backoff_coefficient", "backoff"),
    ],
)
def test_one_setting_under_two_names_is_refused(retry: str, first: str, second: str) -> None:
    text = f"name: twice\nsteps:\n  - {{call: echo, retry: {retry}}}\n"
    assert f"'{first}' and '{second}' are the same key: keep one" in _error(text)


def test_two_spellings_of_a_step_key_are_refused() -> None:
    text = "name: twice\nsteps:\n  - {call: echo, component: add}\n"
    assert "'component' and 'call' are the same key" in _error(text)


def test_every_message_still_names_a_line() -> None:
    text = "name: quick\nsteps:\n  - {call: echo, timeout: 0.0001ms}\n"
    (problem,) = validate_definition(text, CATALOGUE)
    assert problem.line == 3
