"""Where stored payloads live: the project's database (the default), or a folder every worker can reach; a
test run's, in memory for as long as the run.

Either way (but in memory) the database lists them (size, kind, location, and which executions used them), which is what
retention works from. A payload is written whole before it is listed: the folder's file goes in under a
temporary name and is renamed once complete, the database's parts go in the listing's transaction.
"""

from __future__ import annotations

import errno
import os
import threading
import uuid
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wfb_jupyter.conversion import format_size
from wfb_jupyter.payloads._errors import PayloadStoreError
from wfb_jupyter.storage import (
    DATABASE_LOCATION,
    StorageError,
    read_payload_bytes,
    read_scope,
    run_write,
    store_payload,
    use_payload,
)


class PayloadStore(Protocol):
    @property
    def location(self) -> str:
        """Where values are: ``database``, the folder's path, or ``memory``."""
        ...

    @property
    def label(self) -> str:
        """Where values are, as references show it: ``database``, ``folder PATH``, ``memory``."""
        ...

    def put(self, key: str, data: bytes, kind: str, workflow_id: str | None) -> None:
        """Keep ``data`` under ``key`` (once: a key already stored only notes the new use)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        ...


class DatabasePayloadStore:
    """Payloads in the project's database, in parts (``payload_chunks``)."""

    location = DATABASE_LOCATION
    label = DATABASE_LOCATION

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, key: str, data: bytes, kind: str, workflow_id: str | None) -> None:
        def write(session: Session) -> None:
            store_payload(session, key, size=len(data), kind=kind, data=data)
            use_payload(session, key, workflow_id)

        try:
            run_write(self.engine, write)
        except StorageError as error:
            raise PayloadStoreError(
                f"could not store a value of {format_size(len(data))} ({kind}) in the project's "
                f"database: {error}"
            ) from error

    def get(self, key: str) -> bytes | None:
        with read_scope(self.engine) as session:
            return read_payload_bytes(session, key)


class FolderPayloadStore:
    """Payloads as files under a folder (``<folder>/<key[:2]>/<key>``), listed in the project's database."""

    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = root
        self.engine = engine

    @property
    def location(self) -> str:
        return str(self.root)

    @property
    def label(self) -> str:
        return f"folder {self.root}"

    def path_of(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes, kind: str, workflow_id: str | None) -> None:
        path = self.path_of(key)
        try:
            if not path.exists():
                _write_whole(path, data)
        except OSError as error:
            raise PayloadStoreError(
                f"could not store a value of {format_size(len(data))} ({kind}) in the payload folder "
                f"{self.root}: {_os_reason(error)}"
            ) from error

        def record(session: Session) -> None:
            store_payload(session, key, size=len(data), kind=kind, location=self.location)
            use_payload(session, key, workflow_id)

        try:
            run_write(self.engine, record)
        except StorageError as error:
            raise PayloadStoreError(
                f"stored a value in {self.root} but could not list it in the project's database: {error}"
            ) from error

    def get(self, key: str) -> bytes | None:
        try:
            return self.path_of(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise PayloadStoreError(
                f"could not read {self.path_of(key)} from the payload folder: {_os_reason(error)}"
            ) from error


class MemoryPayloadStore:
    """A test run's payloads, kept while it runs and listed nowhere: a test stores nothing in the project."""

    location = label = "memory"

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, kind: str, workflow_id: str | None) -> None:
        with self._lock:
            self._values.setdefault(key, data)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._values.get(key)


def _write_whole(path: Path, data: bytes) -> None:
    """Write under a temporary name, flush to disk, then rename: a reader sees all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    try:
        with partial.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _os_reason(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (free space, prune old values with `wfb payloads prune`, or set payload_store)"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"it cannot be written ({error.strerror}); give this process write access or set payload_store"
    return f"{error.strerror or error}"
