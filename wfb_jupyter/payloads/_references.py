"""What a reference in a history says about the value it stands for, read without fetching the value: a run's
state can show a stored result as its type and size, where loading it could mean a gigabyte."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.json_format import Parse, ParseError
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1.external_storage_pb2 import ExternalStorageReference

from wfb_jupyter.payloads._driver import DRIVER_NAME

# How the SDK's external storage writes a reference into the history (json/protobuf of its reference message).
_MESSAGE_TYPE = ExternalStorageReference.DESCRIPTOR.full_name.encode()


@dataclass(frozen=True)
class StoredValue:
    """A value in the payload store, as its reference describes it; ``str()`` is one line for people."""

    type: str
    size: str
    store: str
    key: str

    def __str__(self) -> str:
        return f"<stored {self.type}, {self.size} in {self.store}; .result() loads it>"


def stored_value(payload: Payload) -> StoredValue | None:
    """The value ``payload`` refers to, if it is a reference this package's driver wrote; else None."""
    metadata = payload.metadata
    if metadata.get("encoding") != b"json/protobuf" or metadata.get("messageType") != _MESSAGE_TYPE:
        return None
    try:
        reference = Parse(payload.data, ExternalStorageReference())
    except ParseError:
        return None
    claim = dict(reference.claim_data)
    if reference.driver_name != DRIVER_NAME or "key" not in claim:
        return None
    return StoredValue(
        type=claim.get("type") or "value",
        size=claim.get("size", "?"),
        store=claim.get("store", "?"),
        key=claim["key"],
    )
