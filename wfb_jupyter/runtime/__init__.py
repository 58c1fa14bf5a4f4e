"""The in-process runtime: the background loop and the import hook for stored code."""

from wfb_jupyter.runtime._import_hook import (
    ROOT_PACKAGE,
    CompiledModuleFinder,
    ModuleSource,
    compiled_modules,
)
from wfb_jupyter.runtime._loadable import check_in_sandbox, import_source, load_workflow_class
from wfb_jupyter.runtime._loop import BackgroundLoop, RuntimeStoppedError, runtime
from wfb_jupyter.runtime._threads import off_loop

__all__ = [
    # background loop
    "BackgroundLoop",
    "RuntimeStoppedError",
    "runtime",
    "off_loop",
    # stored code as modules
    "ROOT_PACKAGE",
    "CompiledModuleFinder",
    "ModuleSource",
    "compiled_modules",
    "check_in_sandbox",
    "import_source",
    "load_workflow_class",
]
