"""Export: a stored version as a standalone project that runs on any Temporal server without a database.

The exported modules are the stored ones, byte for byte (what the version's executions replay on). Beside them
come ``run.py`` (serve the version, start an execution, connecting as Temporal's own tools do), the version's
manifest, requirements pinned to the versions installed here, and a README. ``run.py`` has no value of the
version written into it: it reads ``manifest.json``, so nothing in a definition reaches code this way.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from wfb_jupyter.errors import InputError
from wfb_jupyter.services._export_files import README, RUN_SCRIPT

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class StoredVersion:
    """What the export needs of a stored version."""

    name: str
    version: int
    workflow_code: str
    activities_code: str
    worker_code: str
    requirements: str
    manifest: dict[str, Any]
    definition_source: str


@dataclass(frozen=True)
class ExportResult:
    workflow: str
    version: int
    directory: Path
    files: tuple[str, ...]
    requirements: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"Exported {self.workflow!r} v{self.version} to {self.directory}: "
            f"{', '.join(self.files)}.\n"
            f"Requirements: {', '.join(self.requirements)}.\n"
            f"Run it: see {self.directory / 'README.md'} (python run.py worker; python run.py start)."
        )


def export_version(stored: StoredVersion, directory: Path, *, force: bool = False) -> ExportResult:
    """Write ``stored`` into ``directory`` (new or empty; with ``force``, the export's files are written over
    and other files are left as they are)."""
    directory = directory.expanduser().absolute()
    _check_target(directory, force)
    module = str(stored.manifest["module_name"])
    requirements = pinned_requirements(stored)
    files = {
        f"{module}.py": stored.workflow_code,
        f"{module}_activities.py": stored.activities_code,
        "worker.py": stored.worker_code,
        "run.py": RUN_SCRIPT,
        "manifest.json": json.dumps(stored.manifest, indent=2, sort_keys=True) + "\n",
        "definition.yaml": stored.definition_source.rstrip("\n") + "\n",
        "requirements.txt": "".join(f"{line}\n" for line in requirements),
        "README.md": _readme(stored, module, requirements),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return ExportResult(
        stored.name, stored.version, directory, tuple(sorted(files)), tuple(requirements)
    )


def _check_target(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} is a file; export into a new or empty directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise InputError(
            f"{directory} is not empty; export into a new or empty directory, or use --force to "
            "write over the files an export writes"
        )


def pinned_requirements(stored: StoredVersion) -> list[str]:
    """temporalio and wfb-jupyter (``run.py`` and the worker convert values with its data converter, and the
    built-in components are its own) pinned to the installed versions, then what the version's user
    components need, as stored (already pinned)."""
    lines = [_pin("temporalio"), _pin("wfb-jupyter")]
    have = {_name(line) for line in lines}
    for line in stored.requirements.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and _name(line) not in have:
            have.add(_name(line))
            lines.append(line)
    return lines


def _pin(distribution: str) -> str:
    try:
        return f"{distribution}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return distribution


def _name(requirement: str) -> str:
    match = _REQUIREMENT_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def _readme(stored: StoredVersion, module: str, requirements: list[str]) -> str:
    manifest = stored.manifest
    return README.format(
        name=stored.name,
        version=stored.version,
        workflow_type=manifest["workflow_type"],
        task_queue=manifest["task_queue"],
        module=module,
        build_id=manifest.get("build_id", ""),
        inputs=_inputs_example(manifest.get("input_schema") or {}),
        wfb_jupyter=_WFB_JUPYTER_NOTE,
        notebooks=_NOTEBOOKS_NOTE if "notebook" in (manifest.get("components") or {}) else "",
    )


def _inputs_example(schema: dict[str, Any]) -> str:
    example = {
        name: field.get("default", _EXAMPLES.get(str(field.get("type")), "..."))
        for name, field in (schema.get("properties") or {}).items()
    }
    return shlex.quote(json.dumps(example, sort_keys=True))


_EXAMPLES = {
    "string": "text",
    "number": 1.5,
    "integer": 1,
    "boolean": True,
    "array": [],
    "object": {},
}

_WFB_JUPYTER_NOTE = """
`run.py` converts values with `wfb-jupyter`'s data converter (the built-in components come from it too), and
`wfb-jupyter` is not on PyPI: have its wheel (or source folder) at hand and install it with the rest, for
example
`pip install --find-links /path/to/wheels -r requirements.txt`, or
`pip install /path/to/wfb-jupyter -r requirements.txt`.
"""

_NOTEBOOKS_NOTE = """
## Notebook steps

The `notebook` component runs notebooks in kernels of the worker's Python. A relative notebook path starts at
`WFB_NOTEBOOK_DIR` (default: the directory you start the worker in); executed notebooks are kept under
`WFB_EXECUTED_DIR` (default: `executed/` in wfb-jupyter's data directory, `~/.local/share/wfb-jupyter`).
Copy the notebooks the workflow runs next to the worker.
"""
