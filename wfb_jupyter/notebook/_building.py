"""Turning stored rows and compiler output into the Workspace's result values."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from wfb_jupyter.notebook._results import BuildResult, ProjectInfo, VersionInfo

if TYPE_CHECKING:
    from wfb_jupyter.storage import CompiledCode


def build_result(
    compiled: Any,
    info: ProjectInfo,
    outcome: Literal["created", "unchanged", "dry-run"],
    *,
    active: bool,
    stored: CompiledCode | None = None,
    same_as: int | None = None,
    warnings: tuple[Any, ...] = (),
) -> BuildResult:
    version = stored.version if stored is not None else compiled.version
    return BuildResult(
        name=compiled.name,
        project=info,
        version=version,
        outcome=outcome,
        active=active,
        checksum=compiled.checksum,
        manifest=dict(stored.manifest if stored is not None else compiled.manifest),
        definition_source=compiled.definition_source,
        same_as_version=same_as if outcome == "dry-run" else None,
        warnings=warnings,
    )


def with_note(result: BuildResult, note: str) -> BuildResult:
    return replace(result, worker_note=note) if note else result


def version_info(name: str, row: CompiledCode, open_executions: int = 0) -> VersionInfo:
    return VersionInfo(
        workflow=name,
        version=row.version,
        checksum=row.checksum,
        build_id=row.build_id,
        created_at=row.created_at,
        active=row.is_active,
        compiler_version=row.compiler_version,
        step_count=len(row.manifest.get("steps", [])),
        open_executions=open_executions,
    )
