from __future__ import annotations

import pytest

from wfb_jupyter.components import ComponentCaptureError, component
from wfb_jupyter.components._capture import capture_function


def captured_error(notebook, cell: str, name: str) -> str:  # type: ignore[no-untyped-def]
    namespace = notebook.run(cell)
    with pytest.raises(ComponentCaptureError) as caught:
        capture_function(namespace[name])
    return str(caught.value)


class TestSourceCapture:
    def test_decorator_lines_are_stripped_and_comments_kept(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            from wfb_jupyter.components import component

            @component(
                description="clean",
            )
            def clean_rows(rows: list, limit: int = 10) -> list:
                # keep the first ones
                return rows[:limit]
            """
        )
        assert namespace["clean_rows"].source == (
            "def clean_rows(rows: list, limit: int = 10) -> list:\n"
            "    # keep the first ones\n"
            "    return rows[:limit]\n"
        )
        assert namespace["clean_rows"].imports == ()

    def test_recursion_needs_no_import(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            def depth(value):
                return 1 + max(map(depth, value), default=0) if isinstance(value, list) else 0
            """
        )
        assert capture_function(namespace["depth"]).imports == ()

    def test_source_must_be_available(self) -> None:
        scope: dict[str, object] = {"__name__": "__main__"}
        exec("def nowhere(x):\n    return x\n", scope)
        with pytest.raises(ComponentCaptureError, match="source of nowhere is not available"):
            capture_function(scope["nowhere"])  # type: ignore[arg-type]

    def test_other_decorators_are_refused(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(
            notebook,
            """
            import functools

            def traced(function):
                @functools.wraps(function)
                def wrapper(*args):
                    return function(*args)
                return wrapper

            @traced
            def decorated(x):
                return x
            """,
            "decorated",
        )
        assert "@traced" in message and "inside the function" in message

    def test_wrapping_objects_are_refused(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(
            notebook,
            """
            import functools

            @functools.lru_cache
            def cached(x):
                return x
            """,
            "cached",
        )
        assert "has other decorators (@functools.lru_cache)" in message


class TestImports:
    def test_modules_and_objects_from_modules_become_import_lines(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            import json
            import os.path as osp
            import pandas as pd
            from math import sqrt
            from math import floor as round_down
            from collections import OrderedDict

            def summarise(rows: list, path: str) -> pd.DataFrame:
                names = [osp.basename(path) for _ in rows]
                roots = {r: sqrt(r) for r in rows}
                return json.dumps([round_down(x) for x in roots.values()]), OrderedDict(), names
            """
        )
        captured = capture_function(namespace["summarise"])
        assert captured.imports == (
            "from collections import OrderedDict",
            "from math import floor as round_down",
            "from math import sqrt",
            "import json",
            "import pandas as pd",
            "import posixpath as osp",
        )
        from importlib import metadata

        assert f"pandas=={metadata.version('pandas')}" in captured.requirements

    def test_imports_inside_the_function_are_requirements_too(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            def frame(rows):
                import pandas as pd
                from numpy import mean

                return float(mean(pd.DataFrame(rows)["x"]))
            """
        )
        from importlib import metadata

        captured = capture_function(namespace["frame"])
        assert captured.imports == ()  # they stay in the function's own source
        assert captured.requirements == (
            f"numpy=={metadata.version('numpy')}",
            f"pandas=={metadata.version('pandas')}",
        )

    def test_attribute_names_are_not_globals(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            threshold = 0.5

            def read(config):
                return config.threshold
            """
        )
        assert capture_function(namespace["read"]).imports == ()


class TestWhatCannotBeCaptured:
    def test_notebook_variable_is_named_with_its_type_and_the_fix(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(
            notebook,
            """
            threshold = 0.5

            def clean_rows(rows):
                return [r for r in rows if r > threshold]
            """,
            "clean_rows",
        )
        assert message == (
            "clean_rows uses the notebook variable `threshold` (a float); pass it as an argument or "
            "define it inside the function"
        )

    def test_dataframe_in_a_default(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(
            notebook,
            """
            import pandas as pd
            frame = pd.DataFrame({"a": [1]})

            def lookup(key, table=frame):
                return table
            """,
            "lookup",
        )
        assert "notebook variable `frame` (a DataFrame)" in message

    def test_notebook_helper_function_and_class(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(
            notebook,
            """
            def helper(x):
                return x

            class Row:
                pass

            def uses_both(x):
                return helper(Row())
            """,
            "uses_both",
        )
        assert "`helper`, a function defined in the notebook" in message
        assert "`Row`, a class defined in the notebook" in message

    def test_lambda(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(notebook, "double = lambda x: 2 * x\n", "double")
        assert "a lambda cannot be a component" in message

    def test_nested_function_with_closure(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            def make(limit):
                def inner(rows):
                    return rows[:limit]
                return inner
            """
        )
        with pytest.raises(ComponentCaptureError, match="inside another function and uses `limit`"):
            capture_function(namespace["make"](3))

    def test_undefined_name(self, notebook) -> None:  # type: ignore[no-untyped-def]
        message = captured_error(notebook, "def f(x):\n    return later(x)\n", "f")
        assert "`later`, which is not defined" in message

    def test_another_component(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            from wfb_jupyter.components import component

            @component
            def first(x):
                return x

            def second(x):
                return first(x)
            """
        )
        with pytest.raises(ComponentCaptureError, match="calls the component `first`"):
            capture_function(namespace["second"])

    def test_every_problem_is_reported_at_once(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            a = 1
            b = "x"

            def both():
                return a, b
            """
        )
        with pytest.raises(ComponentCaptureError) as caught:
            component(namespace["both"])
        assert [p.split("`")[1] for p in caught.value.problems] == ["a", "b"]
