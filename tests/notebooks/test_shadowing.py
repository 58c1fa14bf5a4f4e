"""A user's own folders named like ours cannot shadow wfb-jupyter: a real kernel started in a folder that holds
``compiler/`` and ``widgets/`` packages of its own (the notebook's folder comes first on ``sys.path``) builds,
runs and draws a workflow."""

from __future__ import annotations

import queue
from pathlib import Path

from jupyter_client.manager import start_new_kernel

HELLO = """%%workflow hello
input:
  who: {type: string, default: world}
steps:
  - id: greet
    call: echo
    with: {value: "Hello ${input.who}"}
output: ${steps.greet.result}"""


def run_cell(client: object, code: str, timeout: float = 120) -> tuple[str, list[str]]:
    """Run ``code`` in the kernel; its printed output and the names of any errors it raised."""
    msg_id = client.execute(code)  # type: ignore[attr-defined]
    out, errors = [], []
    while True:
        try:
            message = client.get_iopub_msg(timeout=timeout)  # type: ignore[attr-defined]
        except queue.Empty:
            raise AssertionError(f"no answer from the kernel for {code[:40]!r}") from None
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out), errors


def test_a_kernel_beside_folders_named_compiler_and_widgets(tmp_path: Path) -> None:
    for name in ("compiler", "widgets"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(
            f"raise ImportError('the user\\'s own {name} package was imported')\n"
        )
    manager, client = start_new_kernel(cwd=str(tmp_path))
    try:
        setup = (
            "import os\n"
            f"os.environ['WFB_DATABASE_URL'] = 'sqlite:///{tmp_path / 'wfb.db'}'\n"
            "%load_ext wfb_jupyter"
        )
        assert run_cell(client, setup)[1] == []
        built, errors = run_cell(client, HELLO)
        assert errors == [] and "Built 'hello' version 1" in built, (built, errors)
        ran, errors = run_cell(client, "%wfb run hello who=Ada --wait")
        assert errors == [] and 'Completed: "Hello Ada"' in ran, (ran, errors)
        shown, errors = run_cell(
            client,
            "import sys; print(sorted(m for m in sys.modules if m in ('compiler', 'widgets')))",
        )
        assert errors == [] and shown.strip() == "[]"
        run_cell(
            client,
            "from wfb_jupyter.runtime import runtime\n"
            "import wfb_jupyter\n"
            "runtime().run(wfb_jupyter.workspace().workers.manager().stop_all(), 60)",
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
