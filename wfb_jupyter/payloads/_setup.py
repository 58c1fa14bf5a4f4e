"""The data converter of a project's clients and workers: wfb-jupyter's payload converter, with payloads over
the threshold in the project's payload store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from temporalio.api.common.v1 import Payload
from temporalio.converter import ExternalStorage, StorageDriver, StorageDriverSelectContext

from wfb_jupyter.conversion import (
    BINARY_BY_REFERENCE_BYTES,
    BUNDLE,
    PayloadLimits,
    WfbDataConverter,
    data_converter,
)
from wfb_jupyter.errors import SettingsError
from wfb_jupyter.payloads._cache import PayloadCache
from wfb_jupyter.payloads._driver import PayloadStoreDriver
from wfb_jupyter.payloads._stores import (
    DatabasePayloadStore,
    FolderPayloadStore,
    MemoryPayloadStore,
    PayloadStore,
)
from wfb_jupyter.settings import PayloadSettings, Settings, WfbSettings
from wfb_jupyter.storage import get_engine

_converters: dict[tuple[str, PayloadSettings], WfbDataConverter] = {}
_lock = threading.Lock()


def payload_store(settings: PayloadSettings, engine: Engine) -> PayloadStore:
    """The store ``settings`` name: the project's database by default, else a folder."""
    where = settings.store
    if not where or where == "database":
        return DatabasePayloadStore(engine)
    path = where.removeprefix("file://")
    if "://" in path:
        raise SettingsError(
            f"payload_store {where!r}: give a folder (a path or file:// URL); to use an object store, "
            "mount its bucket as a folder (s3fs, gcsfuse, blobfuse) and give that path"
        )
    return FolderPayloadStore(Path(path).expanduser().resolve(), engine)


def _selector(
    driver: PayloadStoreDriver, threshold: int
) -> Callable[[StorageDriverSelectContext, Payload], StorageDriver | None]:
    def select(context: StorageDriverSelectContext, payload: Payload) -> StorageDriver | None:
        if payload.metadata.get("encoding") == BUNDLE or payload.ByteSize() >= threshold:
            return driver
        return None

    return select


def project_data_converter(
    settings: Settings | None = None, engine: Engine | None = None
) -> WfbDataConverter:
    """The data converter for the project database of ``settings`` (read from the environment when None),
    one per database and payload settings in a process, so that its clients share one cache."""
    settings = settings or WfbSettings().resolve()
    engine = engine or get_engine(settings.database_url)
    key = (engine.url.render_as_string(hide_password=False), settings.payloads)
    with _lock:
        converter = _converters.get(key)
        if converter is None:
            payloads = settings.payloads
            store = payload_store(payloads, engine)
            converter = _converter(
                payloads, PayloadStoreDriver(store, PayloadCache(payloads.cache_bytes))
            )
            _converters[key] = converter
        return converter


def in_memory_data_converter(settings: PayloadSettings) -> WfbDataConverter:
    """A data converter for one test run: the project's limits and threshold, so values pass as they would
    in a real run, with large ones in memory for as long as the run (a test stores nothing)."""
    return _converter(settings, PayloadStoreDriver(MemoryPayloadStore(), PayloadCache(0)))


def _converter(payloads: PayloadSettings, driver: PayloadStoreDriver) -> WfbDataConverter:
    limits = PayloadLimits(threshold=payloads.threshold, max_bytes=payloads.max_bytes)
    storage = ExternalStorage(
        drivers=[driver],
        driver_selector=_selector(driver, payloads.threshold),
        payload_size_threshold=min(payloads.threshold, BINARY_BY_REFERENCE_BYTES),
    )
    return data_converter(limits, storage)
