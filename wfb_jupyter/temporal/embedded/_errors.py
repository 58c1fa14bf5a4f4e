"""Errors the service returns to clients, and how they travel as gRPC statuses.

Every failure a handler wants the client to see is raised as :class:`ServiceError`; the servicer turns it into
``context.abort`` with the right status code. Anything else that escapes a handler is logged and returned as
``INTERNAL``: the SDK retries ``UNKNOWN`` forever, so an unexpected exception must never surface as that.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, message
from temporalio.api.common.v1 import grpc_status_pb2
from temporalio.api.errordetails.v1 import message_pb2 as errordetails

# The blob size limit a default Temporal server enforces on a single payload-carrying field.
BLOB_SIZE_LIMIT = 2 * 1024 * 1024

_DETAILS_TRAILER = "grpc-status-details-bin"


class ServiceError(Exception):
    """A failure reported to the client with a gRPC status code, a message and optional typed details."""

    def __init__(
        self, code: grpc.StatusCode, message_text: str, detail: message.Message | None = None
    ) -> None:
        super().__init__(message_text)
        self.code = code
        self.message = message_text
        self.detail = detail

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        """The ``grpc-status-details-bin`` trailer the SDK decodes typed failures from."""
        if self.detail is None:
            return ()
        packed = any_pb2.Any()
        packed.Pack(self.detail)
        status = grpc_status_pb2.GrpcStatus(
            code=self.code.value[0], message=self.message, details=[packed]
        )
        return ((_DETAILS_TRAILER, status.SerializeToString()),)


def invalid_argument(text: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, text)


def not_found(text: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.NOT_FOUND, text, errordetails.NotFoundFailure(current_cluster="active")
    )


def namespace_not_found(namespace: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.NOT_FOUND,
        f"Namespace {namespace} is not found.",
        errordetails.NamespaceNotFoundFailure(namespace=namespace),
    )


def workflow_not_found(workflow_id: str, run_id: str = "") -> ServiceError:
    run = f", run {run_id}" if run_id else ""
    return not_found(f"workflow execution not found: workflow {workflow_id}{run}")


def already_started(workflow_id: str, run_id: str, request_id: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.ALREADY_EXISTS,
        f"Workflow execution already started: workflow {workflow_id}, run {run_id}",
        errordetails.WorkflowExecutionAlreadyStartedFailure(
            start_request_id=request_id, run_id=run_id
        ),
    )


def stale_task(kind: str) -> ServiceError:
    return not_found(f"{kind} task not found: the task token is stale or the execution is closed")


def unimplemented(what: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.UNIMPLEMENTED, f"{what} is not supported by the embedded Temporal service"
    )


def check_blob(name: str, size: int) -> None:
    """Reject a payload-carrying field larger than the server's blob size limit."""
    if size > BLOB_SIZE_LIMIT:
        raise invalid_argument(
            f"{name} is too large: {size} bytes exceeds the {BLOB_SIZE_LIMIT} byte blob size limit"
        )
