"""Blocking work (database writes) off the event loop, which keeps working while the interpreter exits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``asyncio.to_thread``, except at interpreter exit, when executors refuse new work: then run inline.

    Shutdown hooks (a kernel exiting) still have to mark workers stopped and flush what they recorded.
    """
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except RuntimeError as error:
        if "after shutdown" not in str(error) and "interpreter shutdown" not in str(error):
            raise
        return function(*args, **kwargs)
