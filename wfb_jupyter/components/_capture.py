"""Capturing a notebook function as a component: its source, and the imports that make it run elsewhere.

A sidecar worker rebuilds the function from what is stored, in a fresh process with none of the notebook's
variables. So everything the function refers to must be a builtin, something importable (modules, and
functions or classes that live in modules), or defined inside the function. Everything else is reported, by
name, with the fix.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from wfb_jupyter.components._errors import ComponentCaptureError
from wfb_jupyter.components._shapes import check_shape

# Decorator spellings that capture strips from the source (the stored function is undecorated); a decorator
# under another name (`c = component`) is recognised by what it is.
_OUR_DECORATORS = frozenset({"component"})
_NOTEBOOK_MODULES = frozenset({"__main__", "builtins"})


@dataclass(frozen=True)
class CapturedFunction:
    source: str
    imports: tuple[str, ...]
    requirements: tuple[str, ...]


def capture_function(function: Callable[..., Any]) -> CapturedFunction:
    """The function's undecorated source and the import lines it needs, or ComponentCaptureError."""
    check_shape(function)
    name = getattr(function, "__name__", repr(function))
    if hasattr(function, "__wrapped__") and isinstance(
        inspect.unwrap(function), types.FunctionType
    ):
        # Names the other decorators when the source shows them.
        _definition(inspect.unwrap(function))
    if not isinstance(function, types.FunctionType) or hasattr(function, "__wrapped__"):
        wrapped = (
            " (it is wrapped by another decorator; a component is stored without it, so apply it "
            "inside the function)"
            if hasattr(function, "__wrapped__")
            else ""
        )
        raise ComponentCaptureError(
            name, [f"{name} is not a plain function; decorate a `def` function{wrapped}"]
        )
    if name == "<lambda>":
        raise ComponentCaptureError(
            name,
            ["a lambda cannot be a component: define it with `def` at the top level of a cell"],
        )
    if "<locals>" in function.__qualname__ or function.__code__.co_freevars:
        captured = ", ".join(f"`{var}`" for var in function.__code__.co_freevars)
        detail = f" and uses {captured} from the enclosing function" if captured else ""
        raise ComponentCaptureError(
            name,
            [
                f"{name} is defined inside another function{detail}; define it at the top level of a "
                "cell and pass what it needs as arguments"
            ],
        )
    definition = _definition(function)
    source = _undecorated_source(function, definition)
    problems: list[str] = []
    imports: set[str] = set()
    for referenced in sorted(_global_names(function, definition)):
        line = _import_for(function, referenced, problems)
        if line:
            imports.add(line)
    if problems:
        raise ComponentCaptureError(name, problems)
    modules = {line.split()[1] for line in imports} | _imported_inside(definition)
    return CapturedFunction(
        source=source, imports=tuple(sorted(imports)), requirements=_requirements(modules)
    )


