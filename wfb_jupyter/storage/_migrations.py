"""Schema migrations: the Alembic scripts shipped in ``wfb_jupyter/storage/migrations``.

``upgrade_database`` runs them in one transaction (SQLite and PostgreSQL both have transactional DDL), so a
failed upgrade leaves the database as it was. It refuses a database whose revision it does not know: that
database was written by a newer wfb-jupyter, and downgrading it silently would lose data.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from wfb_jupyter.storage._engine import create_storage_engine, describe, translate_error
from wfb_jupyter.storage._errors import SchemaTooNewError, StorageError

SCRIPT_LOCATION = "wfb_jupyter.storage:migrations"
# Any constant works: it only has to be the same in every process that migrates the same PostgreSQL database.
_POSTGRES_MIGRATION_LOCK = 0x77FB_0001


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this version of wfb-jupyter ships the migration ``revision``."""
    try:
        ScriptDirectory.from_config(_config()).get_revision(revision)
    except CommandError:
        return False
    return True


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database that was never migrated."""
    try:
        with engine.connect() as connection:
            return _single_revision(connection, engine)
    except DBAPIError as error:
        raise translate_error(error, engine.url) from error


def _single_revision(connection: Connection, engine: Engine) -> str | None:
    """The one revision in ``alembic_version``; several (written by hand, or by a branch of the
    migrations this version never had) are refused with what to do, not with alembic's own error."""
    try:
        return MigrationContext.configure(connection).get_current_revision()
    except CommandError:
        heads = MigrationContext.configure(connection).get_current_heads()
        where = describe(engine.url)
        raise StorageError(
            f"the database {where} records several schema revisions ({', '.join(sorted(heads))}) in "
            "its alembic_version table, where there is one: it was changed by hand or by another "
            "tool. Keep the row of the newest revision this wfb-jupyter knows (`wfb db status` shows "
            "it), or point WFB_DATABASE_URL at another database. The database was not changed.",
            location=where,
        ) from None


def upgrade_database(engine_or_url: Engine | str | URL, revision: str = "head") -> str:
    """Bring the database's schema up to ``revision`` (default: the newest); returns the revision reached.

    Safe to call on every start and from several processes at once.
    """
    if isinstance(engine_or_url, Engine):
        return _upgrade(engine_or_url, revision)
    engine = create_storage_engine(engine_or_url)
    try:
        return _upgrade(engine, revision)
    finally:
        engine.dispose()


def _upgrade(engine: Engine, revision: str) -> str:
    scripts = ScriptDirectory.from_config(_config())
    try:
        with engine.connect() as connection:
            if connection.dialect.name != "sqlite":
                return _upgrade_on(connection, scripts, revision, engine)
            # SQLite changes a table's constraints by copying it and dropping the old one. With foreign keys
            # on, that drop checks every row against the tables that refer to it, the copy among them: a
            # scan per row, hours for a few hundred thousand executions. Alembic's advice: migrate with them
            # off (a pragma that only takes effect outside a transaction) and check them before committing.
            driver = connection.connection.dbapi_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys = OFF")
            try:
                return _upgrade_on(connection, scripts, revision, engine)
            finally:
                driver.execute("PRAGMA foreign_keys = ON")
    except DBAPIError as error:
        raise translate_error(error, engine.url) from error


def _upgrade_on(
    connection: Connection, scripts: ScriptDirectory, revision: str, engine: Engine
) -> str:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Serialise concurrent first starts; the lock is released with the transaction.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK}
            )
        current = _single_revision(connection, engine)
        _refuse_unknown_revision(scripts, current, engine)
        if current is not None and current == scripts.get_current_head() and revision == "head":
            return current
        command.upgrade(_config(connection), revision)
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StorageError(
                    f"upgrading {describe(engine.url)} would leave {len(broken)} row(s) referring to "
                    f"rows that do not exist (first: table {broken[0][0]}, row {broken[0][1]}); the "
                    "database was not changed.",
                    location=describe(engine.url),
                )
        reached = MigrationContext.configure(connection).get_current_revision()
    assert reached is not None
    return reached


def _refuse_unknown_revision(scripts: ScriptDirectory, current: str | None, engine: Engine) -> None:
    if current is None:
        return
    try:
        scripts.get_revision(current)
    except CommandError:
        where = describe(engine.url)
        raise SchemaTooNewError(
            f"the database {where} has schema revision {current!r}, which this wfb-jupyter does not know: it "
            "was written by a newer version. Upgrade wfb-jupyter (pip install -U wfb-jupyter), or point "
            "WFB_DATABASE_URL at another database. The database was not changed.",
            location=where,
            revision=current,
        ) from None
