"""nbval runs the tutorials in this folder; the notebooks in ``pipeline/`` are not tutorials but the steps
tutorial 06 runs (with parameters a workflow gives), so they are not collected."""

collect_ignore = ["pipeline"]
