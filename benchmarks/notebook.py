"""Notebook surface benchmark: how long a ``%%workflow`` cell takes until the version is stored and the
project's worker serves it (5 and 50 steps; first build, which starts the worker, and rebuilds, which reload
it), and how ``%load_ext wfb_jupyter`` compares with ``import pandas`` (each in a fresh interpreter).

Run: .venv/bin/python benchmarks/notebook.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD_EXT = """
import time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
started = time.perf_counter()
shell.run_line_magic("load_ext", "wfb_jupyter")
print(time.perf_counter() - started)
"""
IMPORT_PANDAS = """
import time
started = time.perf_counter()
import pandas
print(time.perf_counter() - started)
"""


def definition(steps: int, greeting: str) -> str:
    lines = ["input:", "  who: string", "steps:"]
    for index in range(steps):
        lines += [
            f"  - id: step_{index}",
            "    call: echo",
            f'    with: {{value: "{greeting} ${{input.who}} #{index}"}}',
        ]
    lines.append(f"output: ${{steps.step_{steps - 1}.result}}")
    return "\n".join(lines) + "\n"


def time_in_fresh_interpreter(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def build_times(steps: int, repeat: int) -> tuple[float, list[float]]:
    """Seconds for the first build (worker start) and for ``repeat`` rebuilds (worker reload) of new versions."""
    from IPython.core.interactiveshell import InteractiveShell

    from wfb_jupyter import workspace

    shell = InteractiveShell.instance()
    shell.run_line_magic("config", f"WfbSettings.project = 'bench-{steps}'")
    name = f"bench-{steps}-steps"

    def build(greeting: str) -> float:
        with contextlib.redirect_stdout(
            io.StringIO()
        ):  # the summary and graph are not what is measured
            started = time.perf_counter()
            shell.run_cell_magic("workflow", name, definition(steps, greeting))
            elapsed = time.perf_counter() - started
        # The magic returns once the worker serves the new version; check that it does.
        ws = workspace()
        latest = ws.versions.list(name)[-1].version
        served = ws.workers.manager().status(ws.projects.current().id).loaded_versions
        assert f"{name}.v{latest}" in served, served
        return elapsed

    first = build("Hello")
    return first, [build(f"Hello again {i}") for i in range(repeat)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["WFB_DATABASE_URL"] = (
        f"sqlite:///{Path(tempfile.mkdtemp(prefix='wfb-bench-')) / 'wfb.db'}"
    )

    load_ext = [time_in_fresh_interpreter(LOAD_EXT) for _ in range(args.repeat)]
    pandas = [time_in_fresh_interpreter(IMPORT_PANDAS) for _ in range(args.repeat)]
    ext_median, pandas_median = statistics.median(load_ext), statistics.median(pandas)
    print(
        f"%load_ext wfb_jupyter: median {ext_median * 1000:.1f} ms over {args.repeat} fresh interpreters"
    )
    print(
        f"import pandas:         median {pandas_median * 1000:.1f} ms over {args.repeat} fresh interpreters"
    )
    print(f"ratio load_ext / import pandas: {ext_median / pandas_median:.3f}")

    from IPython.core.interactiveshell import InteractiveShell

    from wfb_jupyter.runtime import runtime

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "wfb_jupyter")
    started = time.perf_counter()
    workspace = shell.magics_manager.registry["WorkflowMagics"].context.workspace
    workspace.engine  # noqa: B018 - creates and migrates the database (once per database)
    database = time.perf_counter()
    server = workspace.server()
    runtime().run(workspace.temporal.get_client(), 60)
    print(
        f"Once per kernel: database created and migrated in {(database - started) * 1000:.0f} ms; "
        f"Temporal ({server.kind}) resolved and connected in {(time.perf_counter() - database) * 1000:.0f} ms"
    )
    try:
        for steps in (5, 50):
            first, rebuilds = build_times(steps, args.repeat)
            print(
                f"%%workflow with {steps:>2} steps -> stored and served: first build (starts the project's worker) "
                f"{first * 1000:.0f} ms; rebuild (new version, worker reloads) median "
                f"{statistics.median(rebuilds) * 1000:.0f} ms, max {max(rebuilds) * 1000:.0f} ms "
                f"over {len(rebuilds)}"
            )
    finally:
        runtime().shutdown()


if __name__ == "__main__":
    main()
