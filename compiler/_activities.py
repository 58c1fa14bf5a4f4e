"""The activities module for a set of components: builtins imported, user components' source emitted.

Each user component is defined inside a function of its own, with its own imports: its names (the function's
own, and whatever its imports bind) can neither hide the module's imports (``activity``, ``asyncio``) nor meet
another component's (one's ``from datetime import datetime`` and another's ``import datetime``).
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections.abc import Iterable, Mapping

from wfb_jupyter.compiler._catalogue import ComponentSpec
from wfb_jupyter.compiler._environment import render
from wfb_jupyter.compiler._escape import INDENT, Code, py_identifier, py_str
from wfb_jupyter.compiler._version import COMPILER_VERSION

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
        suffix = _safe_suffix(spec.activity_type)
        wrapper = py_identifier(suffix, "activity_")
        if not spec.is_async and not spec.runs_inline:
            imports.add("import asyncio")
        if spec.kind == "builtin":
            impl = _builtin_import(spec, imports)
        else:
            impl = py_identifier(suffix, "_impl_")
            sources.append(_user_source(spec, py_identifier(suffix, "_define_"), impl))
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


def _user_source(spec: ComponentSpec, factory: Code, impl: Code) -> Code:
    """``def _define_x_v1()`` holding the component's imports and source, and ``_impl_x_v1`` its result.

    User components are the user's own code: it runs in their worker anyway. It still must define the
    function it claims, and its import lines must be plain imports so that they stay import statements.
    """
    if not re.fullmatch(r"[A-Za-z_]\w*", spec.function) or not re.search(
        rf"^(async\s+)?def\s+{spec.function}\s*\(", spec.source, re.MULTILINE
    ):
        raise ComponentCodeError(f"component {spec.name!r}: source must define {spec.function!r}")
    imports = set()
    for line in spec.imports:
        if not _IMPORT_PATTERN.match(line.strip()):
            raise ComponentCodeError(f"component {spec.name!r}: not an import line: {line!r}")
        imports.add(line.strip())
    lines = [
        f'{INDENT}"""Component {_plain(spec.name)} v{int(spec.version)}: its imports and names stay in here."""',
        *(INDENT + line if line else line for line in _sorted_imports(imports)),
        *([""] if imports else []),
        _indented(spec.name, spec.source.strip("\n")),
        "",
        f"{INDENT}return {spec.function}",
    ]
    return Code(f"def {factory}() -> Any:\n" + "\n".join(lines) + f"\n\n\n{impl} = {factory}()")


def _indented(name: str, source: str) -> str:
    """``source`` shifted one level right, except the lines that continue a multi-line string: their text
    is the string's content, which must not change."""
    inside: set[int] = set()
    f_strings: list[int] = []  # Python 3.12 tokenizes f-strings in pieces
    try:
        for token in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
            kind = tokenize.tok_name[token.type]
            if kind == "STRING":
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
            elif kind == "FSTRING_START":
                f_strings.append(token.start[0])
            elif kind == "FSTRING_END":
                inside.update(range(f_strings.pop() + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError) as error:
        raise ComponentCodeError(
            f"component {name!r}: its source does not tokenize: {error}"
        ) from None
    return "\n".join(
        line if number in inside or not line.strip() else INDENT + line
        for number, line in enumerate(source.split("\n"), start=1)
    )


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
