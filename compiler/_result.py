"""What ``compile_workflow`` returns, and what storage keeps for every version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wfb_jupyter.compiler._problems import Problem


@dataclass(frozen=True)
class CompileOptions:
    """How to compile: the version number storage assigns, and the components the definition may call."""

    version: int = 1
    catalogue: Any = (
        None  # a ComponentCatalogue; None means the built-in catalogue is unknown (no arg checks)
    )
    project: str = ""
    task_queue: str = ""


@dataclass(frozen=True)
class CompiledWorkflow:
    """Generated code and metadata of one workflow version.

    ``checksum`` hashes the normalised definition, the components it uses and the compiler version, but not the
    version number: compiling an unchanged definition gives the same checksum, which storage uses to answer
    "nothing changed". ``build_id`` hashes the generated code itself.
    """

    name: str
    version: int
    workflow_type: str
    workflow_class: str
    module_name: str
    workflow_code: str
    activities_code: str
    worker_code: str
    requirements: str
    manifest: dict[str, Any] = field(default_factory=dict)
    checksum: str = ""
    build_id: str = ""
    definition_source: str = ""
    compiler_version: str = ""
    # What validation found suspicious but not wrong, with positions; not part of the checksum.
    warnings: tuple[Problem, ...] = ()