def _imported_inside(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Modules the function imports in its own body (``import pandas as pd`` inside it): they travel with
    its source, but whoever runs it elsewhere still has to install them."""
    modules: set[str] = set()
    for node in ast.walk(definition):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def _definition(function: types.FunctionType) -> ast.FunctionDef | ast.AsyncFunctionDef:
    name = function.__name__
    try:
        raw = inspect.getsource(function)
    except (OSError, TypeError):
        raise ComponentCaptureError(
            name,
            [
                f"the source of {name} is not available; define it in a notebook cell or a .py file "
                "(not with exec of a string or in the interactive prompt without history)"
            ],
        ) from None
    tree = ast.parse(textwrap.dedent(raw))
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != name:
        raise ComponentCaptureError(name, [f"could not find `def {name}` in its source"])
    others = [
        ast.unparse(d)
        for d in node.decorator_list
        if not _is_our_decorator(d, function.__globals__)
    ]
    if others:
        raise ComponentCaptureError(
            name,
            [
                f"{name} has other decorators ({', '.join('@' + o for o in others)}); a component is "
                "stored without them, so apply them inside the function instead"
            ],
        )
    node.decorator_list = []
    return node


def _is_our_decorator(decorator: ast.expr, namespace: dict[str, Any]) -> bool:
    """``@component``, ``@component(...)``, ``@wfb.component``, or any other name bound to it."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute) and target.attr in _OUR_DECORATORS:
        return True
    if isinstance(target, ast.Name) and target.id in _OUR_DECORATORS:
        return True
    attributes: list[str] = []
    while isinstance(target, ast.Attribute):
        attributes.insert(0, target.attr)
        target = target.value
    if not isinstance(target, ast.Name) or target.id not in namespace:
        return False
    value: Any = namespace[target.id]
    for attribute in attributes:
        value = getattr(value, attribute, None)
    return bool(getattr(value, "__wfb_decorator__", False))


def _undecorated_source(
    function: types.FunctionType, definition: ast.FunctionDef | ast.AsyncFunctionDef
) -> str:
    # Slice the original text from the `def` line (decorators sit above it) to keep comments and layout.
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    return "\n".join(lines[definition.lineno - 1 : definition.end_lineno]).rstrip() + "\n"


def _global_names(
    function: types.FunctionType, definition: ast.FunctionDef | ast.AsyncFunctionDef
) -> set[str]:
    """Names the function looks up outside itself.

    Annotations and defaults are evaluated where the function is defined, so every name in them counts.
    In the body, a name counts when the compiled code looks it up as a global (``co_names`` of the function
    and its nested comprehensions and lambdas) and the source uses it as a name, not as an attribute.
    """
    arguments = definition.args
    at_definition: list[ast.AST] = [*arguments.defaults, *filter(None, arguments.kw_defaults)]
    every_argument = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every_argument += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    at_definition += [a.annotation for a in every_argument if a.annotation is not None]
    if definition.returns is not None:
        at_definition.append(definition.returns)
    names = {n.id for node in at_definition for n in ast.walk(node) if isinstance(n, ast.Name)}
    used_in_body = {
        n.id
        for statement in definition.body
        for n in ast.walk(statement)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    # ``co_names`` holds attribute names too (``info().attempt``), so a local that shares a name with an
    # attribute would look global: locals of the function and its nested code never count.
    names |= (used_in_body & set(_code_names(function.__code__))) - set(
        _local_names(function.__code__)
    )
    names.discard(function.__name__)  # recursion: the stored source defines the name itself
    return names


def _local_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_varnames
    yield from code.co_cellvars
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _local_names(constant)


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


def _import_for(function: types.FunctionType, name: str, problems: list[str]) -> str | None:
    owner = function.__name__
    if name not in function.__globals__:
        if hasattr(builtins, name):
            return None
        problems.append(
            f"{owner} uses `{name}`, which is not defined; define it inside the function or import it "
            "in the cell before the function"
        )
        return None
    value = function.__globals__[name]
    if isinstance(value, types.ModuleType):
        return _module_import(owner, name, value, problems)
    if getattr(value, "__wfb_component__", False):
        problems.append(
            f"{owner} calls the component `{name}`; components cannot call each other's notebook code. "
            "Move the shared code into a module and import it, or call both from the workflow"
        )
        return None
    module_name = getattr(value, "__module__", None)
    if module_name and module_name not in _NOTEBOOK_MODULES and module_name != function.__module__:
        attribute = _importable_attribute(value, module_name, name)
        if attribute:
            alias = "" if attribute == name else f" as {name}"
            return f"from {module_name} import {attribute}{alias}"
    found = _imported_value(value, name)
    if (
        found is not None
    ):  # a value imported from a module (`from math import pi`) has no __module__
        module_name, attribute = found
        alias = "" if attribute == name else f" as {name}"
        return f"from {module_name} import {attribute}{alias}"
    problems.append(_not_importable(owner, name, value))
    return None


def _imported_value(value: Any, name: str) -> tuple[str, str] | None:
    """The (module, attribute) that holds this very object, preferring the attribute ``name`` and the
    standard library: the module a value was imported from still holds it."""
    if value is None or isinstance(value, bool) or (isinstance(value, int) and -5 <= value <= 256):
        return None  # shared by every module that uses it: it says nothing of where it came from
    by_name: list[tuple[str, str]] = []
    by_value: list[tuple[str, str]] = []
    for module_name, module in list(sys.modules.items()):
        if (
            not isinstance(module, types.ModuleType)
            or module_name in _NOTEBOOK_MODULES
            or any(part.startswith("_") for part in module_name.split("."))
            or module_name.split(".")[0] == "wfb_compiled"
        ):
            continue
        namespace = vars(module)  # not getattr: a module's __getattr__ may import or compute
        if namespace.get(name) is value:
            by_name.append((module_name, name))
        elif not by_name:
            by_value.extend(
                (module_name, attribute)
                for attribute, item in list(namespace.items())
                if item is value and not attribute.startswith("_")
            )
    candidates = by_name or by_value
    if not candidates:
        return None

    def preference(candidate: tuple[str, str]) -> tuple[bool, int, str]:
        top = candidate[0].split(".")[0]
        return top not in sys.stdlib_module_names, len(candidate[0]), candidate[0]

    return min(candidates, key=preference)


def _module_import(
    owner: str, name: str, module: types.ModuleType, problems: list[str]
) -> str | None:
    module_name = module.__name__
    if module_name in _NOTEBOOK_MODULES or getattr(module, "__file__", "") is None:
        problems.append(f"{owner} uses the module `{name}`, which cannot be imported in a worker")
        return None
    return f"import {module_name}" if module_name == name else f"import {module_name} as {name}"


def _importable_attribute(value: Any, module_name: str, name: str) -> str | None:
    """The attribute of ``module_name`` that is ``value`` (so `from module import attribute` gives it back)."""
    try:
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
    except Exception:  # noqa: BLE001 - a module that does not import is simply not a source of imports
        return None
    candidates = [getattr(value, "__qualname__", None), getattr(value, "__name__", None), name]
    for candidate in candidates:
        if (
            isinstance(candidate, str)
            and candidate.isidentifier()
            and getattr(module, candidate, None) is value
        ):
            return candidate
    return None


def _not_importable(owner: str, name: str, value: Any) -> str:
    if isinstance(value, types.FunctionType):
        return (
            f"{owner} uses `{name}`, a function defined in the notebook; define it inside {owner}, "
            "or move it into a module and import it"
        )
    if isinstance(value, type):
        return (
            f"{owner} uses `{name}`, a class defined in the notebook; move it into a module and "
            "import it"
        )
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return (
        f"{owner} uses the notebook variable `{name}` ({article} {kind}); pass it as an argument or "
        "define it inside the function"
    )


def _requirements(modules: set[str]) -> tuple[str, ...]:
    """Distributions to install for the imported third-party modules, pinned to the versions installed
    where the component was defined (``pandas==2.2.3``): what it was tried with."""
    distributions = _packages_distributions()
    needed: set[str] = set()
    for module in modules:
        top_level = module.split(".")[0]
        if top_level in sys.stdlib_module_names:
            continue
        needed.update(distributions.get(top_level, []))
    return tuple(sorted(_pinned(name) for name in needed))


def _pinned(distribution: str) -> str:
    try:
        return f"{distribution}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return distribution


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())
