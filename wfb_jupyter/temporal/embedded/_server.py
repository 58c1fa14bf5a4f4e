"""The gRPC server: the WorkflowService servicer assembled from its parts, plus a health service."""

from __future__ import annotations

from typing import Any

import grpc
from temporalio.api.workflowservice.v1 import service_pb2_grpc
from temporalio.bridge.proto.health.v1 import health_pb2

from ._client_calls import ClientCalls
from ._namespaces import NamespaceRegistry
from ._read_calls import ReadCalls
from ._rpc import unimplemented_handler
from ._worker_calls import WorkerCalls

# Payloads up to the blob limit plus whole histories must fit in one message.
_MAX_MESSAGE_BYTES = 128 * 1024 * 1024


# The generated stubs type handlers for the synchronous server; these are grpc.aio coroutines.
class WorkflowService(  # type: ignore[misc]
    ClientCalls, ReadCalls, WorkerCalls, service_pb2_grpc.WorkflowServiceServicer
):
    """Temporal's WorkflowService over in-memory state; every call not listed answers UNIMPLEMENTED."""


# The generated base class fails unimplemented calls in a way grpc.aio reports as UNKNOWN, which the SDK
# retries forever; replace each with a clean UNIMPLEMENTED.
for _name, _value in list(vars(service_pb2_grpc.WorkflowServiceServicer).items()):
    if _name[:1].isupper() and callable(_value) and getattr(WorkflowService, _name) is _value:
        setattr(WorkflowService, _name, unimplemented_handler(_name))


def _health_check(request: bytes, context: Any) -> bytes:
    return health_pb2.HealthCheckResponse(
        status=health_pb2.HealthCheckResponse.ServingStatus.SERVING
    ).SerializeToString()


def _health_handler() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(_health_check)},
    )


def build_server(namespaces: NamespaceRegistry) -> grpc.aio.Server:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ]
    )
    # Every abstract stub method is filled in above (with UNIMPLEMENTED where unsupported).
    servicer = WorkflowService(namespaces)  # type: ignore[abstract]
    service_pb2_grpc.add_WorkflowServiceServicer_to_server(servicer, server)
    server.add_generic_rpc_handlers((_health_handler(),))
    return server
