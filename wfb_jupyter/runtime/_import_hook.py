"""An import hook that serves compiled workflow code kept in the database as ordinary Python modules.

Workers register each version's source under ``wfb_compiled.<...>``; the hook answers imports of those names and
of their parent packages, in the kernel and inside Temporal's workflow sandbox (which re-imports workflow modules
through ``sys.meta_path``). Code objects are compiled once per source; tracebacks show the stored source.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import linecache
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, ModuleType

ROOT_PACKAGE = "wfb_compiled"


@dataclass(frozen=True)
class ModuleSource:
    """One module's text and where it came from (shown in tracebacks, e.g. ``wfb://proj/orders/v3/workflow.py``)."""

    name: str
    source: str
    origin: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


SourceFetcher = Callable[[str], "ModuleSource | None"]


class CompiledModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Finder and loader for modules under ``root``; parents of registered modules are empty packages."""

    def __init__(self, root: str = ROOT_PACKAGE, fetch: SourceFetcher | None = None) -> None:
        self.root = root
        self._fetch = fetch
        self._sources: dict[str, ModuleSource] = {}
        self._code: dict[tuple[str, str], CodeType] = {}
        self._lock = threading.Lock()

    # registry ---------------------------------------------------------------------------------------------
    def add(self, module: ModuleSource) -> None:
        if not self._owns(module.name) or module.name == self.root:
            raise ValueError(f"module {module.name!r} is not under the {self.root!r} package")
        with self._lock:
            self._sources[module.name] = module
        # Stored code never changes on disk, so the cache entry has no mtime and is never invalidated.
        lines = module.source.splitlines(keepends=True)
        linecache.cache[module.origin] = (len(module.source), None, lines, module.origin)

    def forget(self, name: str) -> None:
        """Drop a module (its source, compiled code and cached import) so that the next import reads it
        afresh, and a module registered only for a check leaves nothing behind."""
        with self._lock:
            module = self._sources.pop(name, None)
            if module is not None:
                self._code.pop((name, module.digest), None)
                linecache.cache.pop(module.origin, None)
        sys.modules.pop(name, None)

    def registered(self) -> list[str]:
        with self._lock:
            return sorted(self._sources)

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    # finder -----------------------------------------------------------------------------------------------
    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self._owns(fullname):
            return None
        module = self._lookup(fullname)
        if module is not None:
            spec = importlib.machinery.ModuleSpec(fullname, self, origin=module.origin)
            spec.has_location = True
            return spec
        if self.is_package(fullname):
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = []
            return spec
        return None

    # loader -----------------------------------------------------------------------------------------------
    def is_package(self, fullname: str) -> bool:
        if fullname == self.root:
            return True
        prefix = fullname + "."
        with self._lock:
            return any(name.startswith(prefix) for name in self._sources)

    def get_source(self, fullname: str) -> str | None:
        module = self._lookup(fullname)
        return module.source if module else ("" if self.is_package(fullname) else None)

    def get_code(self, fullname: str) -> CodeType | None:
        module = self._lookup(fullname)
        if module is None:
            return (
                compile("", f"<package {fullname}>", "exec") if self.is_package(fullname) else None
            )
        key = (fullname, module.digest)
        with self._lock:
            code = self._code.get(key)
        if code is None:
            code = compile(module.source, module.origin, "exec", dont_inherit=True)
            with self._lock:
                self._code[key] = code
        return code

    def exec_module(self, module: ModuleType) -> None:
        source = self._lookup(module.__name__)
        if source is not None:
            module.__file__ = source.origin
        code = self.get_code(module.__name__)
        if code is None:
            raise ImportError(f"no stored code for {module.__name__}", name=module.__name__)
        exec(code, module.__dict__)  # noqa: S102 - compiled code from the project's own database

    # helpers ----------------------------------------------------------------------------------------------
    def _owns(self, fullname: str) -> bool:
        return fullname == self.root or fullname.startswith(self.root + ".")

    def _lookup(self, fullname: str) -> ModuleSource | None:
        with self._lock:
            module = self._sources.get(fullname)
        if module is None and self._fetch is not None and fullname != self.root:
            module = self._fetch(fullname)
            if module is not None:
                self.add(module)
        return module


_finder: CompiledModuleFinder | None = None
_finder_lock = threading.Lock()


def compiled_modules() -> CompiledModuleFinder:
    """The process-wide hook, installed on first use."""
    global _finder
    with _finder_lock:
        if _finder is None:
            _finder = CompiledModuleFinder()
            _finder.install()
        return _finder
