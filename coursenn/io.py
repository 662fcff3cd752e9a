"""Save and load models (and optimizer state) as ``.npz`` files, safely.

* Format: a plain ``numpy.savez`` archive, never pickle (read with ``allow_pickle=False``).
  Entries: ``param:<name>`` for each of ``model.named_parameters()``, ``buffer:<name>`` for
  non-trainable state (BatchNorm's ``running_mean``/``running_var``), ``optim:<key>`` for
  ``optimizer.state_dict()`` and ``meta:format``.
* :func:`save` writes atomically: a temporary file in the destination folder, then
  ``os.replace``; an interrupted save never leaves a half-written checkpoint.
* :func:`load` reads and checks everything (names, shapes, dtypes) before changing anything;
  a mismatch or a truncated/corrupt file raises ValueError and leaves the model untouched.

    >>> cnn.io.save(model, "mlp.npz", optimizer)
    >>> cnn.io.load(model, "mlp.npz", optimizer)
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from coursenn import backend
from coursenn._common import asarray_like
from coursenn.nn.module import Module, Parameter

FORMAT = "coursenn-checkpoint-1"
BUFFER_NAMES = ("running_mean", "running_var")
MAX_LISTED = 5


# ------------------------------------------------------------------------------ model state
def named_modules(model: Module, prefix: str = "") -> list[tuple[str, Module]]:
    """``(dotted_prefix, module)`` for ``model`` and all its descendants (prefix ``""`` for the root)."""
    out = [(prefix, model)]
    for key, child in model.named_children():
        out.extend(named_modules(child, prefix + key + "."))
    return out


def named_buffers(model: Module) -> list[tuple[str, Module, str]]:
    """Non-trainable arrays that belong to the model state: ``(dotted_name, owner, attribute)``.

    Uses ``model.named_buffers()`` when the model defines it; otherwise finds the attributes
    named in :data:`BUFFER_NAMES` (BatchNorm's running statistics) in every submodule.
    """
    custom = getattr(model, "named_buffers", None)
    if callable(custom):
        out = []
        for name, _ in custom():
            owner_path, _, attr = name.rpartition(".")
            owner = dict(named_modules(model))[owner_path + "." if owner_path else ""]
            out.append((name, owner, attr))
        return out
    out = []
    for prefix, module in named_modules(model):
        for attr in BUFFER_NAMES:
            value = vars(module).get(attr)
            if value is not None and not isinstance(value, Parameter) and hasattr(value, "shape"):
                out.append((prefix + attr, module, attr))
    return out


def model_state(model: Module, copy: bool = True) -> dict[str, Any]:
    """The model's arrays by checkpoint key (``param:<name>``, ``buffer:<name>``), on its backend.

    With ``copy=True`` (default) the arrays are copies, safe from later training steps.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a coursenn.nn.Module; got {type(model).__name__}")
    out: dict[str, Any] = {}
    for name, p in model.named_parameters():
        out["param:" + name] = _copy(p.data) if copy else p.data
    for name, owner, attr in named_buffers(model):
        value = getattr(owner, attr)
        out["buffer:" + name] = _copy(value) if copy else value
    return out


def _copy(a: Any) -> Any:
    return backend.namespace_of(a).asarray(a, copy=True)


def _targets(model: Module) -> dict[str, tuple[str, Any, str, Any]]:
    """checkpoint key -> (kind, owner, attribute, current array)."""
    out: dict[str, tuple[str, Any, str, Any]] = {}
    for name, p in model.named_parameters():
        out["param:" + name] = ("param", p, "data", p.data)
    for name, owner, attr in named_buffers(model):
        out["buffer:" + name] = ("buffer", owner, attr, getattr(owner, attr))
    return out


def _dtype_name(a: Any) -> str:
    return str(backend.to_numpy(a).dtype) if isinstance(a, np.ndarray) else str(a.dtype).split(".")[-1]


def check_state(model: Module, arrays: dict[str, np.ndarray]) -> list[tuple[Any, str, Any]]:
    """Compare host ``arrays`` (checkpoint keys) with the model; return the assignments to do.

    Raises ValueError listing the first differences (missing or unexpected names, shape or
    dtype mismatches). Nothing is modified.
    """
    targets = _targets(model)
    problems: list[str] = []
    missing = [k for k in targets if k not in arrays]
    unexpected = [k for k in arrays if k.split(":", 1)[0] in ("param", "buffer") and k not in targets]
    problems += [f"missing {k!r}" for k in missing]
    problems += [f"unexpected {k!r}" for k in unexpected]
    plan = []
    for key, (_, owner, attr, current) in targets.items():
        if key not in arrays:
            continue
        stored = arrays[key]
        if tuple(stored.shape) != tuple(current.shape):
            problems.append(
                f"{key!r}: checkpoint shape {tuple(stored.shape)}, model shape {tuple(current.shape)}"
            )
        elif str(stored.dtype) != _dtype_name(current):
            problems.append(f"{key!r}: checkpoint dtype {stored.dtype}, model dtype {_dtype_name(current)}")
        else:
            plan.append((owner, attr, current, stored))
    if problems:
        shown = "; ".join(problems[:MAX_LISTED])
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise ValueError(f"checkpoint does not match the model: {shown}{more}")
    return plan


def _assign(plan: list[tuple[Any, str, Any, np.ndarray]]) -> None:
    for owner, attr, current, stored in plan:
        new = asarray_like(current, stored)
        if backend.mutable(current):
            current[...] = new
        else:
            setattr(owner, attr, new)


# ------------------------------------------------------------------------------ save / load
def _check_path(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    return os.fspath(path)


def _optimizer_entries(optimizer: Any) -> dict[str, np.ndarray]:
    if not hasattr(optimizer, "state_dict") or not hasattr(optimizer, "load_state_dict"):
        raise TypeError(f"optimizer must have state_dict()/load_state_dict(); got {type(optimizer).__name__}")
    out = {}
    for key, value in optimizer.state_dict().items():
        host = np.asarray(backend.to_numpy(value) if hasattr(value, "__array_namespace__") else value)
        if host.dtype == object:
            raise ValueError(
                f"optimizer state {key!r} = {value!r} cannot be stored without pickle "
                "(only numbers, strings, booleans and arrays can)"
            )
        out["optim:" + key] = host
    return out


def save(model: Module, path: str | os.PathLike, optimizer: Any = None) -> None:
    """Write the model's parameters and buffers (and ``optimizer``'s state) to ``path`` (.npz).

    The file is written to a temporary name in the same folder and renamed over ``path``
    (``os.replace``), so ``path`` always holds either the old or the complete new checkpoint.
    The name is used as given (no ``.npz`` is appended).
    """
    path = _check_path(path)
    arrays = {
        key: np.array(backend.to_numpy(a), copy=True) for key, a in model_state(model, copy=False).items()
    }
    if optimizer is not None:
        arrays.update(_optimizer_entries(optimizer))
    arrays["meta:format"] = np.asarray(FORMAT)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All entries of a checkpoint as host NumPy arrays; ValueError if it is not a valid one."""
    path = _check_path(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise ValueError(
            f"{path} is not a readable coursenn checkpoint (truncated or corrupt file?): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    fmt = arrays.get("meta:format")
    if fmt is None or fmt.shape != () or str(fmt) != FORMAT:
        raise ValueError(f"{path} is not a coursenn checkpoint (missing or unknown 'meta:format' entry)")
    return arrays


def load(model: Module, path: str | os.PathLike, optimizer: Any = None) -> None:
    """Restore a checkpoint written by :func:`save` into ``model`` (and ``optimizer``).

    Every name, shape and dtype is checked first; on any mismatch (or a truncated/corrupt
    file) a ValueError lists the first differences and neither model nor optimizer changes.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a coursenn.nn.Module; got {type(model).__name__}")
    arrays = read(path)
    plan = check_state(model, arrays)
    if optimizer is not None:
        state = {k.split(":", 1)[1]: v for k, v in arrays.items() if k.startswith("optim:")}
        if not state:
            raise ValueError(f"{os.fspath(path)} holds no optimizer state; load it without optimizer=")
        optimizer.load_state_dict(state)  # validates everything before changing the optimizer
    _assign(plan)


def load_state(model: Module, state: dict[str, Any]) -> None:
    """Copy arrays returned by :func:`model_state` back into ``model`` (checked first, as :func:`load`)."""
    plan = check_state(model, {k: backend.to_numpy(v) for k, v in state.items()})
    _assign(plan)


__all__ = [
    "FORMAT",
    "check_state",
    "load",
    "load_state",
    "model_state",
    "named_buffers",
    "named_modules",
    "read",
    "save",
]
