"""A workflow's schedule as the Workspace returns it: the stored settings with what Temporal says now (next
fire times, paused, how many runs it started). It renders itself, so magics, widgets and scripts agree."""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from wfb_jupyter.executions import ScheduleTiming

SCHEDULE_COLUMNS = ["workflow", "when", "version", "state", "next fire", "runs"]


@dataclass(frozen=True)
class ScheduleInfo:
    workflow: str
    schedule_id: str
    timing: ScheduleTiming
    version: int
    pinned: bool  # False: it follows the active version
    inputs: dict[str, Any]
    overlap: str
    catchup_window_seconds: int | None
    paused: bool
    next_fire_times: tuple[datetime, ...]
    run_count: int | None  # runs Temporal started for it (None: Temporal does not have it)
    problem: str | None = None
    link: str | None = None
    replaced: bool = False  # set by ``create``: it replaced the workflow's previous schedule

    @property
    def in_temporal(self) -> bool:
        return self.run_count is not None

    @property
    def state(self) -> str:
        if not self.in_temporal:
            return "missing in Temporal"
        return "paused" if self.paused else "active"

    def local_time(self, moment: datetime) -> str:
        """A fire time in the schedule's time zone (UTC when it has none)."""
        zone = zoneinfo.ZoneInfo(self.timing.timezone) if self.timing.timezone else timezone.utc
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    def row(self) -> list[str]:
        upcoming = self.next_fire_times[0] if self.next_fire_times and not self.paused else None
        follows = "" if self.pinned else " (active)"
        return [
            self.workflow,
            self.timing.describe(),
            f"v{self.version}{follows}",
            self.state + (" (!)" if self.problem else ""),
            self.local_time(upcoming) if upcoming else "-",
            "" if self.run_count is None else str(self.run_count),
        ]

    def summary(self, fire_times: int = 5) -> str:
        """Several lines: what it runs, when, with what, and the next fire times."""
        verb = "Replaced" if self.replaced else "Schedule"
        version = f"v{self.version}" + (
            " (pinned)" if self.pinned else " (follows the active version)"
        )
        lines = [
            f"{verb} {self.schedule_id!r}: {self.workflow} {version}, {self.timing.describe()}; "
            f"{self.state}",
            f"  inputs: {json.dumps(self.inputs, sort_keys=True, default=str)}; overlap: "
            f"{self.overlap}; catch-up window: {_window(self.catchup_window_seconds)}",
        ]
        if self.paused:
            lines.append("  paused: it fires again once resumed")
        elif self.next_fire_times:
            lines.append(f"  next {min(fire_times, len(self.next_fire_times))} fire times:")
            lines.extend(f"    {self.local_time(t)}" for t in self.next_fire_times[:fire_times])
        elif self.in_temporal:
            lines.append("  it has no upcoming fire time")
        if self.problem:
            lines.append(f"  problem: {self.problem}")
        if self.link:
            lines.append(f"  Web UI: {self.link}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _window(seconds: int | None) -> str:
    if seconds is None:
        return "the server's default (1 year)"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
