"""wfb-jupyter: a Jupyter-native workflow builder on Temporal.

Load it in a notebook with ``%load_ext wfb_jupyter``. Importing this package stays cheap: heavy modules load when
first used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
