"""Components: the activities workflows call.

Built-in components (``http_request``, ``sql_query``, ``python_transform``, ``log``, ``echo``, ``noop``,
``sleep``, ``notebook``, ``pick``) live in ``wfb_jupyter.components.builtins``; user components are notebook functions
decorated with ``@component``, captured with the imports they need and stored, versioned, per project.
``load_catalogue`` gives the compiler both.
"""

from wfb_jupyter.components._builtin_specs import BUILTIN_NAMES, BUILTIN_SPECS
from wfb_jupyter.components._decorator import (
    UserComponent,
    component,
    defined_components,
    forget_components,
)
from wfb_jupyter.components._errors import ComponentCaptureError
from wfb_jupyter.components._notebook_places import NotebookPlaces, NotebookPlacesInterceptor
from wfb_jupyter.components._registry import (
    builtin_catalogue,
    load_catalogue,
    notebook_catalogue,
    register_component,
    spec_from_row,
)

__all__ = [
    # user components
    "ComponentCaptureError",
    "UserComponent",
    "component",
    "defined_components",
    "forget_components",
    # where the notebook component finds notebooks and keeps executed ones
    "NotebookPlaces",
    "NotebookPlacesInterceptor",
    # catalogue
    "BUILTIN_NAMES",
    "BUILTIN_SPECS",
    "builtin_catalogue",
    "load_catalogue",
    "notebook_catalogue",
    "register_component",
    "spec_from_row",
]
