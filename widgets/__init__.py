"""ipywidgets views over wfb_jupyter's public API (run form, workers, versions, statistics, graph)."""

__all__: list[str] = []
