from __future__ import annotations

from typing import Any, Literal, Optional

import pytest

from wfb_jupyter.compiler import ComponentParameter
from wfb_jupyter.components._parameters import ParameterError, parameter_type, signature_parameters


class TestParameterType:
    @pytest.mark.parametrize(
        ("hint", "expected"),
        [
            (str, "string"),
            (int, "integer"),
            (float, "number"),
            (bool, "boolean"),
            (dict[str, Any], "object"),
            (list[int], "array"),
            (tuple[int, ...], "array"),
            (Optional[int], "integer"),  # noqa: UP045 - the old spelling must work too
            (int | None, "integer"),
            (int | float, "number"),
            (int | str, "any"),
            (Any, "any"),
            (Literal["a", "b"], "string"),
            (bytes, "any"),
        ],
    )
    def test_hints(self, hint: Any, expected: str) -> None:
        assert parameter_type(hint) == expected


def typed(
    url: str, retries: int = 3, *, mode: Literal["fast", "safe"] = "safe", extra: dict | None = None
) -> None: ...


class TestSignatureParameters:
    def test_types_defaults_and_enums(self) -> None:
        assert signature_parameters(typed, "typed") == (
            ComponentParameter("url", "string", required=True),
            ComponentParameter("retries", "integer", default=3),
            ComponentParameter("mode", "string", default="safe", enum=("fast", "safe")),
            ComponentParameter("extra", "object"),
        )

    def test_unannotated_and_var_keywords(self) -> None:
        def loose(a, b=None, **rest):  # type: ignore[no-untyped-def]
            return a

        assert signature_parameters(loose, "loose") == (
            ComponentParameter("a", "any", required=True),
            ComponentParameter("b", "any"),
        )

    def test_positional_only_is_refused(self) -> None:
        def positional(a, /, b):  # type: ignore[no-untyped-def]
            return a

        with pytest.raises(ParameterError, match="`a` is positional-only"):
            signature_parameters(positional, "positional")

    def test_non_json_default_is_refused(self) -> None:
        def with_set(tags=frozenset()):  # type: ignore[no-untyped-def]  # noqa: B008
            return tags

        with pytest.raises(ParameterError, match="default of `tags`.*not JSON"):
            signature_parameters(with_set, "with_set")
