"""How compile time grows with definition size: 10, 100 and 1,000 steps.

    .venv/bin/python benchmarks/compile_scaling.py

Definitions mix every step kind (activity calls with expressions, switch, parallel, for_each, set, sleep) so
that no single construct hides a quadratic path. Prints the time per compile (best of several runs, from YAML
text, so parsing and validation are included) and the ratio of 1,000 to 100 steps; linear is about 10, the
goal is at most 12.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler import (  # noqa: E402
    CompileOptions,
    ComponentCatalogue,
    ComponentParameter,
    ComponentSpec,
    compile_workflow,
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


def main() -> None:
    compile_workflow(
        definition(10), CompileOptions(catalogue=CATALOGUE)
    )  # warm up templates and imports
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


if __name__ == "__main__":
    main()
