"""A MemoryError or RecursionError inside a workflow fails the run with the error (issue 13, item 5), as an
expression error does, instead of leaving the run RUNNING with a workflow task that fails for ever."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from wfb_jupyter.compiler import CompileOptions, compile_workflow

pytestmark = pytest.mark.timeout(60)

DEFINITION = {
    "name": "breaks-inside",
    "input": {"items": {"type": "array", "default": [1, 2]}},
    "steps": [{"id": "count", "set": {"n": "${len(input.items)}"}}],
    "output": "${vars.n}",
}
HELPER = "def _fn_len(value: Any) -> int:\n    return len(value)\n"


@pytest.mark.parametrize("error", ["MemoryError", "RecursionError"])
async def test_the_run_fails_with_the_error(
    temporal_client: Client, task_queue: str, tmp_path: Path, error: str
) -> None:
    compiled = compile_workflow(
        json.dumps(DEFINITION), CompileOptions(version=int(uuid.uuid4().int % 10**6) + 10)
    )
    assert HELPER in compiled.workflow_code
    # What running out of memory or stack inside the expression looks like to the workflow.
    broken = compiled.workflow_code.replace(
        HELPER, f"def _fn_len(value: Any) -> int:\n    raise {error}('out of room')\n"
    )
    (tmp_path / f"{compiled.module_name}.py").write_text(broken)
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(compiled.module_name)
        async with Worker(
            temporal_client,
            task_queue=task_queue,
            workflows=[getattr(module, compiled.workflow_class)],
        ):
            handle = await temporal_client.start_workflow(
                compiled.workflow_type, {}, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
            )
            with pytest.raises(WorkflowFailureError) as failure:
                await asyncio.wait_for(handle.result(), 20)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(compiled.module_name, None)
    assert "out of room" in str(failure.value.cause)
    assert error in str(failure.value.cause.type) or error in repr(failure.value.cause)
