"""The project workers running in this process, so that a start here can have one load a version first."""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from wfb_jupyter.workers._project_worker import ProjectWorker

live_workers: weakref.WeakSet[ProjectWorker] = weakref.WeakSet()


async def serve_for_start(engine: Engine, project_id: str, workflow_id: int, version: int) -> None:
    """Have the running workers of this process that serve the project (on this database) load a version
    before a start of it."""
    url = engine.url.render_as_string(hide_password=False)
    for worker in list(live_workers):
        if (
            worker.project_id != project_id
            or worker.state != "running"
            or worker.engine.url.render_as_string(hide_password=False) != url
            or worker.loop is None
        ):
            continue
        request = worker.serve_version(workflow_id, version)
        if worker.loop is asyncio.get_running_loop():
            await request
        else:  # a worker on another loop of this process (the runtime's thread)
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(request, worker.loop))
