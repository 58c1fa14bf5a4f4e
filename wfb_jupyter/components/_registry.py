"""The component registry: builtins plus each project's stored user components, as the compiler sees them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from wfb_jupyter.compiler import ComponentCatalogue, ComponentParameter, ComponentSpec
from wfb_jupyter.components._builtin_specs import BUILTIN_NAMES, BUILTIN_SPECS
from wfb_jupyter.components._decorator import UserComponent
from wfb_jupyter.storage import (
    Component,
    list_component_versions,
    list_components,
    store_component,
)
from wfb_jupyter.storage.repository.components import component_checksum


def builtin_catalogue() -> ComponentCatalogue:
    """The built-in components only (what every project can call)."""
    return ComponentCatalogue.of(BUILTIN_SPECS)


def register_component(
    session: Session, project_id: str, component: UserComponent
) -> ComponentSpec:
    """Store the component in the project (a new version only if it changed); returns its catalogue spec."""
    row = store_component(session, project_id, **_stored_fields(component))
    return spec_from_row(row)


def notebook_catalogue(
    session: Session, project_id: str, components: Iterable[UserComponent], *, store: bool
) -> ComponentCatalogue:
    """The project's catalogue with ``components`` at the versions storing them gives, so that a build
    compiles against exactly what is stored: a component whose content a stored version already has is that
    version (after a rollback, v1 again), a changed one the next. With ``store`` they are stored now, in the
    caller's transaction; without (a dry run), nothing is written."""
    specs = {spec.name: spec for spec in load_catalogue(session, project_id).components.values()}
    for component in components:
        if store:
            specs[component.name] = register_component(session, project_id, component)
        else:
            specs[component.name] = _as_it_would_be_stored(session, project_id, component)
    return ComponentCatalogue.of(specs.values())


def _as_it_would_be_stored(
    session: Session, project_id: str, component: UserComponent
) -> ComponentSpec:
    fields = _stored_fields(component)
    checksum = component_checksum(
        fields["function"],
        fields["source"],
        fields["imports"],
        fields["parameters"],
        fields["requirements"],
        fields["is_async"],
    )
    versions = list_component_versions(session, project_id, component.name)
    same = next((row for row in versions if row.checksum == checksum), None)
    if same is not None:
        return spec_from_row(same)
    return component.spec(version=max((row.version for row in versions), default=0) + 1)


def _stored_fields(component: UserComponent) -> dict[str, Any]:
    return {
        "name": component.name,
        "function": component.function.__name__,
        "source": component.source,
        "imports": component.imports,
        "parameters": [_parameter_document(p) for p in component.parameters],
        "requirements": component.requirements,
        "description": component.description,
        "is_async": component.is_async,
    }


def load_catalogue(session: Session, project_id: str) -> ComponentCatalogue:
    """What a workflow of the project may call: the builtins and the latest version of each user component."""
    user_specs = [
        spec_from_row(row)
        for row in list_components(session, project_id)
        if row.name not in BUILTIN_NAMES
    ]
    return ComponentCatalogue.of([*BUILTIN_SPECS, *user_specs])


def spec_from_row(row: Component) -> ComponentSpec:
    return ComponentSpec(
        name=row.name,
        kind="user",
        parameters=tuple(_parameter(document) for document in row.parameters),
        description=row.description,
        version=row.version,
        function=row.function,
        source=row.source,
        imports=tuple(row.imports),
        requirements=tuple(row.requirements),
        is_async=row.is_async,
    )


def _parameter_document(parameter: ComponentParameter) -> dict[str, Any]:
    document = asdict(parameter)
    document["enum"] = list(parameter.enum) if parameter.enum is not None else None
    return document


def _parameter(document: dict[str, Any]) -> ComponentParameter:
    enum = document.get("enum")
    return ComponentParameter(
        name=document["name"],
        type=document.get("type", "any"),
        required=bool(document.get("required", False)),
        default=document.get("default"),
        description=document.get("description", ""),
        enum=tuple(enum) if enum is not None else None,
    )
