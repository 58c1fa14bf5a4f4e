"""Where Temporal is: read from the environment each time, so a changed variable takes effect on reconnect."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class TemporalSettings:
    """``pinned_address`` is None when the user left ``TEMPORAL_ADDRESS`` unset, which enables resolution."""

    pinned_address: str | None
    namespace: str
    default_address: str = DEFAULT_ADDRESS
    ui_url: str | None = None

    @classmethod
    def from_environment(cls) -> TemporalSettings:
        return cls(
            pinned_address=os.environ.get("TEMPORAL_ADDRESS") or None,
            namespace=os.environ.get("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE,
            ui_url=os.environ.get("TEMPORAL_UI_URL") or None,
        )
