"""The payload converter: values to Temporal payloads and back, faithfully or not at all.

Three forms, chosen per value:

- plain JSON (``json/plain``, like the SDK's, but with key order kept) when the value is only JSON;
- tagged JSON (``json/plain`` with metadata ``wfb-values: 1``) when it holds other types, still readable in the
  Web UI: ``{"$wfb": "decimal", "value": "1.10"}``;
- a bundle (``binary/wfb-bundle``): the tagged tree plus binary blobs (Parquet files, arrays), when it holds
  large bytes, so that nothing is base64-encoded on the way.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import temporalio.common
import temporalio.workflow
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DefaultPayloadConverter,
    PayloadConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
    value_to_type,
)
from temporalio.exceptions import ApplicationError
from typing_extensions import Self

from wfb_jupyter.conversion import _scientific as scientific
from wfb_jupyter.conversion._errors import PayloadTooLargeError, Unsupported, UnsupportedValueError
from wfb_jupyter.conversion._tree import Decoder, Encoder, type_name

JSON = b"json/plain"
BUNDLE = b"binary/wfb-bundle"
TAGGED_KEY = "wfb-values"
SUMMARY_KEY = "wfb-summary"  # what a stored payload holds, for its reference
_MAGIC = b"WFB\x01"
# Temporal refuses a payload over 2 MB; without a payload store nothing larger can pass.
TEMPORAL_PAYLOAD_LIMIT = 2 * 1000 * 1000 - 64 * 1024
# Values with binary data (a DataFrame's Parquet file, an array) go by reference from this size on, whatever
# the threshold: in the history they would be unreadable bytes, and its size stays flat however large they are.
BINARY_BY_REFERENCE_BYTES = 16 * 1024


@dataclass(frozen=True)
class PayloadLimits:
    """``stored``: a payload store takes what is over ``threshold``, so only ``max_bytes`` bounds a value."""

    threshold: int = 256 * 1024
    max_bytes: int = 1024**3
    stored: bool = False

    @property
    def largest(self) -> int:
        return self.max_bytes if self.stored else min(self.max_bytes, TEMPORAL_PAYLOAD_LIMIT)


def in_workflow_code() -> bool:
    """True in workflow code: in the sandbox (payloads are converted there, outside any event loop), or
    running as a workflow without one."""
    return temporalio.workflow.unsafe.in_sandbox() or temporalio.workflow.in_workflow()


class WfbPayloadConverter(PayloadConverter, WithSerializationContext):
    """Subclassed per ``PayloadLimits`` by ``converter_class`` (the SDK builds converters from a class)."""

    limits: ClassVar[PayloadLimits] = PayloadLimits()
    _sdk = DefaultPayloadConverter()

    def __init__(self, context: SerializationContext | None = None) -> None:
        self._context = context

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(context)

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        return [self.to_payload(value) for value in values]

    def to_payload(self, value: Any) -> Payload:
        if isinstance(value, temporalio.common.RawValue):
            return value.payload
        if isinstance(value, Message):  # the SDK's own protobuf values (workflow metadata queries)
            return self._sdk.to_payloads([value])[0]
        encoder = Encoder()
        try:
            tree = encoder.encode(value)
        except Unsupported as error:
            raise self._failure(
                UnsupportedValueError(self._subject(), error.type_name, error.path, error.fix),
                False,
            ) from None
        payload = _payload(tree, encoder)
        size = len(payload.data)
        limits = self.limits
        if size > limits.largest:
            why = (
                "the size limit (payload_max_bytes, WFB_PAYLOAD_MAX_BYTES)"
                if limits.stored
                else "what Temporal takes in one payload, and no payload store is configured here"
            )
            raise self._failure(
                PayloadTooLargeError(self._subject(), size, limits.largest, why), False
            )
        if size >= min(
            limits.threshold, BINARY_BY_REFERENCE_BYTES
        ):  # it may be stored: say what it is
            payload.metadata[SUMMARY_KEY] = summary(value).encode()
        return payload

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        hints: list[Any] = list(type_hints) if type_hints else [None] * len(payloads)
        return [
            self.from_payload(payload, hint) for payload, hint in zip(payloads, hints, strict=False)
        ]

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        if (
            type_hint is temporalio.common.RawValue
        ):  # asked for as it is (a dynamic workflow's arguments)
            return temporalio.common.RawValue(payload)
        encoding = payload.metadata.get("encoding", b"")
        for_workflow = in_workflow_code()
        if encoding == BUNDLE:
            tree, blobs = _unbundle(payload.data)
            return Decoder(blobs, for_workflow=for_workflow).decode(tree)
        if encoding == JSON:
            value = json.loads(payload.data) if payload.data else None
            if payload.metadata.get(TAGGED_KEY):
                return Decoder(for_workflow=for_workflow).decode(value)
            if type_hint is not None and type_hint is not Any and type_hint is not object:
                return value_to_type(type_hint, value)
            return value
        if encoding == b"binary/null":
            return None
        if encoding == b"binary/plain":
            return bytes(payload.data)
        return self._sdk.from_payloads([payload], [type_hint] if type_hint is not None else None)[0]

    # messages -----------------------------------------------------------------------------------------------
    def _subject(self) -> str:
        """What the value is, in the words of the step that passes it."""
        context, in_workflow = self._context, in_workflow_code()
        if isinstance(context, ActivitySerializationContext):
            step = context.activity_id or context.activity_type or "?"
            if in_workflow:
                return f"the arguments the workflow passes to step {step!r}"
            component = f" (component {context.activity_type!r})" if context.activity_type else ""
            return f"the result of step {step!r}{component}"
        if isinstance(context, WorkflowSerializationContext):
            if in_workflow:
                return f"the output of workflow {context.workflow_id!r}"
            return f"the input of workflow {context.workflow_id!r}"
        return "the value"

    def _failure(self, error: Exception, retryable: bool) -> Exception:
        """In an activity the error fails the attempt; one that would fail again is marked non-retryable."""
        if isinstance(self._context, ActivitySerializationContext) and not in_workflow_code():
            failure = ApplicationError(
                str(error), type=type(error).__name__, non_retryable=not retryable
            )
            failure.__cause__ = error
            return failure
        return error


@functools.lru_cache(maxsize=32)
def converter_class(limits: PayloadLimits) -> type[WfbPayloadConverter]:
    """The converter class for ``limits`` (one per limits, so that equal settings share it)."""
    return type("WfbPayloadConverter", (WfbPayloadConverter,), {"limits": limits})


def summary(value: Any) -> str:
    """A few words on what a value is, for references in the history and the Web UI."""
    described = scientific.summary(value)
    if described is not None:
        return described
    if type(value) in (dict, list, tuple, set, frozenset):
        unit = "keys" if type(value) is dict else "items"
        return f"{type(value).__name__} of {len(value):,} {unit}"
    return type_name(value)


def describe_value(value: Any) -> Any:
    """The value as JSON data small enough for a record: the same as the value when it is JSON, else tagged,
    with bytes (a DataFrame's Parquet file...) replaced by their size."""
    try:
        return Encoder(describe=True).encode(value)
    except Unsupported as error:
        return {"$wfb": "unsupported", "type": error.type_name}


# forms ------------------------------------------------------------------------------------------------------
def _payload(tree: Any, encoder: Encoder) -> Payload:
    if encoder.blobs:
        return Payload(metadata={"encoding": BUNDLE}, data=_bundle(tree, encoder.blobs))
    metadata = {"encoding": JSON}
    if encoder.tagged:
        metadata[TAGGED_KEY] = b"1"
    return Payload(metadata=metadata, data=_json(tree))


def _json(tree: Any) -> bytes:
    try:
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except UnicodeEncodeError:  # text with lone surrogates: only escaped JSON can carry it
        return json.dumps(tree, separators=(",", ":"), allow_nan=False).encode()


def _bundle(tree: Any, blobs: Sequence[bytes | memoryview]) -> bytes:
    header = _json({"value": tree, "blobs": [len(blob) for blob in blobs]})
    return b"".join([_MAGIC, len(header).to_bytes(4, "big"), header, *blobs])


def _unbundle(data: bytes) -> tuple[Any, list[memoryview]]:
    view = memoryview(data)
    if bytes(view[:4]) != _MAGIC:
        raise ValueError("not a wfb-jupyter bundle (or one from a newer version)")
    length = int.from_bytes(view[4:8], "big")
    header = json.loads(bytes(view[8 : 8 + length]))
    blobs, offset = [], 8 + length
    for size in header["blobs"]:
        blobs.append(view[offset : offset + size])
        offset += size
    return header["value"], blobs
