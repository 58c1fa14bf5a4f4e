"""The data converter every client and worker of wfb-jupyter uses."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    ExternalStorage,
    SerializationContext,
    WithSerializationContext,
)
from typing_extensions import Self

from wfb_jupyter.conversion._payload_converter import PayloadLimits, converter_class

# Converting more than this many bytes runs on a thread, not on the event loop that serves the worker.
_OFF_LOOP_BYTES = 256 * 1024


@dataclasses.dataclass(frozen=True)
class WfbDataConverter(DataConverter):
    """The SDK's data converter, converting large values off the event loop: a million-row DataFrame takes
    a good part of a second to write as Parquet, and the loop also runs the worker's other tasks (and, in a
    notebook, every Temporal call of the kernel).

    Workflow code does not come through here: the workflow worker converts payloads in the sandbox.
    """

    # The serialization context (the step a value belongs to, which error messages name), kept as a field
    # so that it survives every copy: the SDK binds a store context with ``dataclasses.replace``, which
    # rebuilds the payload converter from its class and so would drop the context ``with_context`` set.
    # temporalio (1.35) has no public way to keep it (its ``_with_store_context`` is private); a field and
    # ``__post_init__`` need none.
    serialization_context: SerializationContext | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        context = self.serialization_context
        if context is not None and isinstance(self.payload_converter, WithSerializationContext):
            object.__setattr__(
                self, "payload_converter", self.payload_converter.with_context(context)
            )

    def with_context(self, context: SerializationContext) -> Self:
        converter = super().with_context(context)
        if converter is not self:
            object.__setattr__(converter, "serialization_context", context)
        return converter

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        if _heavy(values):
            payloads = await asyncio.to_thread(self.payload_converter.to_payloads, values)
        else:
            payloads = self.payload_converter.to_payloads(values)
        payloads = await self._encode_payload_sequence(payloads)
        payloads = await self._external_store_payload_sequence(payloads)
        return await self._encode_reference_payload_sequence(payloads)

    async def decode(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        payloads = await self._decode_reference_payload_sequence(payloads)
        payloads = await self._external_retrieve_payload_sequence(payloads)
        payloads = await self._decode_payload_sequence(payloads)
        if sum(len(payload.data) for payload in payloads) > _OFF_LOOP_BYTES:
            return await asyncio.to_thread(
                self.payload_converter.from_payloads, payloads, type_hints
            )
        return self.payload_converter.from_payloads(payloads, type_hints)


def data_converter(
    limits: PayloadLimits | None = None, external_storage: ExternalStorage | None = None
) -> WfbDataConverter:
    """A data converter with wfb-jupyter's payload converter; with ``external_storage`` (a payload store,
    see ``wfb_jupyter.payloads``, which chooses what leaves the history) only ``limits.max_bytes`` bounds a
    value."""
    limits = limits or PayloadLimits(stored=external_storage is not None)
    if external_storage is not None:
        limits = dataclasses.replace(limits, stored=True)
    return WfbDataConverter(
        payload_converter_class=converter_class(limits), external_storage=external_storage
    )


def _heavy(values: Sequence[Any]) -> bool:
    """Whether a value (or one directly inside it) is a pandas or numpy object: the ones slow to convert."""

    def heavy(value: Any) -> bool:
        return type(value).__module__.startswith(("pandas", "numpy"))

    if "pandas" not in sys.modules and "numpy" not in sys.modules:
        return False
    for value in values:
        if heavy(value):
            return True
        inner = (
            value.values() if type(value) is dict else value if type(value) in (list, tuple) else ()
        )
        if any(heavy(item) for item in list(inner)[:100]):
            return True
    return False
