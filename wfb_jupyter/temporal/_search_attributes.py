"""The search attributes every execution carries, so the Web UI's workflow list filters by project and workflow
(``WfbProject = "etl" AND WfbWorkflow = "orders"``).

The local server registers them when it starts. On any other server they are added when missing where the
server allows it (a self-hosted cluster does; Temporal Cloud manages them in its own console); starts set only
those the namespace has, because a start naming an unknown attribute is refused.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.service import RPCError

logger = logging.getLogger(__name__)

SEARCH_ATTRIBUTES: Mapping[str, str] = {
    "WfbUser": "Keyword",
    "WfbProject": "Keyword",
    "WfbWorkflow": "Keyword",
    "WfbVersion": "Int",
}
_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
}

_available: weakref.WeakKeyDictionary[Client, frozenset[str]] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[Client, asyncio.Lock] = weakref.WeakKeyDictionary()


async def available_search_attributes(client: Client) -> frozenset[str]:
    """The product's search attributes this client's namespace has, registering missing ones once."""
    known = _available.get(client)
    if known is not None:
        return known
    async with _locks.setdefault(client, asyncio.Lock()):
        known = _available.get(client)
        if known is None:
            known = _available[client] = await _ensure(client)
        return known


async def _ensure(client: Client) -> frozenset[str]:
    namespace = client.namespace
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as error:
        logger.info("cannot list search attributes of %s (%s); starts set none", namespace, error)
        return frozenset()
    present = set(listed.custom_attributes) | set(listed.system_attributes)
    missing = {name: kind for name, kind in SEARCH_ATTRIBUTES.items() if name not in present}
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=namespace,
                    search_attributes={name: _INDEXED[kind] for name, kind in missing.items()},
                )
            )
            present.update(missing)
        except RPCError as error:
            logger.info(
                "search attributes %s are not registered on %s and cannot be added (%s); "
                "the Web UI cannot filter executions by them",
                ", ".join(sorted(missing)),
                namespace,
                error,
            )
    return frozenset(name for name in SEARCH_ATTRIBUTES if name in present)


def execution_search_attributes(
    available: frozenset[str], *, user: str, project: str, workflow: str, version: int
) -> TypedSearchAttributes:
    keywords = {"WfbUser": user, "WfbProject": project, "WfbWorkflow": workflow}
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(SearchAttributeKey.for_keyword(name), value)
        for name, value in keywords.items()
        if name in available
    ]
    if "WfbVersion" in available:
        pairs.append(SearchAttributePair(SearchAttributeKey.for_int("WfbVersion"), version))
    return TypedSearchAttributes(pairs)
