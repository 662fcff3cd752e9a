"""Array backend: one global switch between NumPy, CuPy and array_api_strict.

Every array in :mod:`coursenn` is created through this module, so the same code runs
on the CPU (NumPy), on the GPU (CuPy) and on ``array_api_strict`` (a strict Array API
library whose second device, ``device1``, refuses implicit conversion to NumPy exactly
as CuPy does; the test suite uses it as the CPU stand-in for CuPy).

    >>> import coursenn as cnn
    >>> cnn.backend.use("numpy")            # or "cupy", "array_api_strict"
    >>> xp = cnn.backend.xp()               # the Array API namespace of the backend
    >>> with cnn.backend.using("array_api_strict", device="device1"):
    ...     a = cnn.backend.asarray([1.0, 2.0])

The backend can also be chosen before import with the environment variable
``COURSENN_BACKEND``. Randomness comes only from :func:`rng` (the Array API has no
random module).
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import array_api_compat
import numpy as np

BACKENDS = ("numpy", "cupy", "array_api_strict")
DTYPES = ("float32", "float64")
GPU_INSTALL_HINT = 'install it with: pip install "coursenn[gpu]"'


@dataclass(frozen=True)
class _State:
    name: str
    xp: Any
    device: Any
    dtype_name: str
    seed: int | None


def _check_choice(value: Any, valid: tuple[str, ...], argument: str) -> str:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"{argument} must be one of {', '.join(repr(v) for v in valid)}; got {value!r}"
        )
    return value


def _load(name: str, device: Any = None) -> tuple[Any, Any]:
    """Import backend ``name`` and return ``(namespace, device)``; raise if unusable."""
    _check_choice(name, BACKENDS, "backend")
    if name == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"device for the numpy backend must be 'cpu' or None; got {device!r}")
        return array_api_compat.array_namespace(np.empty(0)), "cpu"
    if name == "cupy":
        try:
            cupy = importlib.import_module("cupy")
        except ImportError as exc:
            raise RuntimeError(
                f"backend 'cupy' is not available: CuPy is not installed ({exc}); {GPU_INSTALL_HINT}"
            ) from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken
            raise RuntimeError(
                f"backend 'cupy' is not available: CuPy is installed but no CUDA GPU is usable ({exc})"
            ) from exc
        if count < 1:
            raise RuntimeError("backend 'cupy' is not available: CuPy is installed but found no GPU")
        xp = array_api_compat.array_namespace(cupy.empty(0))
        return xp, (cupy.cuda.Device(device) if device is not None else None)
    try:
        strict = importlib.import_module("array_api_strict")
    except ImportError as exc:
        raise RuntimeError(
            "backend 'array_api_strict' is not available: pip install array-api-strict"
        ) from exc
    if device is None:
        device = "CPU_DEVICE"
    valid = ("CPU_DEVICE", "device1", "device2")
    if isinstance(device, strict.Device):
        return strict, device
    _check_choice(device, valid, "device for array_api_strict")
    return strict, strict.Device(device)


def _initial_state() -> _State:
    name = os.environ.get("COURSENN_BACKEND", "numpy")
    try:
        _check_choice(name, BACKENDS, "COURSENN_BACKEND")
    except ValueError as exc:
        raise ValueError(f"environment variable {exc}") from None
    xp, device = _load(name)
    return _State(name, xp, device, "float32", None)


_state = _initial_state()
_rng: Rng | None = None


# --------------------------------------------------------------------------- switching
def use(name: str, *, device: Any = None) -> None:
    """Switch the global backend to ``name`` (one of :data:`BACKENDS`).

    ``device`` selects the device where the backend has several (``"device1"`` for
    array_api_strict, a GPU index for CuPy). On error the current backend is unchanged.
    """
    global _state, _rng
    xp, dev = _load(name, device)
    _state = replace(_state, name=name, xp=xp, device=dev)
    _rng = None


@contextlib.contextmanager
def using(name: str | None = None, *, device: Any = None, dtype: str | None = None) -> Iterator[Any]:
    """Temporarily switch backend (and/or default dtype); yields the namespace.

    The previous backend, device, default dtype and random generator are restored on exit.
    """
    global _state, _rng
    saved_state, saved_rng = _state, _rng
    try:
        if name is not None:
            use(name, device=device)
        if dtype is not None:
            set_default_dtype(dtype)
        yield _state.xp
    finally:
        _state, _rng = saved_state, saved_rng


def name() -> str:
    """Name of the current backend: ``"numpy"``, ``"cupy"`` or ``"array_api_strict"``."""
    return _state.name


def xp() -> Any:
    """The Array API namespace of the current backend."""
    return _state.xp


def device() -> Any:
    """The device new arrays are created on."""
    return _state.device


def set_default_dtype(dtype: str) -> None:
    """Set the default floating dtype: ``"float32"`` (the default) or ``"float64"``."""
    global _state
    _check_choice(dtype, DTYPES, "dtype")
    _state = replace(_state, dtype_name=dtype)


def default_dtype() -> Any:
    """The default floating dtype as an object of the current namespace."""
    return getattr(_state.xp, _state.dtype_name)


def dtype_name() -> str:
    """Name of the default floating dtype: ``"float32"`` or ``"float64"``."""
    return _state.dtype_name


def namespace_of(*arrays: Any) -> Any:
    """The Array API namespace of ``arrays`` (``array_api_compat.array_namespace``)."""
    return array_api_compat.array_namespace(*arrays)


# --------------------------------------------------------------------------- conversion
def _resolve_dtype(dtype: Any) -> Any:
    if dtype is None:
        return None
    if isinstance(dtype, str):
        valid = ("float32", "float64", "int32", "int64", "bool")
        _check_choice(dtype, valid, "dtype")
        return getattr(_state.xp, dtype)
    return dtype


def _is_current(a: Any) -> bool:
    try:
        same_namespace = array_api_compat.array_namespace(a) is _state.xp
        return same_namespace and array_api_compat.device(a) == _state.device
    except TypeError:
        return False


def asarray(x: Any, dtype: Any = None) -> Any:
    """Convert ``x`` (list, NumPy or backend array) into an array of the current backend.

    Python floats and float arrays without an explicit ``dtype`` get the default float
    dtype; integer and boolean data keep their kind. Arrays of another backend are moved
    through NumPy (a host copy), so prefer creating data on the right backend.
    """
    xp_, dev = _state.xp, _state.device
    dt = _resolve_dtype(dtype)
    if not _is_current(x) and not isinstance(x, np.ndarray) and hasattr(x, "__array_namespace__"):
        x = to_numpy(x)
    if dt is None:
        kind = np.asarray(x).dtype.kind if not _is_current(x) else None
        if kind == "f" or (kind is None and xp_.isdtype(x.dtype, "real floating")):
            dt = default_dtype()
        elif kind in ("i", "u"):
            dt = xp_.int64
        elif kind == "b":
            dt = xp_.bool
    if _state.name == "cupy":
        with (dev if dev is not None else contextlib.nullcontext()):
            return xp_.asarray(x, dtype=dt)
    return xp_.asarray(x, dtype=dt, device=dev)


def to_numpy(a: Any) -> np.ndarray:
    """Copy an array of any backend to a NumPy array on the host."""
    if isinstance(a, np.ndarray):
        return a
    if isinstance(a, (int, float, bool, list, tuple, np.generic)):
        return np.asarray(a)
    mod = type(a).__module__.split(".")[0]
    if mod == "cupy":
        return a.get()
    if mod == "array_api_strict":
        strict = importlib.import_module("array_api_strict")
        a = strict.asarray(a, device=strict.Device("CPU_DEVICE"), copy=True)
    return np.asarray(a)


def mutable(a: Any) -> bool:
    """True for NumPy and CuPy arrays, which support in-place updates (``a -= b``).

    The Array API leaves in-place semantics to each library (array_api_strict forbids
    some); code that updates in place for speed falls back to rebinding otherwise.
    """
    kind = type(a)
    answer = _MUTABLE.get(kind)
    if answer is None:  # memoized by type: this runs several times per layer and step
        answer = _MUTABLE[kind] = kind.__module__.split(".")[0] in ("numpy", "cupy")
    return answer


_MUTABLE: dict[type, bool] = {}


# --------------------------------------------------------------------------- creation
def zeros(shape: Any, dtype: Any = None) -> Any:
    """``xp.zeros`` on the current device, default float dtype."""
    return _create("zeros", shape, dtype)


def ones(shape: Any, dtype: Any = None) -> Any:
    """``xp.ones`` on the current device, default float dtype."""
    return _create("ones", shape, dtype)


def full(shape: Any, value: float, dtype: Any = None) -> Any:
    """``xp.full`` on the current device, default float dtype."""
    return _create("full", shape, dtype, value)


def arange(*args: Any, dtype: Any = None) -> Any:
    """``xp.arange`` on the current device."""
    kw = {} if _state.name == "cupy" else {"device": _state.device}
    return _state.xp.arange(*args, dtype=_resolve_dtype(dtype), **kw)


def _create(fn: str, shape: Any, dtype: Any, *args: Any) -> Any:
    dt = _resolve_dtype(dtype) or default_dtype()
    kw = {} if _state.name == "cupy" else {"device": _state.device}
    return getattr(_state.xp, fn)(shape, *args, dtype=dt, **kw)


# --------------------------------------------------------------------------- randomness
class Rng:
    """Random numbers on the current backend, seeded by :func:`seed`.

    NumPy and array_api_strict draw from ``numpy.random.Generator`` (PCG64) and
    array_api_strict arrays are built from the draws; CuPy draws on the GPU with
    ``cupy.random.default_rng``. Floating results use the default dtype.
    """

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.backend = _state.name
        if self.backend == "cupy":
            import cupy

            self._gen = cupy.random.default_rng(seed)
        else:
            self._gen = np.random.default_rng(seed)

    def _out(self, a: Any, dtype: Any = None) -> Any:
        if self.backend == "cupy":
            return a if dtype is None else _state.xp.astype(a, _resolve_dtype(dtype))
        return asarray(a, dtype=dtype)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
        """Samples of N(loc, scale²)."""
        _check_scale(scale, "scale")
        z = self._gen.standard_normal(size)
        return self._out(z * scale + loc if (scale != 1.0 or loc != 0.0) else z, dtype)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = None) -> Any:
        """Samples of U[low, high)."""
        if not high >= low:
            raise ValueError(f"high must be >= low; got low={low!r}, high={high!r}")
        return self._out(self._gen.uniform(low, high, size), dtype)

    def random(self, size: Any = None, dtype: Any = None) -> Any:
        """Samples of U[0, 1)."""
        return self._out(self._gen.random(size), dtype)

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        """Integers in [low, high) (int64)."""
        return self._out(self._gen.integers(low, high, size), "int64")

    def permutation(self, n: int) -> Any:
        """A random permutation of ``range(n)`` (int64)."""
        return self._out(self._gen.permutation(n), "int64")

    def bernoulli(self, p: float, size: Any = None) -> Any:
        """Boolean mask with P(True) = p."""
        return self._out(self._gen.random(size) < p, "bool")

    def __repr__(self) -> str:
        return f"Rng(backend={self.backend!r}, seed={self.seed!r})"


def _check_scale(scale: float, argument: str) -> None:
    if not scale >= 0:
        raise ValueError(f"{argument} must be >= 0; got {scale!r}")


def seed(n: int) -> None:
    """Seed the backend generator (and reset it)."""
    global _rng, _state
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"seed must be a non-negative integer; got {n!r}")
    _state = replace(_state, seed=int(n))
    _rng = Rng(int(n))


def rng() -> Rng:
    """The backend's random generator (created from the last :func:`seed`)."""
    global _rng
    if _rng is None or _rng.backend != _state.name:
        _rng = Rng(_state.seed)
    return _rng


# --------------------------------------------------------------------------- report
def info() -> dict[str, Any]:
    """Versions and devices, as printed by ``python -m coursenn``."""
    out: dict[str, Any] = {"backend": name(), "device": str(device()), "default_dtype": dtype_name()}
    for mod in ("numpy", "array_api_compat", "array_api_strict", "cupy", "matplotlib"):
        try:
            out[mod] = importlib.import_module(mod).__version__
        except Exception:
            out[mod] = "not installed"
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
        out["gpus"] = [cupy.cuda.runtime.getDeviceProperties(i)["name"].decode() for i in range(n)]
    except Exception as exc:  # no CuPy, or no CUDA driver/GPU
        out["gpus"] = f"none ({type(exc).__name__}: {exc})"
    return out
