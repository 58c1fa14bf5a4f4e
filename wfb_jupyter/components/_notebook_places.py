"""Where the ``notebook`` component finds notebooks and keeps the ones it executed.

A worker knows its settings; the activity it runs does not. The worker hands them over with
``NotebookPlacesInterceptor``, which sets them for each activity it runs (read again each time, so a
``%config`` change applies to the next step). An activity running elsewhere (a standalone worker, a test)
reads them from the environment, as every wfb-jupyter process does.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from wfb_jupyter.settings import Settings, WfbSettings


@dataclass(frozen=True)
class NotebookPlaces:
    """``base_dir``: where a relative notebook path starts; ``executed_dir``: where executed notebooks go."""

    base_dir: Path
    executed_dir: Path

    @classmethod
    def of(cls, settings: Settings) -> NotebookPlaces:
        return cls(settings.notebook_dir, settings.executed_dir)


_places: ContextVar[NotebookPlaces | None] = ContextVar("wfb_notebook_places", default=None)


def current_places() -> NotebookPlaces:
    """The places of the worker running this activity, else those the environment gives."""
    return _places.get() or NotebookPlaces.of(WfbSettings().resolve())


class NotebookPlacesInterceptor(Interceptor):
    """Worker interceptor: every activity of the worker sees the places ``places_of`` gives."""

    def __init__(self, places_of: Callable[[], NotebookPlaces]) -> None:
        self._places_of = places_of

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _PlacesInbound(next, self._places_of)


class _PlacesInbound(ActivityInboundInterceptor):
    def __init__(
        self, next: ActivityInboundInterceptor, places_of: Callable[[], NotebookPlaces]
    ) -> None:
        super().__init__(next)
        self._places_of = places_of

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        token = _places.set(self._places_of())
        try:
            return await super().execute_activity(input)
        finally:
            _places.reset(token)
