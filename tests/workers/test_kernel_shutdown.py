"""A kernel that exits stops its workers cleanly: nothing left running or half-registered."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from wfb_jupyter.storage import list_workers, session_scope

KERNEL_LIKE = textwrap.dedent(
    """
    import sys
    from wfb_jupyter.runtime import runtime
    from wfb_jupyter.storage import create_storage_engine
    from wfb_jupyter.temporal import TemporalConnection, TemporalSettings
    from wfb_jupyter.workers import kernel_worker_manager

    url, address, project = sys.argv[1:4]
    manager = kernel_worker_manager(
        create_storage_engine(url), connection=TemporalConnection(TemporalSettings(address, "default"))
    )
    status = runtime().run(manager.start_worker_for_project(project), timeout=60)
    print(status.status, flush=True)
    # Re-running the "cell" reuses the running worker instead of starting a second one.
    again = runtime().run(manager.start_worker_for_project(project), timeout=60)
    print(again.worker_id == status.worker_id, flush=True)
    # Falling off the end is how a kernel shuts down: the runtime's exit hook must stop the worker.
    """
)


def test_exiting_process_stops_its_worker(engine, project_id, build, temporal_address) -> None:
    build("name: idle\nsteps:\n  - {id: a, call: noop}\n")
    url = engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", KERNEL_LIKE, url, temporal_address, project_id],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["running", "True"]
    with session_scope(engine) as session:
        (row,) = list_workers(session, project_id)
    assert row.status == "stopped"
    assert row.stopped_at is not None
