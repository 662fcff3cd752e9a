"""Private helpers shared by several modules: integer-argument checks and array utilities.

One definition each, so that every module rejects bad sizes with the same message and
moves arrays between host and device the same way.
"""

from __future__ import annotations

import operator
from typing import Any

import array_api_compat

from coursenn import backend

_NAMESPACES: dict[type, Any] = {}
_INTEGRAL: dict[tuple[type, Any], bool] = {}


# ------------------------------------------------------------------------------ checks
def _as_int(value: Any) -> int | None:
    """``value`` as a Python int if it is an integer (not a bool, not a float); else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def positive_int(value: Any, argument: str) -> int:
    """``value`` as an int ≥ 1 (Python or NumPy integer); ValueError naming ``argument`` otherwise."""
    n = _as_int(value)
    if n is None or n < 1:
        raise ValueError(f"{argument} must be a positive integer; got {value!r}")
    return n


def positive_number(value: Any, argument: str) -> float:
    """``value`` (int or float, not bool) as a float > 0; ValueError naming ``argument`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{argument} must be a positive number; got {value!r}")
    return float(value)


def nonnegative_int(value: Any, argument: str) -> int:
    """``value`` as an int ≥ 0 (Python or NumPy integer); ValueError naming ``argument`` otherwise."""
    n = _as_int(value)
    if n is None or n < 0:
        raise ValueError(f"{argument} must be a non-negative integer; got {value!r}")
    return n


# ------------------------------------------------------------------------------ arrays
def namespace(a: Any) -> Any:
    """``array_api_compat.array_namespace(a)``, memoized by array type (it is called on every op)."""
    kind = type(a)
    ns = _NAMESPACES.get(kind)
    if ns is None:
        ns = _NAMESPACES[kind] = array_api_compat.array_namespace(a)
    return ns


def is_integral(xp: Any, dtype: Any) -> bool:
    """``xp.isdtype(dtype, "integral")``, memoized by dtype (the loss asks it on every step)."""
    key = (type(dtype), dtype)  # dtypes of different libraries must never be compared
    answer = _INTEGRAL.get(key)
    if answer is None:
        answer = _INTEGRAL[key] = bool(xp.isdtype(dtype, "integral"))
    return answer


def to_float(a: Any) -> float:
    """A 0-d array of any backend (or a number) as a Python float, through :func:`backend.to_numpy`
    (an explicit host transfer on GPUs)."""
    return float(backend.to_numpy(a))


def asarray_like(ref: Any, host: Any) -> Any:
    """A copy of ``host`` (e.g. a NumPy array) with ``ref``'s namespace, dtype and device."""
    xp = namespace(ref)
    if type(ref).__module__.split(".")[0] == "cupy":
        with array_api_compat.device(ref):
            return xp.asarray(host, dtype=ref.dtype)
    return xp.asarray(host, dtype=ref.dtype, device=array_api_compat.device(ref), copy=True)
