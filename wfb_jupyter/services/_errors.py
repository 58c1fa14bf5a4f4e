"""Errors of the services, with the names they are about, so the notebook (or any caller) can say what to do."""

from __future__ import annotations

from collections.abc import Sequence

from wfb_jupyter.errors import NotFoundError, StateError


class UnknownProjectError(NotFoundError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        names = ", ".join(sorted(known)) or "none yet"
        super().__init__(f"there is no project {name!r} (projects: {names})")


class ProjectExistsError(StateError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"project {name!r} already exists")


class UnknownWorkflowNameError(NotFoundError):
    def __init__(self, name: str, project: str, known: Sequence[str]) -> None:
        self.name, self.project = name, project
        listing = ", ".join(known) or "none yet"
        super().__init__(
            f"there is no workflow {name!r} in project {project!r} (workflows: {listing})"
        )


class UnknownVersionError(NotFoundError):
    def __init__(self, name: str, version: int | None, known: Sequence[int]) -> None:
        self.name, self.version = name, version
        listing = ", ".join(f"v{v}" for v in known) or "none"
        super().__init__(f"workflow {name!r} has no version {version} (versions: {listing})")


class NoLocalWorkerError(StateError):
    def __init__(self, project: str) -> None:
        self.project = project
        super().__init__(f"no worker of project {project!r} runs in this process")


class NoSidecarError(StateError):
    def __init__(self, project: str, host: str) -> None:
        self.project, self.host = project, host
        super().__init__(f"no sidecar worker of project {project!r} runs on {host}")


class NoEarlierVersionError(StateError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"workflow {name!r} has no version that was active before the current one")


class NoScheduleError(NotFoundError):
    def __init__(self, name: str, scheduled: Sequence[str]) -> None:
        self.name = name
        listing = ", ".join(scheduled) or "none yet"
        super().__init__(f"workflow {name!r} has no schedule (scheduled workflows: {listing})")
