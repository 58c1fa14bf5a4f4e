"""A payload store that cannot keep or give back a value."""

from __future__ import annotations

from wfb_jupyter.errors import DataError


class PayloadStoreError(DataError):
    """The store refused (full, not writable, unreachable) or gave back damaged bytes. Nothing half-written
    is ever referenced: a value is referenced only once the store holds all of it."""


class PayloadMissingError(PayloadStoreError):
    """A reference to a value the store no longer holds (pruned, or stored elsewhere)."""

    def __init__(self, key: str, location: str, claim: dict[str, str] | None = None) -> None:
        what = ""
        if claim:
            what = f" ({claim.get('type', '?')}, {claim.get('size', '?')})"
        super().__init__(
            f"the stored value {key[:16]}{what} is not in the payload store ({location}); it was pruned "
            "(wfb payloads prune), or stored by a worker whose payload_store setting differs from this one's"
        )
        self.key = key
