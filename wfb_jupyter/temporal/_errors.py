"""Typed errors of the Temporal layer; their messages are written for the notebook user."""

from __future__ import annotations

from wfb_jupyter.errors import SettingsError, TemporalError


class TemporalUnavailableError(TemporalError, ConnectionError):
    """No Temporal server answered at ``address`` after ``attempts`` tries."""

    def __init__(self, address: str, attempts: int, reason: str) -> None:
        self.address = address
        self.attempts = attempts
        self.reason = reason
        super().__init__(
            f"Cannot reach Temporal at {address} after {attempts} attempt(s): {reason}. "
            "Start a Temporal server there, point TEMPORAL_ADDRESS at one that runs, "
            "or unset TEMPORAL_ADDRESS to use the local Temporal server."
        )


class ServerStartError(TemporalError, RuntimeError):
    """The local Temporal server could not be started or used; the message says why and what to do."""


class TemporalCliError(ServerStartError):
    """No usable Temporal CLI: missing, not executable, or not a Temporal CLI."""


class TemporalAddressError(SettingsError, ValueError):
    """A Temporal address that is not ``host:port``."""
