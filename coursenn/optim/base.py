"""The shared optimizer interface, hyperparameter checks and in-place update helpers.

Every optimizer in :mod:`coursenn.optim` follows one contract (as ``torch.optim``):

* ``Opt(params, lr, ...)`` takes a list of :class:`~coursenn.nn.Parameter` (for example
  ``model.parameters()``) and validated hyperparameters, stored as attributes
  (``opt.lr`` can be changed between steps, which is what the LR schedules do);
* ``step()`` reads each ``p.grad`` and updates ``p.data`` (it never modifies ``p.grad``);
  ``t`` counts the steps taken, so the first ``step()`` uses ``t = 1`` as in the papers;
* ``zero_grad()`` resets the gradients before the next backward pass;
* ``state`` is a list (one dict per parameter) of the buffers of the method (moment
  estimates...), kept in the parameter's dtype and on its device;
* ``state_dict()`` / ``load_state_dict()`` save and restore hyperparameters, ``t`` and the
  buffers as plain Python values and NumPy arrays (ready for ``numpy.savez``).

Updates happen in place for NumPy and CuPy arrays (``cnn.backend.mutable``) and by
rebinding otherwise, so the same code runs on every backend without extra copies.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from coursenn import backend
from coursenn._common import asarray_like, namespace, nonnegative_int
from coursenn.nn.module import Parameter

# --------------------------------------------------------------------------- checks


def check_real(value: Any, argument: str) -> float:
    """``value`` as a finite Python float; TypeError/ValueError naming ``argument``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a real number; got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{argument} must be finite; got {value!r}")
    return value


def check_positive(value: Any, argument: str) -> float:
    """A real number > 0 (learning rates, eps)."""
    value = check_real(value, argument)
    if value <= 0:
        raise ValueError(f"{argument} must be > 0; got {value!r}")
    return value


def check_nonnegative(value: Any, argument: str) -> float:
    """A real number >= 0 (weight decay, momentum, lr decay)."""
    value = check_real(value, argument)
    if value < 0:
        raise ValueError(f"{argument} must be >= 0; got {value!r}")
    return value


def check_unit_interval(value: Any, argument: str) -> float:
    """A real number in [0, 1) (averaging factors β, α, ρ)."""
    value = check_real(value, argument)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{argument} must be in [0, 1); got {value!r}")
    return value


def check_betas(value: Any, argument: str = "betas") -> tuple[float, float]:
    """A pair ``(β1, β2)``, each in [0, 1)."""
    if isinstance(value, np.ndarray):
        value = tuple(value.tolist())
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{argument} must be a pair (beta1, beta2); got {value!r}")
    return (
        check_unit_interval(value[0], f"{argument}[0]"),
        check_unit_interval(value[1], f"{argument}[1]"),
    )


def check_bool(value: Any, argument: str) -> bool:
    """``True`` or ``False`` (NumPy booleans, as read back by ``numpy.load``, too)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False; got {value!r}")
    return bool(value)


def as_parameter_list(params: Any, argument: str = "params") -> list[Parameter]:
    """A non-empty list of distinct Parameters from a list, generator or single Parameter."""
    if isinstance(params, Parameter):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{argument} must be an iterable of coursenn.nn.Parameter (e.g. model.parameters()); "
            f"got {type(params).__name__}"
        ) from None
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{argument}[{i}] must be a coursenn.nn.Parameter; got {type(p).__name__}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{argument} contains the same Parameter more than once")
    return params


# --------------------------------------------------------------------------- in-place helpers


def ewa_(avg: Any, x: Any, beta: float) -> Any:
    r"""Exponentially weighted average, in place when possible: ``avg ← β avg + (1−β) x``."""
    if backend.mutable(avg):
        avg *= beta
        avg += (1.0 - beta) * x
        return avg
    return beta * avg + (1.0 - beta) * x


def scale_add_(y: Any, scale: float, x: Any) -> Any:
    """``y ← scale·y + x``, in place when possible."""
    if backend.mutable(y):
        y *= scale
        y += x
        return y
    return scale * y + x


def add_(y: Any, a: float, x: Any) -> Any:
    """``y ← y + a·x``, in place when possible (the parameter update ``θ ← θ − α d``)."""
    if backend.mutable(y):
        y += a * x
        return y
    return y + a * x


def copy_(dst: Any, src: Any) -> Any:
    """``dst ← src`` (a copy, never an alias of ``src``)."""
    if backend.mutable(dst):
        dst[...] = src
        return dst
    return namespace(src).asarray(src, copy=True)


def root_plus_eps(v: Any, eps: float, divisor: float = 1.0) -> Any:
    r"""The denominator of adaptive methods, :math:`\sqrt{v}/d + \epsilon` (a new array)."""
    out = namespace(v).sqrt(v)
    if backend.mutable(out):
        if divisor != 1.0:
            out /= divisor
        out += eps
        return out
    return (out / divisor if divisor != 1.0 else out) + eps


def zeros_like(a: Any) -> Any:
    """Zeros with ``a``'s namespace, shape, dtype and device."""
    return namespace(a).zeros_like(a)


