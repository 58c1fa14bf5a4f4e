"""Which steps two definitions of a workflow do differently: a step is the same when everything that decides
what it computes (its component or child workflow, arguments, retries, timeouts, condition, error handling) is
equal, wherever it sits in the definition, and no step whose result it reads has changed."""

from __future__ import annotations

import dataclasses
from typing import Any

from wfb_jupyter.compiler._compile import Definition, parse_definition
from wfb_jupyter.compiler._expressions import Ref
from wfb_jupyter.compiler.model import Step, walk

# Where a step is and how it is labelled do not change what it computes.
_PLACEMENT_FIELDS = frozenset({"path", "summary", "explicit_id"})


def step_signature(step: Step) -> tuple[Any, ...]:
    return (
        step.kind,
        tuple(
            (field.name, getattr(step, field.name))
            for field in dataclasses.fields(step)
            if field.name not in _PLACEMENT_FIELDS and not _is_step_list(getattr(step, field.name))
        ),
    )


def _is_step_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Step) for item in value)


def changed_steps(old: Definition, new: Definition) -> set[str]:
    """Ids of the steps of ``new`` that ``old`` has not, or has with another signature, and of the steps
    reading their results (``steps.<id>``), transitively. Nested step lists are compared step by step, so a
    changed loop body marks the changed inner step, not the loop."""
    before = {step.id: step_signature(step) for step in walk(parse_definition(old).steps)}
    signatures = {step.id: step_signature(step) for step in walk(parse_definition(new).steps)}
    changed = {
        step_id for step_id, signature in signatures.items() if before.get(step_id) != signature
    }
    reads = {step_id: _steps_read(signature) for step_id, signature in signatures.items()}
    grew = True
    while grew:
        grown = {step_id for step_id, read in reads.items() if read & changed} - changed
        changed |= grown
        grew = bool(grown)
    return changed


def _steps_read(value: Any) -> set[str]:
    if isinstance(value, Ref):
        first = value.parts[0] if value.parts else None
        found = {first} if value.root == "steps" and isinstance(first, str) else set()
        return found | _steps_read(value.parts)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _steps_read(tuple(getattr(value, field.name) for field in dataclasses.fields(value)))
    if isinstance(value, dict):
        return _steps_read(tuple(value.values()))
    if isinstance(value, (list, tuple)):
        return set().union(*(_steps_read(item) for item in value)) if value else set()
    return set()
