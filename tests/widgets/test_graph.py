"""The workflow graph: every step drawn, structure visible (branches, parallel, loops, handlers), names
escaped, well-formed and deterministic SVG, and the widget around it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from wfb_jupyter.compiler import parse_definition
from wfb_jupyter.compiler.model import ActivityStep, walk
from wfb_jupyter.widgets import WorkflowGraph, workflow_graph_svg
from wfb_jupyter.widgets._graph_layout import layout_workflow

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).parents[1] / "golden"

NESTED = """
name: nested
steps:
  - id: prepare
    call: fetch
    when: ${input.go == true}
  - id: each
    for_each: ${input.items}
    concurrency: 4
    steps:
      - id: pick
        if: ${item > 1}
        then:
          - {id: big, call: echo}
        else:
          - id: fan
            parallel:
              - {id: left, call: echo}
              - - {id: right, call: echo}
                - {id: right_after, call: echo}
  - id: route
    switch:
      - when: ${input.size > 10}
        steps:
          - {id: large, call: echo}
  - id: approval
    wait_signal: approve
    timeout: 1h
    on_timeout:
      - {id: give_up, fail: "no approval"}
  - id: risky
    call: flaky
    on_error:
      steps:
        - {id: cleanup, call: echo}
  - id: jumpy
    call: flaky
    on_error: {goto: finish}
  - {id: skipped, call: echo}
  - {id: finish, child_workflow: other.v2}
"""


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # raises on anything not well-formed


def nodes(root: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {group.get("data-step", ""): group for group in root.iter(f"{SVG}g")}


def edges(root: ElementTree.Element) -> list[tuple[str, str, str]]:
    return [
        (
            path.get("data-source", ""),
            path.get("data-target", ""),
            path.get("class", "").split("-")[-1],
        )
        for path in root.iter(f"{SVG}path")
        if "wfb-edge" in path.get("class", "")
    ]


def test_every_step_appears_once_with_its_kind() -> None:
    model = parse_definition(NESTED)
    drawn = nodes(parse(workflow_graph_svg(model)))
    for step in walk(model.steps):
        assert step.id in drawn, step.id
        assert f"wfb-{step.kind}" in drawn[step.id].get("class", "") or step.kind == "parallel"
    assert "#start" in drawn and "#end" in drawn
    texts = "".join(drawn["prepare"].itertext())
    assert "fetch" in texts and "when input.go == true" in texts


def test_branches_parallel_and_loops_are_structured() -> None:
    root = parse(workflow_graph_svg(NESTED))
    drawn, lines = nodes(root), edges(root)
    # if/else: a decision with an edge to each branch, both meeting at a merge node.
    assert ("pick", "big", "flow") in lines and ("pick", "fan", "flow") in lines
    assert ("big", "pick#merge", "flow") in lines and ("fan#join", "pick#merge", "flow") in lines
    # parallel: a fork and a join bar around each branch.
    assert "wfb-fork" in drawn["fan"].get("class", "") and "fan#join" in drawn
    assert ("fan", "left", "flow") in lines and ("fan", "right", "flow") in lines
    assert ("right", "right_after", "flow") in lines
    assert ("left", "fan#join", "flow") in lines and ("right_after", "fan#join", "flow") in lines
    # for_each: header, body, a loop end with an edge back to the header.
    assert ("each", "pick", "flow") in lines
    assert ("pick#merge", "each#next", "flow") in lines
    assert ("each#next", "each", "loop") in lines
    assert "max 4" in "".join(drawn["each"].itertext())
    # a switch without a default can be passed by.
    assert [edge for edge in lines if edge[:2] == ("route", "route#merge")]
    # handlers: on_timeout and on_error steps on dashed edges; goto as a dashed jump.
    assert ("approval", "give_up", "error") in lines
    assert not [edge for edge in lines if edge[0] == "give_up"]  # fail ends the workflow
    assert ("risky", "cleanup", "error") in lines and ("cleanup", "jumpy", "flow") in lines
    assert ("jumpy", "finish", "goto") in lines
    labels = [
        text.findtext(f"{SVG}title")  # the full label; the drawn one may be shortened
        for text in root.iter(f"{SVG}text")
        if text.get("class") == "wfb-edge-label"
    ]
    assert {"item > 1", "else", "next item", "otherwise", "on error", "on timeout"} <= set(labels)


def test_layout_is_layered_and_deterministic() -> None:
    graph = layout_workflow(parse_definition(NESTED))
    where = {node.key: node for node in graph.nodes}
    for edge in graph.edges:
        if edge.style == "flow":
            assert where[edge.source].row < where[edge.target].row, edge
    assert where["left"].row == where["right"].row and where["left"].col < where["right"].col
    keys = [(node.col, node.row) for node in graph.nodes]
    assert len(set(keys)) == len(keys)  # no two nodes in the same place
    assert workflow_graph_svg(NESTED) == workflow_graph_svg(NESTED)


@pytest.mark.parametrize("case", sorted(path.parent.name for path in GOLDEN.glob("*/definition.*")))
def test_every_golden_definition_draws(case: str) -> None:
    (source,) = (GOLDEN / case).glob("definition.*")
    model = parse_definition(source.read_text(encoding="utf-8"))
    drawn = nodes(parse(workflow_graph_svg(model)))
    assert {step.id for step in walk(model.steps)} <= set(drawn)


def test_hostile_names_are_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    definition = f"""
name: hostile
steps:
  - id: check
    if: ${{input.name == "{hostile}"}}
    then:
      - {{id: ok, call: "{hostile}"}}
  - {{id: stop, fail: "{hostile} & more"}}
"""
    model = parse_definition(definition)
    # Step ids are validated by the compiler; a model built in code can hold anything, and is escaped too.
    model.steps.append(
        ActivityStep(id='"><img src=x onerror=alert(1)>', path=(), component=hostile)
    )
    svg = workflow_graph_svg(model)
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg and "&amp; more" in svg
    root = parse(svg)
    assert '"><img src=x onerror=alert(1)>' in nodes(root)
    texts = " ".join("".join(element.itertext()) for element in root.iter(f"{SVG}text"))
    assert "<script>" in texts  # shown to the reader as text, never as markup


def test_accepts_a_mapping_and_the_visual_builder_format() -> None:
    svg = workflow_graph_svg({"name": "m", "steps": [{"id": "one", "call": "echo"}]})
    assert "one" in nodes(parse(svg))
    graph_source = (GOLDEN / "graph" / "definition.json").read_text(encoding="utf-8")
    assert {"big", "small", "pause"} <= set(nodes(parse(workflow_graph_svg(graph_source))))


def test_widget_shows_and_redraws_the_graph() -> None:
    widget = WorkflowGraph({"name": "m", "steps": [{"id": "first", "call": "echo"}]})
    assert 'data-step="first"' in widget.value and widget.value.count("<svg") == 1
    widget.show({"name": "m", "steps": [{"id": "second", "call": "echo"}]})
    assert 'data-step="second"' in widget.value and 'data-step="first"' not in widget.value
