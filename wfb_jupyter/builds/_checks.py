"""Before a build is stored: it must load the way a worker will load it, or it is refused.

Two things are checked, in the build's transaction so that a refused build stores nothing: every user
component version the build calls is stored with the content it was compiled against (a worker loads the
stored one), and the generated modules import, with the workflow class accepted by Temporal's sandbox. Each
failure is a definition error with the line of the step concerned.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.compiler import (
    CompiledWorkflow,
    ComponentCatalogue,
    ComponentSpec,
    build_error,
    render_activities_module,
)
from wfb_jupyter.components import spec_from_row
from wfb_jupyter.runtime import ModuleSource, check_in_sandbox, compiled_modules, import_source
from wfb_jupyter.storage import NotFoundError, get_component

_BUILTIN_PREFIX = "wfb."
_checks = itertools.count(1)


def check_build_loads(
    session: Session,
    project_id: str,
    text: str,
    compiled: CompiledWorkflow,
    catalogue: ComponentCatalogue,
) -> None:
    """Raise ``WorkflowDefinitionError`` unless ``compiled`` loads as a worker will load it."""
    specs = _stored_components(session, project_id, text, compiled, catalogue)
    with _scratch_package() as (finder, package):
        for spec in specs:
            source = render_activities_module([spec], f"build check of {spec.name}")
            module = ModuleSource(f"{package}.{_suffix(spec)}", source, f"wfb://check/{spec.name}")
            try:
                import_source(finder, module)
            except Exception as error:
                raise build_error(
                    text,
                    f"component {spec.name!r} v{spec.version} does not load: {_reason(error)}",
                    component=spec.name,
                ) from error
        workflow = ModuleSource(
            f"{package}.workflow", compiled.workflow_code, "wfb://check/workflow"
        )
        try:
            check_in_sandbox(getattr(import_source(finder, workflow), compiled.workflow_class))
        except Exception as error:
            raise build_error(
                text, f"the generated workflow does not load in a worker: {_reason(error)}"
            ) from error


def _stored_components(
    session: Session,
    project_id: str,
    text: str,
    compiled: CompiledWorkflow,
    catalogue: ComponentCatalogue,
) -> list[ComponentSpec]:
    """The stored user component versions the build calls, each as it was compiled against."""
    specs = []
    components: Mapping[str, str] = compiled.manifest.get("components") or {}
    for name, activity_type in sorted(components.items()):
        if activity_type.startswith(_BUILTIN_PREFIX):
            continue
        expected = catalogue.get(name)
        version = expected.version if expected is not None else 0
        try:
            stored = spec_from_row(get_component(session, project_id, name, version))
        except NotFoundError:
            stored = None
        if stored is None or expected is None or _content(stored) != _content(expected):
            raise build_error(
                text,
                f"component {name!r} version {version} is not stored in this project as the build "
                "compiled it, so no worker could run this version; define the component again "
                "(re-run its cell) and build again",
                component=name,
            )
        specs.append(stored)
    return specs


def _content(spec: ComponentSpec) -> tuple[Any, ...]:
    return (spec.function, spec.source, spec.imports, spec.is_async, spec.parameters)


@contextmanager
def _scratch_package() -> Iterator[tuple[Any, str]]:
    """A package of the import hook for one check's modules, emptied afterwards."""
    finder = compiled_modules()
    package = f"{finder.root}._build_check_{next(_checks)}"
    try:
        yield finder, package
    finally:
        for name in finder.registered():
            if name.startswith(package + "."):
                finder.forget(name)


def _suffix(spec: ComponentSpec) -> str:
    digest = hashlib.sha256(spec.activity_type.encode()).hexdigest()[:8]
    return f"component_{digest}"


def _reason(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:300]}" if lines else type(error).__name__
