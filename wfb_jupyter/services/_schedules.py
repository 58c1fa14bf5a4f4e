"""Schedules: a workflow's runs started by Temporal's Schedules API, every interval or on a cron, whether or
not a notebook is open (the project's worker runs and records them).

Everything is checked before Temporal is asked (the workflow, the version, when it fires, the inputs against
the input schema), so a refused schedule leaves nothing behind. The database keeps each schedule as it was
set from here; Temporal says when it fires next.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.compiler import validate_input
from wfb_jupyter.errors import InputError
from wfb_jupyter.executions import (
    ScheduledStart,
    ScheduleNow,
    ScheduleTiming,
    backfill_schedule,
    check_overlap,
    delete_schedule_in_temporal,
    parse_duration,
    pause_schedule,
    put_schedule,
    read_schedule,
    resume_schedule,
    schedule_id_for,
    trigger_schedule,
)
from wfb_jupyter.services._context import ServiceContext
from wfb_jupyter.services._errors import NoScheduleError, UnknownWorkflowNameError
from wfb_jupyter.services._inputs import describe_fields
from wfb_jupyter.services._projects import Projects
from wfb_jupyter.services._schedule_info import ScheduleInfo
from wfb_jupyter.services._versions import Versions
from wfb_jupyter.services._workers import Workers
from wfb_jupyter.storage import (
    ScheduleRecord,
    ScheduleSettings,
    delete_schedule,
    find_schedule,
    get_workflow_by_name,
    list_schedules,
    list_workflows,
    save_schedule,
    update_schedule,
)


class Schedules:
    def __init__(
        self, context: ServiceContext, projects: Projects, versions: Versions, workers: Workers
    ) -> None:
        self._context = context
        self._projects = projects
        self._versions = versions
        self._workers = workers

    def create(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        every: str | None = None,
        cron: str | None = None,
        timezone: str | None = None,
        version: int | None = None,
        overlap: str = "skip",
        catchup_window: str | None = None,
    ) -> ScheduleInfo:
        """Create (or replace) the workflow's schedule: ``every`` an interval (``15m``) or on a ``cron``
        (``0 7 * * MON-FRI``) in a ``timezone``, starting the active version (or the pinned ``version``)
        with ``inputs``. ``overlap`` says what happens when a run is due while one still runs (skip,
        buffer-one, buffer-all, cancel-other, terminate-other, allow-all); ``catchup_window`` (``1h``)
        how late a missed fire time may still run after the server was down."""
        info = self._projects.current()
        manifest = self._versions.manifest(name, version)  # an unknown workflow or version says so
        timing = ScheduleTiming.checked(every, cron, timezone)
        overlap = check_overlap(overlap)
        window = parse_duration(catchup_window, "catch-up window") if catchup_window else None
        if window is not None and window.total_seconds() < 10:
            raise InputError(f"invalid catch-up window {catchup_window!r}: it must be at least 10s")
        values = {key: value for key, value in dict(inputs or {}).items() if value is not None}
        schema = manifest.get("input_schema", {})
        problems = validate_input(schema, values)
        if problems:
            lines = [
                f"no schedule was created for {name!r} v{manifest['version']}: the input is invalid"
            ]
            lines += [f"  - {problem}" for problem in problems]
            lines.append(f"  it takes: {describe_fields(schema)}")
            raise InputError("\n".join(lines))
        start = ScheduledStart(
            schedule_id_for(info.task_queue, name),
            name,
            int(manifest["version"]),
            str(manifest["workflow_type"]),
            info.task_queue,
            values,
            self._context.config.user,
            info.name,
        )
        replaced = self._context.with_client(
            lambda client: put_schedule(
                client, start, timing, overlap=overlap, catchup_window=window
            )  # fmt: skip
        )

        def store(session: Session) -> ScheduleRecord:
            workflow = get_workflow_by_name(session, info.id, name)
            assert workflow is not None  # the manifest came from it
            return save_schedule(
                session,
                ScheduleSettings(
                    project_id=info.id,
                    workflow_id=workflow.id,
                    schedule_id=start.schedule_id,
                    version=start.version,
                    every=timing.every,
                    cron=timing.cron,
                    timezone=timing.timezone,
                    inputs=values,
                    pinned_version=version,
                    overlap=overlap,
                    catchup_window_seconds=int(window.total_seconds()) if window else None,
                ),
            )

        try:
            row = self._context.write(store)
        except Exception:
            if (
                not replaced
            ):  # nothing is left half made: the database refused, so Temporal forgets it
                self._context.with_client(
                    lambda client: delete_schedule_in_temporal(client, start.schedule_id)
                )
            raise
        self._workers.ensure_serving(info)  # the runs need a worker, as any start does
        now = self._context.with_client(lambda client: read_schedule(client, start.schedule_id))
        return self._info(name, row, now, replaced=replaced)

    def list(self) -> builtins.list[ScheduleInfo]:
        """The project's schedules, with what Temporal says of each now."""
        info = self._projects.current()

        def read(session: Session) -> builtins.list[tuple[str, ScheduleRecord]]:
            names = {w.id: w.name for w in list_workflows(session, info.id)}
            return [(names[row.workflow_id], row) for row in list_schedules(session, info.id)]

        rows = self._context.read(read)
        if not rows:
            return []

        async def describe(client: Any) -> builtins.list[ScheduleNow | None]:
            return list(
                await asyncio.gather(*(read_schedule(client, r.schedule_id) for _, r in rows))
            )

        states = self._context.with_client(describe)
        return [self._info(name, row, now) for (name, row), now in zip(rows, states, strict=True)]

    def get(self, name: str) -> ScheduleInfo:
        row = self._row(name)
        now = self._context.with_client(lambda client: read_schedule(client, row.schedule_id))
        return self._info(name, row, now)

    def pause(self, name: str, note: str | None = None) -> ScheduleInfo:
        row = self._row(name)
        self._context.with_client(lambda client: pause_schedule(client, row.schedule_id, note))
        self._context.write(lambda s: update_schedule(s, row.schedule_id, paused=True))
        return self.get(name)

    def resume(self, name: str) -> ScheduleInfo:
        row = self._row(name)
        self._context.with_client(lambda client: resume_schedule(client, row.schedule_id))
        self._context.write(lambda s: update_schedule(s, row.schedule_id, paused=False))
        return self.get(name)

    def trigger(self, name: str) -> ScheduleInfo:
        """Start a run now, as at a fire time (its overlap policy applies); the worker records it."""
        row = self._row(name)
        self._workers.ensure_serving(self._projects.current())
        self._context.with_client(lambda client: trigger_schedule(client, row.schedule_id))
        return self.get(name)

    def backfill(
        self, name: str, start: datetime | str, end: datetime | str, overlap: str | None = None
    ) -> ScheduleInfo:
        """Take now the actions the schedule would have taken between ``start`` and ``end`` (times
        without a zone are in the schedule's time zone)."""
        row = self._row(name)
        begin, finish = _moment(start, row.timezone, "start"), _moment(end, row.timezone, "end")
        if begin >= finish:
            raise InputError(f"a backfill's start ({start}) must come before its end ({end})")
        policy = check_overlap(overlap) if overlap is not None else None
        self._workers.ensure_serving(self._projects.current())
        self._context.with_client(
            lambda client: backfill_schedule(client, row.schedule_id, begin, finish, policy)
        )
        return self.get(name)

    def delete(self, name: str) -> bool:
        """Delete the schedule (runs it started go on); False when Temporal no longer had it."""
        row = self._row(name)
        existed = self._context.with_client(
            lambda client: delete_schedule_in_temporal(client, row.schedule_id)
        )
        self._context.write(lambda session: delete_schedule(session, row.schedule_id))
        return existed

    def _row(self, name: str) -> ScheduleRecord:
        info = self._projects.current()

        def read(session: Session) -> ScheduleRecord:
            workflow = get_workflow_by_name(session, info.id, name)
            if workflow is None:
                known = [w.name for w in list_workflows(session, info.id)]
                raise UnknownWorkflowNameError(name, info.name, known)
            row = find_schedule(session, workflow.id)
            if row is None:
                names = {w.id: w.name for w in list_workflows(session, info.id)}
                scheduled = [names[r.workflow_id] for r in list_schedules(session, info.id)]
                raise NoScheduleError(name, scheduled)
            return row

        return self._context.read(read)

    def _info(
        self, name: str, row: ScheduleRecord, now: ScheduleNow | None, *, replaced: bool = False
    ) -> ScheduleInfo:
        return ScheduleInfo(
            workflow=name,
            schedule_id=row.schedule_id,
            timing=ScheduleTiming(row.every, row.cron, row.timezone),
            version=row.version,
            pinned=row.pinned_version is not None,
            inputs=dict(row.inputs),
            overlap=row.overlap,
            catchup_window_seconds=row.catchup_window_seconds,
            paused=now.paused if now is not None else row.paused,
            next_fire_times=now.next_fire_times if now is not None else (),
            run_count=now.action_count if now is not None else None,
            problem=row.problem,
            link=self._context.server().schedule_url(row.schedule_id),
            replaced=replaced,
        )


def _moment(value: datetime | str, zone: str | None, what: str) -> datetime:
    """An aware datetime: ISO text or a datetime, read in ``zone`` (UTC by default) when it has none."""
    import zoneinfo

    if isinstance(value, str):
        try:
            text = value.strip()
            # Python 3.10 reads no "Z" suffix.
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise InputError(
                f"invalid backfill {what} {value!r}: write an ISO date or time, e.g. 2026-01-31 or "
                "2026-01-31T07:00"
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone) if zone else timezone.utc)
    return value
