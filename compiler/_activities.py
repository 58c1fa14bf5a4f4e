"""The activities module for a set of components: builtins imported, user components' source emitted."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping

from compiler._catalogue import ComponentSpec
from compiler._environment import render
from compiler._escape import Code, py_identifier, py_str
from compiler._version import COMPILER_VERSION

_MODULE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_IMPORT_PATTERN = re.compile(
    r"(import|from) [A-Za-z_][A-Za-z0-9_.]*( import [A-Za-z0-9_., ]+| as \w+)?\Z"
)


class ComponentCodeError(ValueError):
    """A component spec that cannot be rendered into an activities module."""


def render_activities_module(
    components: Mapping[str, ComponentSpec] | Iterable[ComponentSpec],
    description: str = "a workflow",
) -> str:
    """The module defining one ``@activity.defn`` per component and an ``ACTIVITIES`` list of them."""
    specs = list(components.values()) if isinstance(components, Mapping) else list(components)
    specs.sort(key=lambda spec: spec.activity_type)
    imports = {"from typing import Any", "from temporalio import activity"}
    sources: list[Code] = []
    activities = []
    for spec in specs:
        wrapper = py_identifier(_safe_suffix(spec.activity_type), "activity_")
        if not spec.is_async and not spec.runs_inline:
            imports.add("import asyncio")
        if spec.kind == "builtin":
            impl = _builtin_import(spec, imports)
        else:
            impl = _user_source(spec, imports, sources)
        activities.append(
            {
                "type": py_str(spec.activity_type),
                "wrapper": wrapper,
                "impl": impl,
                "is_async": spec.is_async,
                "runs_inline": spec.runs_inline,
            }
        )
    return render(
        "activities.py.j2",
        imports=[Code(line) for line in _sorted_imports(imports)],
        sources=sources,
        activities=activities,
        description=Code(_plain(description)),
        compiler_version=Code(COMPILER_VERSION),
    )


def _builtin_import(spec: ComponentSpec, imports: set[str]) -> Code:
    if not _MODULE_PATTERN.match(spec.module) or not re.fullmatch(r"[A-Za-z_]\w*", spec.function):
        raise ComponentCodeError(
            f"component {spec.name!r}: module and function must be Python names"
        )
    alias = py_identifier(_safe_suffix(spec.activity_type), "_impl_")
    imports.add(f"from {spec.module} import {spec.function} as {alias}")
    return alias


def _user_source(spec: ComponentSpec, imports: set[str], sources: list[Code]) -> Code:
    # User components are the user's own code: it runs in their worker anyway. It still must define the
    # function it claims, and its import lines must be plain imports so the module header stays well formed.
    if (
        not re.fullmatch(r"[A-Za-z_]\w*", spec.function)
        or f"def {spec.function}(" not in spec.source
    ):
        raise ComponentCodeError(f"component {spec.name!r}: source must define {spec.function!r}")
    for line in spec.imports:
        if not _IMPORT_PATTERN.match(line.strip()):
            raise ComponentCodeError(f"component {spec.name!r}: not an import line: {line!r}")
        imports.add(line.strip())
    if any(f"def {spec.function}(" in source for source in sources):
        raise ComponentCodeError(
            f"component {spec.name!r}: another component also defines {spec.function!r}"
        )
    sources.append(Code(spec.source.strip("\n")))
    return Code(spec.function)


def _sorted_imports(imports: set[str]) -> list[str]:
    """Plain imports before from-imports, stdlib before third party: the order ruff's isort check expects."""

    def key(line: str) -> tuple[int, int, str, str]:
        module = line.split()[1]
        group = 0 if module.split(".")[0] in sys.stdlib_module_names else 1
        return group, 0 if line.startswith("import ") else 1, module.lower(), line

    ordered = sorted(imports, key=key)
    lines: list[str] = []
    previous = None
    for line in ordered:
        group = key(line)[0]
        if previous is not None and group != previous:
            lines.append("")
        lines.append(line)
        previous = group
    return lines


def _safe_suffix(activity_type: str) -> str:
    return re.sub(r"\W", "_", activity_type)


def _plain(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\- ]", "", text)[:80]