def _plain(value: Any) -> Any:
    """Python value of a hyperparameter that may have gone through ``numpy.savez``."""
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else tuple(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


# --------------------------------------------------------------------------- base class


class Optimizer:
    """Base class: parameters, hyperparameters, step counter ``t`` and per-parameter state.

    Subclasses define ``_validate(hyper) -> hyper`` (checked, converted values),
    ``_init_state(p) -> dict`` (zero buffers) and ``_update(p, state)`` (one step of the
    method for one parameter, with ``self.t`` already incremented).
    """

    #: Optimizer-wide scalar state saved by ``state_dict`` besides ``t`` (e.g. Nadam's ∏μ).
    _scalar_state: tuple[str, ...] = ()
    #: L2 penalty λ added to the gradient by :meth:`_grad`; methods that take it set it in ``__init__``.
    weight_decay: float = 0.0

    def __init__(self, params: Iterable[Parameter], hyper: dict[str, Any]) -> None:
        self.params = as_parameter_list(params)
        if not self.params:
            raise ValueError("params must contain at least one Parameter; got an empty list")
        hyper = self._validate(dict(hyper))
        self._hyper_names = tuple(hyper)
        for key, value in hyper.items():
            setattr(self, key, value)
        self.t = 0
        self.state: list[dict[str, Any]] = [self._init_state(p) for p in self.params]

    # -- to override ---------------------------------------------------------------
    def _validate(self, hyper: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _before_step(self) -> None:
        """Hook for optimizer-wide scalars that change once per step (after ``t += 1``)."""

    # -- public interface ------------------------------------------------------------
    def step(self) -> None:
        """Apply one update to every parameter, using its current ``.grad``."""
        self.t += 1
        self._before_step()
        for p, state in zip(self.params, self.state, strict=True):
            self._update(p, state)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def hyperparameters(self) -> dict[str, Any]:
        """The current hyperparameters (``lr`` included) as a dict."""
        return {key: getattr(self, key) for key in self._hyper_names}

    def _grad(self, p: Parameter) -> Any:
        """The gradient with L2 weight decay added when ``weight_decay`` > 0: ``g + λθ``."""
        if self.weight_decay:
            return p.grad + self.weight_decay * p.data
        return p.grad

    def state_dict(self) -> dict[str, Any]:
        """Plain-value snapshot: ``optimizer`` (class name), ``num_params``, ``t``,
        hyperparameters, optimizer-wide scalars and ``"state.<i>.<buffer>"`` NumPy arrays."""
        out: dict[str, Any] = {"optimizer": type(self).__name__, "num_params": len(self.params), "t": self.t}
        out.update(self.hyperparameters())
        for name in self._scalar_state:
            out[name] = float(getattr(self, name))
        for i, state in enumerate(self.state):
            for key, value in state.items():
                out[f"state.{i}.{key}"] = np.array(backend.to_numpy(value), copy=True)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; a mismatch raises ValueError and changes nothing."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict; got {type(state_dict).__name__}")
        name = _plain(state_dict.get("optimizer"))
        if name != type(self).__name__:
            raise ValueError(f"state_dict is for optimizer {name!r}, not {type(self).__name__!r}")
        num_params = _plain(state_dict.get("num_params"))
        if num_params != len(self.params):
            raise ValueError(
                f"state_dict has {num_params} parameters but this optimizer has {len(self.params)}"
            )
        expected = set(self.state_dict())
        missing, unexpected = expected - set(state_dict), set(state_dict) - expected
        if missing or unexpected:
            raise ValueError(
                "state_dict does not match this optimizer's hyperparameters/buffers: "
                f"missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
            )
        t = nonnegative_int(_plain(state_dict["t"]), "state_dict['t']")
        hyper = {key: _plain(state_dict[key]) for key in self._hyper_names}
        # a schedule may have annealed lr to exactly 0 (CosineAnnealingLR with eta_min=0, LambdaLR):
        # a state_dict taken then must load, so lr is checked >= 0 here and > 0 only by __init__
        lr = check_nonnegative(hyper["lr"], "state_dict['lr']")
        hyper = {**self._validate({**hyper, "lr": 1.0}), "lr": lr}
        scalars = {key: check_real(_plain(state_dict[key]), key) for key in self._scalar_state}
        buffers: list[dict[str, Any]] = []
        for i, (p, state) in enumerate(zip(self.params, self.state, strict=True)):
            new = {}
            for key in state:
                host = np.asarray(state_dict[f"state.{i}.{key}"])
                if host.shape != p.shape:
                    raise ValueError(
                        f"state_dict['state.{i}.{key}'] has shape {host.shape}; parameter {i} has "
                        f"shape {p.shape}"
                    )
                new[key] = host
            buffers.append(new)
        # everything checked: now change the optimizer
        for key, value in hyper.items():
            setattr(self, key, value)
        for key, value in scalars.items():
            setattr(self, key, value)
        self.t = t
        self.state = [
            {key: asarray_like(p.data, host) for key, host in new.items()}
            for p, new in zip(self.params, buffers, strict=True)
        ]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"
