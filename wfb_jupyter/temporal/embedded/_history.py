"""One run's event history: an append-only list of HistoryEvent protos with change notification."""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

from google.protobuf import message
from temporalio.api.enums.v1 import event_type_pb2 as event_types
from temporalio.api.history.v1 import message_pb2 as history_pb

from ._clock import now, timestamp

EventType: TypeAlias = "event_types.EventType.ValueType"


def _attributes_field_by_type() -> dict[int, str]:
    """Map each event type to the name of its attributes field, derived from the proto's oneof."""
    fields: dict[str, str] = {}
    for field in history_pb.HistoryEvent.DESCRIPTOR.oneofs_by_name["attributes"].fields:
        # e.g. "activity_task_scheduled_event_attributes" -> "ACTIVITYTASKSCHEDULED"
        key = field.name.removesuffix("_event_attributes").replace("_", "").upper()
        fields[key] = field.name
    result: dict[int, str] = {}
    for name, value in event_types.EventType.items():
        key = name.removeprefix("EVENT_TYPE_").replace("_", "")
        if key in fields:
            result[value] = fields[key]
    return result


_ATTRIBUTES_FIELD = _attributes_field_by_type()

CLOSE_EVENT_TYPES = frozenset(
    {
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        event_types.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


class History:
    """Events of one run. Event ids are dense and start at 1."""

    __slots__ = ("events", "_waiters", "size_bytes")

    def __init__(self) -> None:
        self.events: list[history_pb.HistoryEvent] = []
        self._waiters: list[asyncio.Future[None]] = []
        self.size_bytes = 0

    @property
    def next_event_id(self) -> int:
        return len(self.events) + 1

    @property
    def last_event(self) -> history_pb.HistoryEvent | None:
        return self.events[-1] if self.events else None

    def append(
        self, event_type: EventType, attributes: message.Message | None = None, **fields: Any
    ) -> history_pb.HistoryEvent:
        """Append an event built from an attributes message or keyword fields; return it."""
        event = make_event(self.next_event_id, event_type, attributes, **fields)
        self.events.append(event)
        self.size_bytes += event.ByteSize()
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        return event

    async def wait_for_change(self, timeout: float) -> None:
        """Return when an event is appended or ``timeout`` seconds pass."""
        if timeout <= 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def make_event(
    event_id: int, event_type: EventType, attributes: message.Message | None = None, **fields: Any
) -> history_pb.HistoryEvent:
    event = history_pb.HistoryEvent(
        event_id=event_id, event_type=event_type, event_time=timestamp(now())
    )
    target = getattr(event, _ATTRIBUTES_FIELD[event_type])
    if attributes is not None:
        target.CopyFrom(attributes)
    for name, value in fields.items():
        _assign(target, name, value)
    if attributes is None and not fields:
        target.SetInParent()
    return event


def _assign(target: Any, name: str, value: Any) -> None:
    """Set one field of ``target`` whatever its kind: scalar, message, repeated or map."""
    message_type = target.DESCRIPTOR.fields_by_name[name].message_type
    current = getattr(target, name)
    if message_type is not None and message_type.GetOptions().map_entry:
        for key, item in value.items():
            if isinstance(item, message.Message):
                current[key].CopyFrom(item)
            else:
                current[key] = item
    elif hasattr(current, "extend"):
        current.extend(value)
    elif isinstance(value, message.Message):
        # An empty sub-message is left unset: presence means something to the SDK (a marker with an empty
        # ``failure`` reads as a failed local activity).
        if value.ByteSize():
            current.CopyFrom(value)
    else:
        setattr(target, name, value)


def attributes_of(event: history_pb.HistoryEvent) -> Any:
    return getattr(event, _ATTRIBUTES_FIELD[event.event_type])
