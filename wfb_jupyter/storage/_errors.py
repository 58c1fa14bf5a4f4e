"""Typed storage errors: each says what went wrong, where, and how to fix it.

User-facing layers (magics, CLI) print ``str(error)``; code that needs to react inspects the class and attributes.
"""

from __future__ import annotations

from wfb_jupyter import errors


class StorageError(errors.StorageError):
    """Base class of every error the storage layer raises on purpose."""

    def __init__(self, message: str, *, location: str = "") -> None:
        super().__init__(message)
        self.location = location


class DatabaseUnavailableError(StorageError):
    """The database cannot be opened or reached (missing directory, server down, bad URL)."""


class NotADatabaseError(StorageError):
    """The file at the configured location exists but is not a database we can read."""


class SchemaTooNewError(StorageError):
    """The database was migrated by a newer wfb-jupyter: its schema revision is unknown to this version."""

    def __init__(self, message: str, *, location: str = "", revision: str = "") -> None:
        super().__init__(message, location=location)
        self.revision = revision


class DatabaseReadOnlyError(StorageError):
    """The database (or its directory) cannot be written."""


class DatabaseFullError(StorageError):
    """The disk (or the database's size limit) is full; the failed transaction was rolled back."""


class DatabaseBusyError(StorageError):
    """Other processes kept the database locked longer than every retry waited."""


class NotFoundError(StorageError, errors.NotFoundError):
    """A row the caller named does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} does not exist")
        self.entity = entity
        self.key = key


class ConflictError(StorageError):
    """The request contradicts what is stored (for example a duplicate name)."""
