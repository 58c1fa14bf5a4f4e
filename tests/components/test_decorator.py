from __future__ import annotations

import pytest

from wfb_jupyter.components import (
    ComponentCaptureError,
    UserComponent,
    component,
    defined_components,
)


class TestComponentDecorator:
    def test_bare_decorator(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            '''
            from wfb_jupyter.components import component

            @component
            async def fetch(url: str, retries: int = 2) -> dict:
                """Fetch a thing.

                Longer text that is not part of the summary.
                """
                return {"url": url}
            '''
        )
        fetch = namespace["fetch"]
        assert isinstance(fetch, UserComponent)
        assert (fetch.name, fetch.description, fetch.is_async) == ("fetch", "Fetch a thing.", True)
        assert [(p.name, p.type, p.required) for p in fetch.parameters] == [
            ("url", "string", True),
            ("retries", "integer", False),
        ]
        assert fetch.__name__ == "fetch" and fetch.__doc__.startswith("Fetch")

    def test_options_and_calling_it_in_the_notebook(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run(
            """
            from wfb_jupyter.components import component

            @component(name="double_it", description="times two", requirements=["numpy"])
            def double(x: int) -> int:
                return 2 * x
            """
        )
        double = namespace["double"]
        assert double(x=4) == 8
        spec = double.spec(version=3)
        assert (spec.name, spec.kind, spec.function, spec.version) == (
            "double_it",
            "user",
            "double",
            3,
        )
        assert spec.activity_type == "double_it.v3" and spec.requirements == ("numpy",)
        assert spec.source.startswith("def double(x: int) -> int:")

    def test_rerunning_a_cell_replaces_the_definition(self, notebook) -> None:  # type: ignore[no-untyped-def]
        cell = """
            from wfb_jupyter.components import component

            @component
            def step(x):
                return x {op} 1
            """
        notebook.run(cell.format(op="+"))
        notebook.run(cell.format(op="-"))
        (only,) = defined_components()
        assert "x - 1" in only.source

    def test_builtin_names_are_reserved(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run("def log(message):\n    return message\n")
        with pytest.raises(ComponentCaptureError, match="`log` is a built-in component"):
            component(namespace["log"])

    def test_names_must_be_identifiers(self, notebook) -> None:  # type: ignore[no-untyped-def]
        namespace = notebook.run("def f(x):\n    return x\n")
        with pytest.raises(ComponentCaptureError, match="must be a Python identifier"):
            component(name="my step")(namespace["f"])

    def test_capture_errors_surface_at_decoration(self, notebook) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ComponentCaptureError, match="notebook variable `limit` \\(an int\\)"):
            notebook.run(
                """
                from wfb_jupyter.components import component
                limit = 3

                @component
                def head(rows):
                    return rows[:limit]
                """
            )
        assert defined_components() == []
