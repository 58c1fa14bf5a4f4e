"""When a schedule fires, checked here before Temporal sees it: the server's own errors about a cron string or
a time zone are terse ("DayOfWeek is not in range [0-7]"), and a refused schedule must leave nothing behind.

A cron has the five classic fields (minute hour day-of-month month day-of-week), each ``*``, ``*/n``, a value,
a range ``a-b`` (optionally ``/n``) or a list of those; months and days may be named (JAN-DEC, SUN-SAT).
The ``@hourly``-style shorthands are accepted too.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import ScheduleIntervalSpec, ScheduleOverlapPolicy, ScheduleSpec

from wfb_jupyter.errors import InputError

CRON_EXAMPLE = '"0 7 * * MON-FRI" (minute hour day-of-month month day-of-week)'
_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    label: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the number the first name stands for

    def value(self, text: str, cron: str) -> int:
        upper = text.upper()
        if upper in self.names:
            return self.names.index(upper) + self.first_name
        if not text.isdigit():
            named = f" or a name {self.names[0]}-{self.names[-1]}" if self.names else ""
            raise _cron_error(cron, f"{self.label} {text!r} is not a number{named}")
        number = int(text)
        if not self.low <= number <= self.high:
            raise _cron_error(
                cron, f"{self.label} {number} is out of range ({self.low}-{self.high})"
            )
        return number


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day of week", 0, 7, _DAYS, 0),
)
_ITEM = re.compile(r"^(?P<range>\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(?P<step>[^/]*))?$")


def check_cron(cron: str) -> str:
    """The cron string, tidied (single spaces); ``InputError`` saying which field is wrong and why."""
    text = " ".join(cron.split())
    if text.lower() in _MACROS:
        return text.lower()
    fields = text.split(" ") if text else []
    if len(fields) != len(_FIELDS):
        raise _cron_error(
            text, f"it has {len(fields)} field{'s' if len(fields) != 1 else ''}, not 5"
        )
    for field, part in zip(_FIELDS, fields, strict=True):
        for item in part.split(","):
            _check_item(field, item, text)
    return text


def _check_item(field: _Field, item: str, cron: str) -> None:
    match = _ITEM.match(item)
    if match is None:
        raise _cron_error(
            cron, f"{field.label} {item!r} is not *, */n, a value, a range a-b or a list"
        )
    step = match.group("step")
    if step is not None and (not step.isdigit() or int(step) == 0):
        raise _cron_error(cron, f"{field.label} step {step!r} is not a whole number above 0")
    span = match.group("range")
    if span in ("*", "?"):
        if span == "?" and field.label not in ("day of month", "day of week"):
            raise _cron_error(cron, "'?' is only allowed for the day of month or of week")
        return
    low, _, high = span.partition("-")
    start = field.value(low, cron)
    if high and field.value(high, cron) < start:
        raise _cron_error(cron, f"{field.label} range {span!r} runs backwards")


def _cron_error(cron: str, reason: str) -> InputError:
    return InputError(f"invalid cron {cron!r}: {reason}; write 5 fields, e.g. {CRON_EXAMPLE}")


def check_timezone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``); ``InputError`` for one that does not exist."""
    available = zoneinfo.available_timezones()
    if not available:  # no time zone database here (Windows without tzdata): the server decides
        return name
    if name in available:
        return name
    close = sorted(zone for zone in available if zone.lower() == name.lower())
    hint = f"; did you mean {close[0]!r}?" if close else " (IANA names, e.g. 'Europe/Paris', 'UTC')"
    raise InputError(f"unknown time zone {name!r}{hint}")


_DURATION = re.compile(r"(\d+)(d|h|m|s)")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, what: str = "interval") -> timedelta:
    """``15m``, ``1h30m``, ``90s``, ``1d``: whole seconds, at least one (schedules fire at whole seconds)."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise InputError(
            f"invalid {what} {text!r}: write a number and a unit (s, m, h, d), e.g. 15m or 1h30m"
        )
    seconds = sum(int(number) * _UNITS[unit] for number, unit in parts)
    if seconds < 1:
        raise InputError(f"invalid {what} {text!r}: it must be at least 1s")
    return timedelta(seconds=seconds)


OVERLAP_POLICIES: dict[str, ScheduleOverlapPolicy] = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer-one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer-all": ScheduleOverlapPolicy.BUFFER_ALL,
    "cancel-other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate-other": ScheduleOverlapPolicy.TERMINATE_OTHER,
    "allow-all": ScheduleOverlapPolicy.ALLOW_ALL,
}


def check_overlap(name: str) -> str:
    """One of ``OVERLAP_POLICIES`` (``buffer_one`` is read as ``buffer-one``)."""
    normal = name.strip().lower().replace("_", "-")
    if normal not in OVERLAP_POLICIES:
        raise InputError(
            f"unknown overlap policy {name!r}; choose one of {', '.join(OVERLAP_POLICIES)}"
        )
    return normal


@dataclass(frozen=True)
class ScheduleTiming:
    """When a schedule fires: every interval, or on a cron, in a time zone (UTC when none is given)."""

    every: str | None = None
    cron: str | None = None
    timezone: str | None = None

    @classmethod
    def checked(
        cls, every: str | None = None, cron: str | None = None, timezone: str | None = None
    ) -> ScheduleTiming:
        """Exactly one of ``every`` and ``cron``, each checked; ``InputError`` otherwise."""
        if (every is None) == (cron is None):
            raise InputError(
                f"say when it fires: either every INTERVAL (e.g. 15m) or a cron such as {CRON_EXAMPLE}"
                + ("" if every is None else ", not both")
            )
        if every is not None:
            parse_duration(every)
        return cls(
            every=every.strip() if every is not None else None,
            cron=check_cron(cron) if cron is not None else None,
            timezone=check_timezone(timezone) if timezone else None,
        )

    def spec(self) -> ScheduleSpec:
        if self.every is not None:
            return ScheduleSpec(
                intervals=[ScheduleIntervalSpec(every=parse_duration(self.every))],
                time_zone_name=self.timezone,
            )
        assert self.cron is not None
        return ScheduleSpec(cron_expressions=[self.cron], time_zone_name=self.timezone)

    def describe(self) -> str:
        when = f"every {self.every}" if self.every is not None else f"cron {self.cron!r}"
        return when + (f" ({self.timezone})" if self.timezone else "")
