"""Save and restore everything a forward/backward pass may change in a module tree.

Used by :mod:`coursenn.gradcheck` and :mod:`coursenn.diagnostics`, which run extra passes
(and may cast to float64) but must leave parameters, gradients, running statistics and
caches exactly as they found them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import array_api_compat

from coursenn.nn.module import Module, Parameter


def is_array(value: Any) -> bool:
    return array_api_compat.is_array_api_obj(value) and hasattr(value, "shape") and hasattr(value, "dtype")


def modules(root: Module) -> Iterator[Module]:
    """``root`` and all its descendants, depth first."""
    yield root
    for child in root.children():
        yield from modules(child)


def array_slots(root: Module) -> list[tuple[Any, str]]:
    """``(owner, attribute)`` of every array state: parameter data and grads, buffers such as
    ``running_mean``."""
    slots: list[tuple[Any, str]] = []
    for module in modules(root):
        for key, value in vars(module).items():
            if isinstance(value, Parameter):
                slots += [(value, "data"), (value, "grad")]
            elif is_array(value):
                slots.append((module, key))
    return slots


def snapshot(root: Module) -> list[tuple[Any, str, Any]]:
    """Copies of every array slot plus each module's ``_cache`` and ``training`` flag."""
    saved: list[tuple[Any, str, Any]] = []
    for owner, key in array_slots(root):
        value = getattr(owner, key)
        saved.append((owner, key, array_api_compat.array_namespace(value).asarray(value, copy=True)))
    for module in modules(root):
        saved.append((module, "_cache", getattr(module, "_cache", None)))
        saved.append((module, "training", module.training))
    return saved


def restore(saved: list[tuple[Any, str, Any]]) -> None:
    """Put back everything a :func:`snapshot` saved."""
    for owner, key, value in saved:
        setattr(owner, key, value)


def cast_floats(root: Module, dtype_name: str) -> None:
    """Cast every floating array slot of the tree to ``dtype_name`` (e.g. ``"float64"``)."""
    for owner, key in array_slots(root):
        value = getattr(owner, key)
        xp = array_api_compat.array_namespace(value)
        if xp.isdtype(value.dtype, "real floating"):
            setattr(owner, key, xp.astype(value, getattr(xp, dtype_name)))
