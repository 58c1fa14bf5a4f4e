"""Builds: compile a definition against a project's components and store it as the next version.

Above storage (which keeps versions and knows no compiler) and components (which make the catalogue).
"""

from wfb_jupyter.builds._catalogue import notebook_catalogue
from wfb_jupyter.builds._store import StoredBuild, compile_and_store, compile_next

__all__ = [
    "StoredBuild",
    "compile_and_store",
    "compile_next",
    "notebook_catalogue",
]
