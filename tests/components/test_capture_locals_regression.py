"""A local variable named like an attribute the function reads is not a notebook global."""

from __future__ import annotations

from temporalio import activity

from wfb_jupyter.components import component


def reads_attempt() -> int:
    attempt = activity.info().attempt
    return attempt


def test_local_named_like_an_attribute_is_not_a_global() -> None:
    captured = component(reads_attempt)
    assert tuple(captured.imports) == ("import temporalio.activity as activity",)
