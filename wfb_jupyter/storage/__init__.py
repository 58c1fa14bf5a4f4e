"""Storage: the database behind projects, workflow versions, components, workers, executions and statistics.

SQLite by default (a per-user file, see ``default_database_path``), any SQLAlchemy URL through
``WFB_DATABASE_URL``; PostgreSQL is supported. The schema is migrated on first use (``get_engine``) and by
``wfb db upgrade``. Repository functions take a ``Session`` and never commit: wrap them in ``session_scope``,
or in ``run_write`` for writes that race with other processes.
"""

from wfb_jupyter.storage._builds import StoredBuild, compile_and_store, compile_next
from wfb_jupyter.storage._engine import (
    DATABASE_URL_VARIABLE,
    create_storage_engine,
    database_url,
    default_database_path,
    dispose_engines,
    get_engine,
    read_connection,
    read_scope,
    run_write,
    session_scope,
)
from wfb_jupyter.storage._errors import (
    ConflictError,
    DatabaseBusyError,
    DatabaseFullError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    NotADatabaseError,
    NotFoundError,
    SchemaTooNewError,
    StorageError,
)
from wfb_jupyter.storage._migrations import current_revision, head_revision, upgrade_database
from wfb_jupyter.storage.orm import (
    ActivityAttemptRecord,
    ActivityStatistics,
    Base,
    CompiledCode,
    Component,
    ExecutionRecord,
    Project,
    User,
    WorkerRecord,
    Workflow,
)
from wfb_jupyter.storage.repository.activities import (
    ActivityAttempt,
    get_activity_statistics,
    list_activity_attempts,
    record_activity_attempts,
)
from wfb_jupyter.storage.repository.components import (
    get_component,
    list_component_versions,
    list_components,
    store_component,
)
from wfb_jupyter.storage.repository.executions import (
    ExecutionClose,
    ExecutionStart,
    close_execution,
    create_execution,
    find_execution,
    get_execution,
    list_executions,
    list_open_executions,
    open_runs_started_before,
    record_execution_closes,
    record_execution_starts,
)
from wfb_jupyter.storage.repository.projects import (
    create_project,
    create_user,
    get_or_create_project,
    get_or_create_user,
    get_project,
    get_project_by_name,
    get_user,
    get_user_by_name,
    list_projects,
    slugify,
)
from wfb_jupyter.storage.repository.workers import (
    STALE_AFTER,
    get_worker,
    heartbeat_worker,
    list_workers,
    mark_stale_workers,
    register_worker,
    update_worker,
)
from wfb_jupyter.storage.repository.workflows import (
    activate_version,
    activation_generation,
    get_compiled_code,
    get_or_create_workflow,
    get_workflow,
    get_workflow_by_name,
    list_compiled_versions,
    list_workflows,
    load_workflows_for_project,
    next_version,
    store_compiled_code,
)

__all__ = [
    # engine, sessions, migrations
    "DATABASE_URL_VARIABLE",
    "create_storage_engine",
    "current_revision",
    "database_url",
    "default_database_path",
    "dispose_engines",
    "get_engine",
    "head_revision",
    "read_connection",
    "read_scope",
    "run_write",
    "session_scope",
    "upgrade_database",
    # errors
    "ConflictError",
    "DatabaseBusyError",
    "DatabaseFullError",
    "DatabaseReadOnlyError",
    "DatabaseUnavailableError",
    "NotADatabaseError",
    "NotFoundError",
    "SchemaTooNewError",
    "StorageError",
    # ORM classes
    "ActivityAttemptRecord",
    "ActivityStatistics",
    "Base",
    "CompiledCode",
    "Component",
    "ExecutionRecord",
    "Project",
    "User",
    "WorkerRecord",
    "Workflow",
    # users and projects
    "create_project",
    "create_user",
    "get_or_create_project",
    "get_or_create_user",
    "get_project",
    "get_project_by_name",
    "get_user",
    "get_user_by_name",
    "list_projects",
    "slugify",
    # workflows and versions
    "activate_version",
    "activation_generation",
    "get_compiled_code",
    "get_or_create_workflow",
    "get_workflow",
    "get_workflow_by_name",
    "list_compiled_versions",
    "list_workflows",
    "load_workflows_for_project",
    "next_version",
    "store_compiled_code",
    # components
    "get_component",
    "list_component_versions",
    "list_components",
    "store_component",
    # workers
    "STALE_AFTER",
    "get_worker",
    "heartbeat_worker",
    "list_workers",
    "mark_stale_workers",
    "register_worker",
    "update_worker",
    # builds
    "StoredBuild",
    "compile_and_store",
    "compile_next",
    # executions
    "ExecutionClose",
    "ExecutionStart",
    "close_execution",
    "create_execution",
    "find_execution",
    "get_execution",
    "list_executions",
    "list_open_executions",
    "open_runs_started_before",
    "record_execution_closes",
    "record_execution_starts",
    # activity attempts and statistics
    "ActivityAttempt",
    "get_activity_statistics",
    "list_activity_attempts",
    "record_activity_attempts",
]
