"""What a test run runs: the compiled definition (not stored) with the activities it calls, imported through
the import hook into a package of their own, and the stored workflows its unpinned child steps start."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wfb_jupyter.compiler import CompiledWorkflow, ComponentSpec, render_activities_module
from wfb_jupyter.runtime import ModuleSource, compiled_modules, import_source, load_workflow_class

_runs = itertools.count(1)


@dataclass(frozen=True)
class TestSubject:
    __test__ = False  # not a pytest test class

    compiled: CompiledWorkflow
    workflow_class: type
    activities: tuple[Callable[..., Any], ...]
    children: tuple[type, ...] = ()  # stored versions that child steps start

    @property
    def manifest(self) -> dict[str, Any]:
        return self.compiled.manifest


@contextmanager
def loaded_subject(
    compiled: CompiledWorkflow,
    components: Sequence[ComponentSpec],
    children: Sequence[type] = (),
    extra_activities: Sequence[Callable[..., Any]] = (),
) -> Iterator[TestSubject]:
    """Import the compiled workflow and ``components``' activities for one test; forgotten afterwards.

    ``extra_activities`` (what stored child versions call) are added unless an activity of the same name
    is already there: the same component version is the same code.
    """
    finder = compiled_modules()
    package = f"{finder.root}._test_run_{next(_runs)}"
    try:
        digest = hashlib.sha256(compiled.workflow_code.encode()).hexdigest()[:12]
        workflow_class = load_workflow_class(
            finder,
            ModuleSource(
                f"{package}.workflow_{digest}",
                compiled.workflow_code,
                f"wfb://test/{compiled.name}/workflow.py",
            ),
            compiled.workflow_class,
        )
        source = render_activities_module(list(components), f"test run of {compiled.name}")
        module = import_source(
            finder,
            ModuleSource(
                f"{package}.activities", source, f"wfb://test/{compiled.name}/activities.py"
            ),
        )
        activities = list(module.ACTIVITIES)
        names = {_activity_name(function) for function in activities}
        for function in extra_activities:
            if _activity_name(function) not in names:
                names.add(_activity_name(function))
                activities.append(function)
        yield TestSubject(compiled, workflow_class, tuple(activities), tuple(children))
    finally:
        for name in finder.registered():
            if name.startswith(package + "."):
                finder.forget(name)


def _activity_name(function: Callable[..., Any]) -> str:
    from temporalio import activity

    # The SDK's own way from a function to its activity definition (private, but what Worker uses).
    return activity._Definition.must_from_callable(function).name or ""
