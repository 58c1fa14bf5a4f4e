"""How compile time grows with definition size, and what hostile input costs.

    .venv/bin/python benchmarks/compile_scaling.py

1. Steps: definitions of 10, 100 and 1,000 steps mixing every step kind (activity calls with expressions,
   switch, parallel, for_each, set, sleep), so that no single construct hides a quadratic path. Prints the
   time per compile (best of several runs, from YAML text, so parsing and validation are included) and the
   ratio of 1,000 to 100 steps; linear is about 10, the goal is at most 12.
2. Graph normalisation: visual-builder "ladder" graphs of 50, 100 and 200 nodes (each level's two nodes
   linked to both nodes of the next), which took exponential time before; the goal is 200 nodes well under
   a second, and a ratio 200 / 100 nodes of a low power of two.
3. Values: a JSON list of 10,000 and 40,000 numbers; time and peak memory (tracemalloc) per compile.
4. The expression budget: hostile expressions run in the compiled workflow's own code (a ``set`` step needs
   no Temporal); each must fail with the budget's error, fast and within a few MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import tracemalloc
import types
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wfb_jupyter.compiler import (  # noqa: E402
    CompileOptions,
    ComponentCatalogue,
    ComponentParameter,
    ComponentSpec,
    WorkflowDefinitionError,
    compile_workflow,
    parse_definition,
)

CATALOGUE = ComponentCatalogue.of(
    [
        ComponentSpec(
            "echo",
            "builtin",
            (ComponentParameter("value"),),
            module="benchmark_components",
            function="echo",
        )
    ]
)
GOAL = 12.0


def definition(steps: int) -> str:
    """A definition of ``steps`` top-level steps (nested steps come on top), cycling through the kinds."""
    body = []
    for index in range(steps):
        kind = index % 6
        previous = f"s{index - 1}" if index else None
        value = f"${{steps.{previous}.result}}" if previous else "${input.seed}"
        if kind == 0:
            body.append(
                {
                    "id": f"s{index}",
                    "call": "echo",
                    "with": {"value": value},
                    "retry": 3,
                    "timeout": "30s",
                }
            )
        elif kind == 1:
            body.append(
                {
                    "id": f"s{index}",
                    "if": f"${{input.seed > {index}}}",
                    "then": [{"id": f"s{index}_a", "call": "echo", "with": {"value": value}}],
                    "else": [{"id": f"s{index}_b", "set": {"last": value}}],
                }
            )
        elif kind == 2:
            body.append(
                {
                    "id": f"s{index}",
                    "parallel": [
                        [{"id": f"s{index}_l", "call": "echo", "with": {"value": 1}}],
                        [{"id": f"s{index}_r", "call": "echo", "with": {"value": 2}}],
                    ],
                }
            )
        elif kind == 3:
            body.append(
                {
                    "id": f"s{index}",
                    "for_each": "${input.items}",
                    "concurrency": 2,
                    "steps": [{"id": f"s{index}_x", "call": "echo", "with": {"value": "${item}"}}],
                }
            )
        elif kind == 4:
            body.append({"id": f"s{index}", "set": {"last": f"${{len(input.items) + {index}}}"}})
        else:
            body.append({"id": f"s{index}", "sleep": "1s", "when": "${vars.last != null}"})
    document = {
        "name": f"scaling-{steps}",
        "input": {
            "seed": {"type": "integer", "default": 1},
            "items": {"type": "array", "default": [1, 2]},
        },
        "vars": {"last": None},
        "steps": body,
        "output": f"${{steps.s{steps - 1}.result}}",
    }
    return yaml.safe_dump(document, sort_keys=False)


def seconds_per_compile(text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        compile_workflow(text, CompileOptions(version=1, catalogue=CATALOGUE))
        best = min(best, time.perf_counter() - began)
    return best


def ladder(nodes: int) -> str:
    """A graph of ``nodes`` sleep nodes in pairs, each node linked to both nodes of the next pair."""
    levels = nodes // 2
    graph_nodes: list[dict[str, Any]] = [{"id": "start", "type": "start"}]
    edges = [{"source": "start", "target": f"{side}0"} for side in "ab"]
    for level in range(levels):
        for side in "ab":
            graph_nodes.append(
                {"id": f"{side}{level}", "type": "sleep", "data": {"duration": "1s"}}
            )
            if level + 1 < levels:
                edges += [{"source": f"{side}{level}", "target": f"{n}{level + 1}"} for n in "ab"]
    return json.dumps({"name": f"ladder-{nodes}", "nodes": graph_nodes, "edges": edges})


def best_of(runs: int, action: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - began)
    return best


def measured(action: Any) -> tuple[float, float, str]:
    """(seconds, peak MB, outcome) of a call: timed once as it is, then once more under tracemalloc
    (which slows everything down) for the memory."""
    outcome = "ok"
    began = time.perf_counter()
    try:
        action()
    except (ValueError, TypeError, WorkflowDefinitionError) as error:
        outcome = f"{type(error).__name__}: {str(error).splitlines()[-1].strip()[:70]}"
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    with contextlib.suppress(ValueError, TypeError, WorkflowDefinitionError):
        action()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, outcome


def step_scaling() -> None:
    compile_workflow(
        definition(10), CompileOptions(catalogue=CATALOGUE)
    )  # warm up templates, imports
    timings = {}
    for steps, runs in ((10, 20), (100, 7), (1_000, 3)):
        text = definition(steps)
        timings[steps] = seconds_per_compile(text, runs)
        print(
            f"{steps:>5} steps: {timings[steps] * 1000:9.1f} ms per compile ({len(text):,} bytes of YAML)"
        )
    ratio = timings[1_000] / timings[100]
    verdict = "linear" if ratio <= GOAL else "WORSE THAN LINEAR"
    print(f"ratio 1,000 / 100 steps: {ratio:.1f} (goal <= {GOAL:g}: {verdict})")


def graph_scaling() -> None:
    print("graph normalisation, ladder graphs:")
    timings = {}
    for nodes in (50, 100, 200):
        text = ladder(nodes)
        timings[nodes] = best_of(5, lambda text=text: parse_definition(text))
        whole = best_of(3, lambda text=text: compile_workflow(text))
        print(
            f"  {nodes:>4} nodes: normalised in {timings[nodes] * 1000:7.1f} ms, "
            f"compiled in {whole * 1000:7.1f} ms"
        )
    ratio = timings[200] / timings[100]
    verdict = "polynomial" if ratio <= 8 and timings[200] < 0.5 else "TOO SLOW"
    print(f"  ratio 200 / 100 nodes: {ratio:.1f} (goal <= 8 and 200 nodes < 0.5 s: {verdict})")


def value_scaling() -> None:
    print("values, a JSON list of numbers:")
    for count in (10_000, 40_000):
        text = json.dumps(
            {"name": "values", "vars": {"big": list(range(count))}, "steps": [{"sleep": "1s"}]}
        )
        seconds, peak, outcome = measured(lambda text=text: compile_workflow(text))
        print(f"  {count:>6,} numbers: {seconds * 1000:7.1f} ms, peak {peak:6.1f} MB ({outcome})")
    seconds, peak, outcome = measured(
        lambda: compile_workflow(json.dumps({"name": "v", "vars": {"b": list(range(60_000))}}))
    )
    print(
        f"  60,000 numbers (over the limit): {seconds * 1000:.1f} ms, peak {peak:.1f} MB: {outcome}"
    )


BUDGET_CASES: list[tuple[str, dict[str, Any]]] = [
    ("'%0999999999d' % 1", {}),
    ("'a' * 1000000000", {}),
    ("str([input.text] * 100000)", {"text": "x" * 1000}),
    ("join([input.text] * 100000, ',')", {"text": "x" * 1000}),
    ("str(input.items * 1000000)", {"items": list(range(10))}),
    (" + ".join(["input.x"] * 160), {"x": list(range(100_000))}),
    ("round(5, -1000000000)", {}),
]


def compiled_step(expression: str, inputs: dict[str, Any]) -> Any:
    """The ``set`` step computing ``${expression}``, compiled and imported, ready to run on ``inputs``."""
    document = {
        "name": "budget",
        "input": {name: {"type": "any", "default": None} for name in inputs},
        "vars": {"out": None},
        "steps": [{"id": "calc", "set": {"out": "${" + expression + "}"}}],
    }
    compiled = compile_workflow(json.dumps(document))
    module = types.ModuleType("budget_benchmark")
    sys.modules[module.__name__] = module
    try:
        exec(compile(compiled.workflow_code, "<budget>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    instance = getattr(module, compiled.workflow_class)()
    instance._input = dict(inputs)
    return lambda: asyncio.run(instance._step_calc({"@path": "", "@results": {}}))


def budget_checks() -> None:
    print(
        "expression budget (10 MB per step), hostile expressions, as the compiled step runs them:"
    )
    worst_time = worst_peak = 0.0
    for expression, inputs in BUDGET_CASES:
        # Compiled and imported first, with the inputs built: only what the expression does counts.
        seconds, peak, outcome = measured(compiled_step(expression, inputs))
        worst_time, worst_peak = max(worst_time, seconds), max(worst_peak, peak)
        shown = expression if len(expression) < 40 else expression[:37] + "..."
        print(f"  {shown:<40} {seconds * 1000:7.1f} ms, peak {peak:6.1f} MB: {outcome}")
    verdict = "bounded" if worst_time < 1 and worst_peak < 30 else "NOT BOUNDED"
    print(f"  worst: {worst_time:.2f} s, {worst_peak:.1f} MB (goal < 1 s and < 30 MB: {verdict})")


def main() -> None:
    step_scaling()
    graph_scaling()
    value_scaling()
    budget_checks()


if __name__ == "__main__":
    main()
