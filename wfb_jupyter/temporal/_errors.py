"""Typed errors of the Temporal layer; their messages are written for the notebook user."""

from __future__ import annotations


class TemporalUnavailableError(ConnectionError):
    """No Temporal server answered at ``address`` after ``attempts`` tries."""

    def __init__(self, address: str, attempts: int, reason: str) -> None:
        self.address = address
        self.attempts = attempts
        self.reason = reason
        super().__init__(
            f"Cannot reach Temporal at {address} after {attempts} attempt(s): {reason}. "
            "Start a Temporal server there, point TEMPORAL_ADDRESS at one that runs, "
            "or unset TEMPORAL_ADDRESS to use the embedded service."
        )


class ServerStartError(RuntimeError):
    """A Temporal server this process tried to start (dev server sidecar or embedded) did not come up."""
