"""Per-project workers: load stored versions, poll the project's task queue, heartbeat, record activities."""

from wfb_jupyter.workers._health import HealthServer, parse_address
from wfb_jupyter.workers._loading import (
    CodeLoadError,
    FailedVersion,
    LoadedVersion,
    ProjectCode,
    load_project_code,
)
from wfb_jupyter.workers._local import serve_for_start
from wfb_jupyter.workers._logs import LOG_FORMATS, JsonLines, configure_worker_logging
from wfb_jupyter.workers._manager import (
    ProjectWorkerManager,
    WorkerStartError,
    kernel_worker_manager,
)
from wfb_jupyter.workers._project_worker import Reconciler
from wfb_jupyter.workers._recording import AttemptRecorder, RecordingInterceptor
from wfb_jupyter.workers._sidecar import serve_project, start_sidecar_worker

__all__ = [
    # manager
    "ProjectWorkerManager",
    "WorkerStartError",
    "kernel_worker_manager",
    # sidecar processes
    "start_sidecar_worker",
    "serve_project",
    "serve_for_start",
    "Reconciler",
    # running as a service
    "HealthServer",
    "parse_address",
    "LOG_FORMATS",
    "JsonLines",
    "configure_worker_logging",
    # code and recording
    "CodeLoadError",
    "FailedVersion",
    "LoadedVersion",
    "ProjectCode",
    "load_project_code",
    "AttemptRecorder",
    "RecordingInterceptor",
]
