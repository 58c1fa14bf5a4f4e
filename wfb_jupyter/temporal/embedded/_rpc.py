"""Plumbing shared by the RPC handlers: error translation and long-poll deadlines."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from ._errors import ServiceError, unimplemented
from ._namespaces import NamespaceRegistry

log = logging.getLogger("wfb_jupyter.temporal.embedded")

# Long polls return empty well before the SDK's own 70 s poll deadline.
LONG_POLL_SECONDS = 20.0
# Leave this much of the caller's deadline for the (empty) answer to travel back.
_DEADLINE_MARGIN = 1.0

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def rpc(method: Handler) -> Handler:
    """Turn ServiceError into its gRPC status, and any other exception into a logged INTERNAL error."""

    @functools.wraps(method)
    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except ServiceError as err:
            failure = err
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the service must survive and answer every call
            log.exception("embedded Temporal service: %s failed", method.__name__)
            failure = ServiceError(
                grpc.StatusCode.INTERNAL,
                f"{method.__name__} failed inside the embedded service: {err}",
            )
        await context.abort(failure.code, failure.message, failure.trailing_metadata())

    return handler  # type: ignore[return-value]


def unimplemented_handler(name: str) -> Callable[..., Awaitable[Any]]:
    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        err = unimplemented(name)
        await context.abort(err.code, err.message)

    handler.__name__ = name
    return handler


def poll_timeout(context: grpc.aio.ServicerContext, cap: float = LONG_POLL_SECONDS) -> float:
    remaining = context.time_remaining()
    if remaining is None:
        return cap
    return max(0.0, min(cap, remaining - _DEADLINE_MARGIN))


class ServiceState:
    """What every handler needs: the namespaces, and through them all executions and queues."""

    def __init__(self, namespaces: NamespaceRegistry) -> None:
        self.namespaces = namespaces
