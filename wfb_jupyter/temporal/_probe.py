"""Is there a Temporal server at an address? A synchronous gRPC probe, usable with or without an event loop."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Literal

from wfb_jupyter.temporal._errors import TemporalAddressError

ProbeAnswer = Literal["temporal", "other", "closed"]
_GET_SYSTEM_INFO = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo"


@dataclass(frozen=True)
class Probe:
    answer: ProbeAnswer
    server_version: str | None = None

    @property
    def temporal(self) -> bool:
        return self.answer == "temporal"


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise TemporalAddressError(
            f"Temporal address {address!r} is not of the form host:port (check TEMPORAL_ADDRESS)"
        )
    return host.strip("[]"), int(port)


def port_answers(address: str, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``address``."""
    try:
        host, port = split_address(address)
    except ValueError:
        return False
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def probe(address: str, timeout: float = 2.0) -> Probe:
    """Ask ``address`` for Temporal's system info: ``temporal`` (with its version), ``other`` when something
    else listens there, ``closed`` when nothing does."""
    if not port_answers(address, timeout=min(timeout, 0.5)):
        return Probe("closed")
    import grpc
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest, GetSystemInfoResponse

    channel = grpc.insecure_channel(address)
    try:
        call = channel.unary_unary(
            _GET_SYSTEM_INFO,
            request_serializer=GetSystemInfoRequest.SerializeToString,
            response_deserializer=GetSystemInfoResponse.FromString,
        )
        response = call(GetSystemInfoRequest(), timeout=timeout)
    except grpc.RpcError:
        return Probe("other")
    finally:
        channel.close()
    return Probe("temporal", response.server_version or None)
