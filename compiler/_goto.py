"""``on_error: {goto: ...}`` loops that would spin: a cycle of steps in which nothing waits.

A list with a ``goto`` runs as a state machine. A jump back to an earlier step is a loop, which is fine when
something in it waits (an activity, a timer, a signal, a child workflow): each turn then hands control back to
Temporal. A loop in which nothing waits (``{id: a, fail: boom, on_error: {goto: a}}``) would run inside one
workflow task for ever, so it is refused when the definition is compiled.
"""

from __future__ import annotations

from wfb_jupyter.compiler.model import (
    ActivityStep,
    ChildWorkflowStep,
    ParallelStep,
    SequenceStep,
    SleepStep,
    Step,
    SwitchStep,
    WaitSignalStep,
)

_WAIT_BEFORE_FAILING = (ActivityStep, ChildWorkflowStep, WaitSignalStep)


def spinning_cycle(steps: list[Step]) -> list[Step] | None:
    """The steps of a loop in ``steps`` that never waits, in order, or None when every loop waits.

    From each step two ways lead on: to the next step when it completes (having waited if it surely waits),
    and to its ``goto`` target when it fails (having waited if it is one that fails only after waiting).
    A loop that spins is a cycle made only of ways that do not wait.
    """
    positions = {step.id: index for index, step in enumerate(steps)}
    quick: list[list[int]] = [[] for _ in steps]  # the ways on from each step that need not wait
    for index, step in enumerate(steps):
        if index + 1 < len(steps) and not surely_waits(step):
            quick[index].append(index + 1)
        target = step.on_error.target if step.on_error and step.on_error.action == "goto" else None
        if target in positions and not isinstance(step, _WAIT_BEFORE_FAILING):
            quick[index].append(positions[target])
    cycle = _find_cycle(quick)
    return [steps[index] for index in cycle] if cycle else None


def surely_waits(step: Step) -> bool:
    """Whether running the step to its end always waits on Temporal at least once."""
    if step.when is not None:
        return False  # it may be skipped
    if isinstance(step, (ActivityStep, ChildWorkflowStep, WaitSignalStep)):
        return True
    if isinstance(step, SleepStep):
        return step.until is None  # a time already past does not wait
    if isinstance(step, SequenceStep):
        return any(surely_waits(inner) for inner in step.steps)
    if isinstance(step, ParallelStep):
        return any(surely_waits(inner) for branch in step.branches for inner in branch)
    if isinstance(step, SwitchStep):
        has_default = any(case.when is None for case in step.cases)
        return has_default and all(
            any(surely_waits(inner) for inner in case.steps) for case in step.cases
        )
    return False  # set, fail, and for_each (whose list may be empty)


def _find_cycle(edges: list[list[int]]) -> list[int] | None:
    """A cycle of the graph as node indexes, found by an iterative depth-first search."""
    state = [0] * len(edges)  # 0 unseen, 1 on the current path, 2 done
    for root in range(len(edges)):
        if state[root]:
            continue
        path: list[int] = []
        stack: list[tuple[int, int]] = [(root, 0)]
        while stack:
            node, position = stack.pop()
            if position == 0:
                state[node] = 1
                path.append(node)
            if position < len(edges[node]):
                stack.append((node, position + 1))
                target = edges[node][position]
                if state[target] == 1:
                    return path[path.index(target) :]
                if state[target] == 0:
                    stack.append((target, 0))
            else:
                state[node] = 2
                path.pop()
    return None
