"""The claim check: Temporal's external storage hands payloads over the threshold to this driver, which stores
them in the project's payload store and gives back a small reference (the claim) for the history.

A reference names the payload by the SHA-256 of its bytes, so a value passed on unchanged (a step's result
going on to the next step) is stored once; it also says, for people reading the history in the Web UI, what
the value is, how large, and where it lives. Fetched bytes are checked against the key.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)

from wfb_jupyter.conversion import SUMMARY_KEY, format_size
from wfb_jupyter.payloads._cache import PayloadCache
from wfb_jupyter.payloads._errors import PayloadMissingError, PayloadStoreError
from wfb_jupyter.payloads._stores import PayloadStore

# Every worker of a project registers its driver under this name: a reference written by one is read by all.
DRIVER_NAME = "wfb-payloads"
_REMEMBERED_WRITES = 10_000


class PayloadStoreDriver(StorageDriver):
    def __init__(self, store: PayloadStore, cache: PayloadCache) -> None:
        self.payload_store = store
        self.cache = cache
        # (key, workflow id) pairs this process has stored: sending them again costs no write.
        self._written: set[tuple[str, str | None]] = set()

    def name(self) -> str:
        return DRIVER_NAME

    def type(self) -> str:
        return DRIVER_NAME

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        target = context.target
        workflow_id = target.id if isinstance(target, StorageDriverWorkflowInfo) else None
        return [await asyncio.to_thread(self._store, payload, workflow_id) for payload in payloads]

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        return [await asyncio.to_thread(self._retrieve, dict(claim.claim_data)) for claim in claims]

    def _store(self, payload: Payload, workflow_id: str | None) -> StorageDriverClaim:
        data = payload.SerializeToString()
        key = hashlib.sha256(data).hexdigest()
        kind = (
            payload.metadata.get(SUMMARY_KEY) or payload.metadata.get("encoding") or b""
        ).decode()
        if (key, workflow_id) not in self._written:
            self.payload_store.put(key, data, kind, workflow_id)
            if len(self._written) >= _REMEMBERED_WRITES:
                self._written.clear()
            self._written.add((key, workflow_id))
        self.cache.put(key, data)
        return StorageDriverClaim(
            claim_data={
                "key": key,
                "type": kind,
                "size": format_size(len(data)),
                "bytes": str(len(data)),
                "store": self.payload_store.label,
            }
        )

    def _retrieve(self, claim: dict[str, str]) -> Payload:
        key = claim["key"]
        data = self.cache.get(key)
        if data is None:
            data = self.payload_store.get(key)
            if data is None:
                raise PayloadMissingError(key, self.payload_store.location, claim)
            if hashlib.sha256(data).hexdigest() != key:
                raise PayloadStoreError(
                    f"the stored value {key[:16]} in {self.payload_store.location} is damaged (its bytes "
                    "do not match its key); run the step that produced it again"
                )
            self.cache.put(key, data)
        return Payload.FromString(data)
