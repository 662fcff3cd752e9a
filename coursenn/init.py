r"""Weight initialization: generic draws and the variance-scaling schemes of the book.

A scheme draws :math:`\Omega` of shape ``(fan_out, fan_in)`` = :math:`(D_{h'}, D_h)` with
zero mean and variance

.. math:: \sigma^2_\Omega = \text{gain}^2 \cdot \frac{s}{\text{fan}},\qquad
          \text{fan} = D_h \ (\texttt{fan\_in}),\ D_{h'}\ (\texttt{fan\_out})
          \ \text{or}\ \tfrac{D_h + D_{h'}}{2}\ (\texttt{fan\_avg})

where :math:`s = 1` for Xavier/Glorot (default ``fan_avg``, :math:`\sigma^2_\Omega = 2/(D_h+D_{h'})`)
and LeCun (default ``fan_in``, :math:`1/D_h`), and :math:`s = 2` for He/Kaiming (default
``fan_in``, :math:`2/D_h`; ``fan_avg`` gives :math:`4/(D_h+D_{h'})`). Uniform variants draw
from :math:`U[-a, a]` with :math:`a = \sqrt{3}\,\sigma_\Omega`, which has the same variance.
All draws use :func:`coursenn.backend.rng` and the current backend and default dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from coursenn import backend
from coursenn._common import positive_int

MODES = ("fan_in", "fan_out", "fan_avg")

# scheme -> (scale s, default mode, distribution)
_SCHEMES: dict[str, tuple[float, str, str]] = {
    "xavier_normal": (1.0, "fan_avg", "normal"),
    "xavier_uniform": (1.0, "fan_avg", "uniform"),
    "he_normal": (2.0, "fan_in", "normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "normal"),
}

_GAINS: dict[str, float] = {
    "linear": 1.0,
    "identity": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


# ------------------------------------------------------------------------ generic draws
def zeros(shape: Any, dtype: Any = None) -> Any:
    """An array of zeros (the symmetric initialization that never learns distinct units)."""
    return backend.zeros(shape, dtype)


def constant(shape: Any, value: float, dtype: Any = None) -> Any:
    """An array filled with ``value``."""
    return backend.full(shape, value, dtype)


def normal(shape: Any, mean: float = 0.0, std: float = 1.0) -> Any:
    r"""Samples of :math:`\mathcal{N}(\text{mean}, \text{std}^2)`."""
    return backend.rng().normal(mean, std, shape)


def uniform(shape: Any, low: float = 0.0, high: float = 1.0) -> Any:
    r"""Samples of :math:`U[\text{low}, \text{high})` (defaults as ``torch.nn.init.uniform_``)."""
    return backend.rng().uniform(low, high, shape)


# ------------------------------------------------------------------------ closed forms
def _check_fans(fan_in: Any, fan_out: Any) -> None:
    positive_int(fan_in, "fan_in")
    positive_int(fan_out, "fan_out")


def _check_scheme(scheme: str) -> tuple[float, str, str]:
    if scheme not in _SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; valid schemes: {', '.join(_SCHEMES)}")
    return _SCHEMES[scheme]


def _fan(fan_in: int, fan_out: int, mode: str) -> float:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]


def std(scheme: str, fan_in: int, fan_out: int, mode: str | None = None, gain: float = 1.0) -> float:
    r"""Closed-form standard deviation :math:`\sigma_\Omega = \text{gain}\sqrt{s/\text{fan}}` of ``scheme``.

    Xavier: :math:`\sqrt{2/(D_h+D_{h'})}`; He: :math:`\sqrt{2/D_h}` (``fan_in``),
    :math:`\sqrt{2/D_{h'}}` (``fan_out``), :math:`\sqrt{4/(D_h+D_{h'})}` (``fan_avg``);
    LeCun: :math:`\sqrt{1/D_h}`. Uniform schemes have the same std as their normal twin.
    """
    scale, default_mode, _ = _check_scheme(scheme)
    _check_fans(fan_in, fan_out)
    return float(gain) * math.sqrt(scale / _fan(int(fan_in), int(fan_out), mode or default_mode))


def bound(scheme: str, fan_in: int, fan_out: int, mode: str | None = None, gain: float = 1.0) -> float:
    r"""Half-width :math:`a = \sqrt{3}\,\sigma_\Omega` of a uniform scheme's :math:`U[-a, a]`
    (e.g. Xavier uniform: :math:`\sqrt{6/(D_h+D_{h'})}`)."""
    _, _, dist = _check_scheme(scheme)
    if dist != "uniform":
        uniform_schemes = [k for k, v in _SCHEMES.items() if v[2] == "uniform"]
        raise ValueError(f"bound() needs a uniform scheme ({', '.join(uniform_schemes)}); got {scheme!r}")
    return math.sqrt(3.0) * std(scheme, fan_in, fan_out, mode, gain)


def _draw(scheme: str, fan_in: int, fan_out: int, mode: str | None, gain: float) -> Any:
    s = std(scheme, fan_in, fan_out, mode, gain)
    shape = (int(fan_out), int(fan_in))
    if _SCHEMES[scheme][2] == "uniform":
        a = math.sqrt(3.0) * s
        return backend.rng().uniform(-a, a, shape)
    return backend.rng().normal(0.0, s, shape)


# ------------------------------------------------------------------------ schemes
def xavier_normal(fan_in: int, fan_out: int, *, mode: str = "fan_avg", gain: float = 1.0) -> Any:
    r"""Glorot & Bengio (2010): :math:`\Omega \sim \mathcal{N}(0, 2/(D_h+D_{h'}))`, shape (D_h', D_h)."""
    return _draw("xavier_normal", fan_in, fan_out, mode, gain)


def xavier_uniform(fan_in: int, fan_out: int, *, mode: str = "fan_avg", gain: float = 1.0) -> Any:
    r"""Glorot & Bengio (2010): :math:`\Omega \sim U[-a, a]`, :math:`a = \sqrt{6/(D_h+D_{h'})}`."""
    return _draw("xavier_uniform", fan_in, fan_out, mode, gain)


def he_normal(fan_in: int, fan_out: int, *, mode: str = "fan_in", gain: float = 1.0) -> Any:
    r"""He et al. (2015), for ReLU: :math:`\Omega \sim \mathcal{N}(0, 2/D_h)` (``fan_in``),
    :math:`2/D_{h'}` (``fan_out``) or :math:`4/(D_h+D_{h'})` (``fan_avg``)."""
    return _draw("he_normal", fan_in, fan_out, mode, gain)


def he_uniform(fan_in: int, fan_out: int, *, mode: str = "fan_in", gain: float = 1.0) -> Any:
    r"""He et al. (2015), uniform: :math:`U[-a, a]` with :math:`a = \sqrt{6/D_h}` (``fan_in``)."""
    return _draw("he_uniform", fan_in, fan_out, mode, gain)


def lecun_normal(fan_in: int, fan_out: int, *, mode: str = "fan_in", gain: float = 1.0) -> Any:
    r"""LeCun et al. (1998): :math:`\Omega \sim \mathcal{N}(0, 1/D_h)`."""
    return _draw("lecun_normal", fan_in, fan_out, mode, gain)


def zeros_init(fan_in: int, fan_out: int, **_: Any) -> Any:
    """All-zero weights of shape (fan_out, fan_in) (``Linear(..., init="zeros")``)."""
    _check_fans(fan_in, fan_out)
    return backend.zeros((int(fan_out), int(fan_in)))


_BY_NAME: dict[str, Callable[..., Any]] = {
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "zeros": zeros_init,
}

NAMES = tuple(_BY_NAME)


def get(init: str | Callable[..., Any]) -> Callable[..., Any]:
    """Resolve an init name (see :data:`NAMES`) or pass a callable ``(fan_in, fan_out) -> array`` through."""
    if callable(init):
        return init
    if isinstance(init, str) and init in _BY_NAME:
        return _BY_NAME[init]
    raise ValueError(
        f"unknown init {init!r}; valid names: {', '.join(NAMES)} (or a callable(fan_in, fan_out))"
    )


def gain(nonlinearity: str, param: float | None = None) -> float:
    r"""Recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``:
    1 for linear/sigmoid, 5/3 for tanh, :math:`\sqrt 2` for ReLU,
    :math:`\sqrt{2/(1+\alpha^2)}` for leaky ReLU (``param`` = α, default 0.01), 3/4 for SELU."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope param for leaky_relu must be a number; got {param!r}")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity in _GAINS:
        return _GAINS[nonlinearity]
    valid = ", ".join([*_GAINS, "leaky_relu"])
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}; valid names: {valid}")


__all__ = [
    "MODES",
    "NAMES",
    "bound",
    "constant",
    "gain",
    "get",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "normal",
    "std",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
    "zeros_init",
]
