"""Laying out the definition model as a graph on a grid of columns and rows (deterministic, layered).

Each step kind is a block: a sequence stacks its blocks, branches (``switch``, ``parallel``) sit side by
side between a split and a merge node, ``for_each`` wraps its body between a loop header and a loop end with
an edge back, and handler steps (``on_error``, a signal's ``on_timeout``) hang to the right on a dashed
edge. Positions are in grid units; ``widgets._graph`` turns them into SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wfb_jupyter.compiler import WorkflowDefinition
from wfb_jupyter.compiler.model import (
    FailStep,
    ForEachStep,
    ParallelStep,
    SequenceStep,
    Step,
    SwitchStep,
    WaitSignalStep,
)
from wfb_jupyter.widgets._graph_text import describe_value, expression_text

Point = tuple[float, float]


@dataclass
class GraphNode:
    key: str
    kind: str
    title: str
    detail: str = ""
    note: str = ""  # a third, smaller line: its condition, what happens on error
    col: float = 0.5
    row: float = 0.0


@dataclass
class GraphEdge:
    source: str
    target: str
    label: str = ""
    style: str = "flow"  # flow | error | loop | goto
    via: list[Point] = field(default_factory=list)  # waypoints in grid units


@dataclass
class Block:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: float
    height: float
    entry: str
    exits: list[str]

    def shift(self, columns: float, rows: float) -> Block:
        for node in self.nodes:
            node.col += columns
            node.row += rows
        for edge in self.edges:
            edge.via = [(col + columns, row + rows) for col, row in edge.via]
        return self


def _single(node: GraphNode) -> Block:
    return Block([node], [], 1.0, 1.0, node.key, [node.key])


def _stack(blocks: list[Block]) -> Block:
    """Blocks one under the other, centred, each one's exits joined to the next one's entry."""
    width = max(block.width for block in blocks)
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    row = 0.0
    exits: list[str] | None = None
    for block in blocks:
        block.shift((width - block.width) / 2, row)
        nodes += block.nodes
        edges += block.edges
        if exits is not None:
            edges += [GraphEdge(source, block.entry) for source in exits]
        exits = block.exits
        row += block.height
    return Block(nodes, edges, width, row, blocks[0].entry, exits or [])


def _split(
    head: GraphNode,
    branches: list[tuple[str, Block]],
    tail: GraphNode,
    *,
    bypass: str | None = None,
) -> Block:
    """``head`` above branches side by side, all joined at ``tail``; ``bypass`` labels a direct way from
    head to tail (a switch without a default), drawn in a lane of its own to the right."""
    lane = 1.0 if bypass is not None else 0.0
    width = max(1.0, sum(block.width for _, block in branches) + lane)
    depth = max(block.height for _, block in branches)
    head.col, head.row = width / 2, 0
    tail.col, tail.row = width / 2, depth + 1
    nodes, edges = [head, tail], []
    offset = (width - lane - sum(block.width for _, block in branches)) / 2
    for label, block in branches:
        block.shift(offset, 1)
        offset += block.width
        nodes += block.nodes
        edges += block.edges
        edges.append(GraphEdge(head.key, block.entry, label))
        rows = {node.key: node for node in block.nodes}
        for source in block.exits:
            exit_node = rows[source]
            # A branch shorter than the others drops down its own column first instead of crossing them.
            down = [(exit_node.col, depth + 0.5)] if exit_node.row < depth else []
            edges.append(GraphEdge(source, tail.key, via=down))
    if bypass is not None:
        edges.append(
            GraphEdge(head.key, tail.key, bypass, via=[(width - 0.5, 1), (width - 0.5, depth)])
        )
    return Block(nodes, edges, width, depth + 2, head.key, [tail.key])


def _beside(main: Block, handler: Block, label: str, style: str) -> Block:
    """A step with handler steps to its right, reached on a dashed edge; both paths continue below."""
    gap = 0.35  # room for the edge's label
    handler.shift(main.width + gap, 0)
    edge = GraphEdge(main.entry, handler.entry, label, style)
    return Block(
        main.nodes + handler.nodes,
        main.edges + handler.edges + [edge],
        main.width + gap + handler.width,
        max(main.height, handler.height),
        main.entry,
        main.exits + handler.exits,
    )


class _Layout:
    """Turns the definition's steps into blocks; remembers ``goto`` edges to add once every step exists."""

    def __init__(self) -> None:
        self.gotos: list[GraphEdge] = []

    def sequence(self, steps: list[Step]) -> Block:
        return _stack([self.step(step) for step in steps])

    def step(self, step: Step) -> Block:
        block = self._kind(step)
        notes = [f"when {expression_text(step.when)}"] if step.when is not None else []
        handler = step.on_error
        if handler is not None and handler.action == "steps" and handler.steps:
            block = _beside(block, self.sequence(handler.steps), "on error", "error")
        elif handler is not None and handler.action == "goto" and handler.target:
            self.gotos.append(GraphEdge(step.id, handler.target, "", "goto"))
            notes.append(f"on error: go to {handler.target}")
        elif handler is not None and handler.action == "continue":
            notes.append("on error: continue")
        block.nodes[0].note = "; ".join(notes)
        return block

    def _kind(self, step: Step) -> Block:
        if isinstance(step, SwitchStep):
            return self._switch(step)
        if isinstance(step, ParallelStep):
            branches = [(f"branch {n + 1}", self.sequence(b)) for n, b in enumerate(step.branches)]
            fork = GraphNode(step.id, "fork", step.id, "parallel")
            return _split(fork, branches, GraphNode(f"{step.id}#join", "join", "join"))
        if isinstance(step, ForEachStep):
            return self._for_each(step)
        if isinstance(step, SequenceStep):
            header = _single(GraphNode(step.id, "sequence", step.id, "sequence"))
            return _stack([header, self.sequence(step.steps)])
        if isinstance(step, WaitSignalStep) and step.timeout_steps:
            node = _single(GraphNode(step.id, "wait_signal", step.id, step.describe()))
            return _beside(node, self.sequence(step.timeout_steps), "on timeout", "error")
        block = _single(GraphNode(step.id, step.kind, step.id, step.describe()))
        if isinstance(step, FailStep):
            block.exits = []  # the workflow ends here
        return block

    def _switch(self, step: SwitchStep) -> Block:
        branches = [
            ("else" if case.when is None else expression_text(case.when), self.sequence(case.steps))
            for case in step.cases
        ]
        has_default = any(case.when is None for case in step.cases)
        return _split(
            GraphNode(step.id, "switch", step.id, "switch"),
            branches,
            GraphNode(f"{step.id}#merge", "merge", ""),
            bypass=None if has_default else "otherwise",
        )

    def _for_each(self, step: ForEachStep) -> Block:
        body = self.sequence(step.steps)
        at_once = "" if step.concurrency == 1 else f", max {step.concurrency}"
        header = GraphNode(step.id, "for_each", step.id, f"for each {step.item_name}{at_once}")
        loop_end = GraphNode(f"{step.id}#next", "loop_end", "next")
        # Half a column each side keeps the body centred; the left half carries the edge back to the header.
        body.shift(0.5, 1)
        width = body.width + 1
        header.col = loop_end.col = width / 2
        header.row, loop_end.row = 0, body.height + 1
        back = GraphEdge(
            loop_end.key, header.key, "next item", "loop", via=[(0.25, body.height + 1), (0.25, 0)]
        )
        edges = [
            *body.edges,
            GraphEdge(header.key, body.entry, f"each in {describe_value(step.items)}"),
        ]
        edges += [GraphEdge(source, loop_end.key) for source in body.exits] + [back]
        nodes = [header, *body.nodes, loop_end]
        return Block(nodes, edges, width, body.height + 2, header.key, [loop_end.key])


def layout_workflow(definition: WorkflowDefinition) -> Block:
    """The laid out graph of a definition: start, its steps, end (grid units; see ``workflow_graph_svg``)."""
    layout = _Layout()
    start = _single(GraphNode("#start", "start", "start", definition.name))
    end = _single(GraphNode("#end", "end", "end"))
    graph = _stack([start, layout.sequence(definition.steps), end])
    known = {node.key for node in graph.nodes}
    graph.edges += [edge for edge in layout.gotos if edge.target in known]
    return graph
