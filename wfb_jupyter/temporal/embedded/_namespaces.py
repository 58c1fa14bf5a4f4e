"""Namespaces: the registry of names the service answers for, each with its own executions and queues."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from google.protobuf import duration_pb2
from temporalio.api.enums.v1 import namespace_pb2 as ns_enums
from temporalio.api.namespace.v1 import message_pb2 as namespace_pb
from temporalio.api.workflowservice.v1 import request_response_pb2 as rr

from ._clock import duration
from ._engine import NamespaceEngine
from ._errors import ServiceError, invalid_argument, namespace_not_found

DEFAULT_RETENTION_SECONDS = 24 * 3600.0


@dataclass(eq=False)
class Namespace:
    name: str
    engine: NamespaceEngine
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    description: str = ""
    owner_email: str = ""
    retention: duration_pb2.Duration = field(
        default_factory=lambda: duration(DEFAULT_RETENTION_SECONDS)
    )

    def describe(self) -> rr.DescribeNamespaceResponse:
        return rr.DescribeNamespaceResponse(
            namespace_info=namespace_pb.NamespaceInfo(
                name=self.name,
                id=self.id,
                state=ns_enums.NAMESPACE_STATE_REGISTERED,
                description=self.description,
                owner_email=self.owner_email,
            ),
            config=namespace_pb.NamespaceConfig(workflow_execution_retention_ttl=self.retention),
            is_global_namespace=False,
        )


class NamespaceRegistry:
    def __init__(self, names: tuple[str, ...]) -> None:
        self._by_name: dict[str, Namespace] = {}
        for name in names:
            self.add(name)

    def add(self, name: str) -> Namespace:
        namespace = Namespace(name, NamespaceEngine(name, self))
        self._by_name[name] = namespace
        return namespace

    def get(self, name: str) -> Namespace:
        if not name:
            raise invalid_argument("Namespace is not set on request.")
        namespace = self._by_name.get(name)
        if namespace is None:
            raise namespace_not_found(name)
        return namespace

    def get_by_id(self, namespace_id: str) -> Namespace:
        for namespace in self._by_name.values():
            if namespace.id == namespace_id:
                return namespace
        raise namespace_not_found(namespace_id)

    def engine(self, name: str) -> NamespaceEngine:
        return self.get(name).engine

    def engine_or_none(self, name: str) -> NamespaceEngine | None:
        namespace = self._by_name.get(name)
        return namespace.engine if namespace is not None else None

    def all(self) -> list[Namespace]:
        return list(self._by_name.values())

    def register(self, request: rr.RegisterNamespaceRequest) -> None:
        import grpc
        from temporalio.api.errordetails.v1 import message_pb2 as errordetails

        if not request.namespace:
            raise invalid_argument("Namespace is not set on request.")
        if request.namespace in self._by_name:
            raise ServiceError(
                grpc.StatusCode.ALREADY_EXISTS,
                "Namespace already exists.",
                errordetails.NamespaceAlreadyExistsFailure(),
            )
        namespace = self.add(request.namespace)
        namespace.description = request.description
        namespace.owner_email = request.owner_email
        if request.HasField("workflow_execution_retention_period"):
            namespace.retention = request.workflow_execution_retention_period
