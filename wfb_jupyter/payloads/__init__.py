"""Large values by reference: payloads over the threshold are stored outside the Temporal history (in the
project's database, or a folder) and replaced by a small reference that every worker of the project, and
``ws.runs.get(id).result()``, resolve; ``prune_payloads`` (``wfb payloads prune``) removes those no
execution needs any more.

``project_data_converter()`` is the data converter that every client and worker of a project uses (the
exported ``worker.py`` too); ``in_memory_data_converter()`` is a test run's (``%%workflow NAME --test``),
with large values in memory. How values are encoded is ``wfb_jupyter.conversion``'s part.
"""

from wfb_jupyter.payloads._cache import PayloadCache
from wfb_jupyter.payloads._driver import DRIVER_NAME, PayloadStoreDriver
from wfb_jupyter.payloads._errors import PayloadMissingError, PayloadStoreError
from wfb_jupyter.payloads._references import StoredValue, stored_value
from wfb_jupyter.payloads._retention import PruneResult, prune_payloads
from wfb_jupyter.payloads._setup import (
    in_memory_data_converter,
    payload_store,
    project_data_converter,
)
from wfb_jupyter.payloads._stores import (
    DatabasePayloadStore,
    FolderPayloadStore,
    MemoryPayloadStore,
    PayloadStore,
)

__all__ = [
    # the data converters of a project and of a test run
    "project_data_converter",
    "in_memory_data_converter",
    # stores and the claim-check driver
    "PayloadStore",
    "DatabasePayloadStore",
    "FolderPayloadStore",
    "MemoryPayloadStore",
    "payload_store",
    "PayloadStoreDriver",
    "PayloadCache",
    "DRIVER_NAME",
    # references, read without fetching what they refer to
    "StoredValue",
    "stored_value",
    # retention
    "PruneResult",
    "prune_payloads",
    # errors
    "PayloadStoreError",
    "PayloadMissingError",
]
