"""Storage: the database behind projects, workflow versions, components, workers, executions and statistics.

SQLite by default (a file in the data directory, see ``wfb_jupyter.settings``), any SQLAlchemy URL through
``WFB_DATABASE_URL``; PostgreSQL is supported. The schema is migrated on first use (``get_engine``) and by
``wfb db upgrade``. Repository functions take a ``Session`` and never commit: wrap them in ``session_scope``,
or in ``run_write`` for writes that race with other processes.
"""

from wfb_jupyter.storage._database import dispose_engines, get_engine
from wfb_jupyter.storage._engine import (
    create_storage_engine,
    describe,
    read_connection,
    read_scope,
    run_write,
    session_scope,
    storage_sessions,
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
from wfb_jupyter.storage._group_commit import BatchWriter, group_commit
from wfb_jupyter.storage._histogram import (
    GAMMA,
    RECORD_DTYPE,
    RELATIVE_ERROR,
    bin_of,
    representative,
)
from wfb_jupyter.storage._migrations import (
    current_revision,
    head_revision,
    is_known_revision,
    upgrade_database,
)
from wfb_jupyter.storage._types import utc_now
from wfb_jupyter.storage._worker_status import (
    RECONNECTING,
    WorkerStatus,
    failed_versions_of,
    loaded_versions_document,
    serving_worker,
    status_from_row,
    worker_statuses,
)
from wfb_jupyter.storage.orm import (
    ActivityAttemptRecord,
    ActivityStatistics,
    Base,
    CompiledCode,
    Component,
    ExecutionRecord,
    PayloadChunk,
    PayloadUse,
    Project,
    ScheduleRecord,
    StoredPayload,
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
from wfb_jupyter.storage.repository.attempt_tally import (
    AttemptTally,
    WorkerShare,
    tally_attempts,
)
from wfb_jupyter.storage.repository.components import (
    get_component,
    list_component_versions,
    list_components,
    store_component,
)
from wfb_jupyter.storage.repository.execution_batches import (
    ExecutionClose,
    ExecutionStart,
    find_execution,
    record_execution_closes,
    record_execution_starts,
)
from wfb_jupyter.storage.repository.executions import (
    close_execution,
    create_execution,
    get_execution,
    list_executions,
    list_open_executions,
    open_runs_started_before,
    record_rerun,
    recorded_runs,
)
from wfb_jupyter.storage.repository.payloads import (
    DATABASE_LOCATION,
    PayloadEntry,
    delete_payloads,
    list_payloads,
    payload_location,
    payload_totals,
    prunable_payloads,
    read_payload_bytes,
    store_payload,
    use_payload,
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
from wfb_jupyter.storage.repository.prune import (
    ProjectPrune,
    delete_attempts_before,
    plan_prune,
    whole_hour,
)
from wfb_jupyter.storage.repository.rollup_fold import epoch_hour
from wfb_jupyter.storage.repository.rollup_rebuild import rebuild_rollups
from wfb_jupyter.storage.repository.schedules import (
    ScheduleSettings,
    delete_schedule,
    find_schedule,
    get_schedule,
    has_schedules,
    list_schedules,
    save_schedule,
    update_schedule,
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
    CompiledVersion,
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
    previous_active_version,
    store_compiled_code,
)
from wfb_jupyter.storage.rollup_tables import (
    ActivityFailureRollup,
    ActivityRollup,
    ExecutionRollup,
)

__all__ = [
    "describe",
    "is_known_revision",
    "BatchWriter",
    "group_commit",
    "utc_now",
    "CompiledVersion",
    # worker liveness
    "RECONNECTING",
    "WorkerStatus",
    "failed_versions_of",
    "loaded_versions_document",
    "serving_worker",
    "status_from_row",
    "worker_statuses",
    # engine, sessions, migrations
    "create_storage_engine",
    "current_revision",
    "dispose_engines",
    "get_engine",
    "head_revision",
    "read_connection",
    "read_scope",
    "run_write",
    "session_scope",
    "storage_sessions",
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
    "ActivityFailureRollup",
    "ActivityRollup",
    "ActivityStatistics",
    "Base",
    "CompiledCode",
    "Component",
    "ExecutionRecord",
    "PayloadChunk",
    "PayloadUse",
    "ExecutionRollup",
    "Project",
    "ScheduleRecord",
    "StoredPayload",
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
    "previous_active_version",
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
    "record_rerun",
    "recorded_runs",
    # schedules
    "ScheduleSettings",
    "delete_schedule",
    "find_schedule",
    "get_schedule",
    "has_schedules",
    "list_schedules",
    "save_schedule",
    "update_schedule",
    # activity attempts and statistics
    "ActivityAttempt",
    "get_activity_statistics",
    "list_activity_attempts",
    "record_activity_attempts",
    # stored payloads (values too large for the Temporal history)
    "DATABASE_LOCATION",
    "PayloadEntry",
    "delete_payloads",
    "list_payloads",
    "payload_location",
    "payload_totals",
    "prunable_payloads",
    "read_payload_bytes",
    "store_payload",
    "use_payload",
    # how attempts divide among a project's workers, and duplicates (none expected)
    "AttemptTally",
    "WorkerShare",
    "tally_attempts",
    # rollups and their duration histograms
    "GAMMA",
    "RECORD_DTYPE",
    "RELATIVE_ERROR",
    "bin_of",
    "epoch_hour",
    "rebuild_rollups",
    "representative",
    # pruning old attempts
    "ProjectPrune",
    "delete_attempts_before",
    "plan_prune",
    "whole_hour",
]
