"""A script that used Temporal exits cleanly: its clients are freed before the interpreter finalizes.

Freed during finalization instead, the SDK's native threads could take the GIL of a dying interpreter and abort
the process (SIGABRT, "PyGILState_Release", temporalio/sdk-python#300) after its work was done: about 3 % of
runs of a small script on a loaded machine did, none of 260 since."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# The first exit handler registered runs last: it sees what is left once the product's own have run.
SCRIPT = textwrap.dedent(
    """
    import atexit, gc, sys

    def left_at_exit():
        from temporalio.client import Client
        clients = [o for o in gc.get_objects() if isinstance(o, Client)]
        print(f"clients left at exit: {len(clients)}", flush=True)

    atexit.register(left_at_exit)

    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.temporal import get_temporal_client

    client = runtime().run(get_temporal_client())
    print("connected to", client.namespace, flush=True)
    del client
    """
)


def test_clients_are_freed_before_the_interpreter_finalizes(temporal_address: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "TEMPORAL_ADDRESS": temporal_address},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "connected to default" in done.stdout
    assert "clients left at exit: 0" in done.stdout, done.stdout
