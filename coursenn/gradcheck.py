r"""Numerical gradient checks by central differences, in float64.

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},
          \qquad \text{rel}(a, b) = \max_i \frac{|a_i - b_i|}{\max(10^{-8}, |a_i| + |b_i|)}

The perturbation :math:`h e_i` is built as a one-hot array with backend operations, so the
checks run unchanged on NumPy, CuPy and array_api_strict (any device). A correct backward
pass gives relative errors around :math:`10^{-8}`-:math:`10^{-10}`; above :math:`10^{-6}`
something is wrong.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from coursenn import backend
from coursenn._common import to_float as _scalar
from coursenn._module_state import cast_floats, restore, snapshot
from coursenn.nn.module import Module

_UPSTREAM_SEED = 2_718_281


def _float64(a: Any) -> Any:
    xp = array_api_compat.array_namespace(a)
    return xp.astype(a, xp.float64)


def numerical_grad(f: Callable[[Any], Any], x: Any, h: float = 1e-6) -> Any:
    """Central-difference gradient of the scalar function ``f`` at ``x`` (float64, same backend).

    ``f`` takes an array shaped like ``x`` and returns a scalar (0-d array or float).
    """
    if not h > 0:
        raise ValueError(f"step h must be positive; got {h!r}")
    x64 = _float64(x)
    xp = array_api_compat.array_namespace(x64)
    shape = tuple(x64.shape)
    flat_positions = backend.arange(math.prod(shape))
    grads = []
    for flat, _index in enumerate(itertools.product(*(range(d) for d in shape))):
        step = xp.reshape(xp.astype(flat_positions == flat, xp.float64), shape) * h
        grads.append((_scalar(f(x64 + step)) - _scalar(f(x64 - step))) / (2.0 * h))
    return backend.asarray(np.asarray(grads, dtype=np.float64).reshape(shape), dtype="float64")


def rel_error(a: Any, b: Any) -> float:
    r"""Maximum elementwise relative error :math:`|a-b| / \max(10^{-8}, |a|+|b|)`."""
    a64 = np.asarray(backend.to_numpy(a), dtype=np.float64)
    b64 = np.asarray(backend.to_numpy(b), dtype=np.float64)
    if a64.shape != b64.shape:
        raise ValueError(f"rel_error needs arrays of the same shape; got {a64.shape} and {b64.shape}")
    if a64.size == 0:
        return 0.0
    return float(np.max(np.abs(a64 - b64) / np.maximum(1e-8, np.abs(a64) + np.abs(b64))))


def check_module(module: Module, x: Any, seed: int = 0, h: float = 1e-6) -> float:
    r"""Largest relative error between ``module.backward`` and central differences.

    Uses :math:`f(x, \theta) = \sum \text{out} \odot g` for a random upstream gradient
    :math:`g`, and checks :math:`\partial f/\partial x` and every parameter's
    :math:`\partial f/\partial\theta`. The module runs in float64 during the check (its
    parameters, gradients, buffers and caches are restored afterwards, whatever their
    dtype). The upstream gradient comes from its own generator (seeded from ``seed``);
    ``cnn.backend.seed(seed)`` precedes every forward pass, so random layers
    (dropout) draw the same mask each time; the global generator is left reseeded.
    """
    saved = snapshot(module)
    try:
        cast_floats(module, "float64")
        x64 = _float64(x)
        xp = array_api_compat.array_namespace(x64)

        def forward(inp: Any) -> Any:
            backend.seed(seed)
            return module.forward(inp)

        out = forward(x64)
        # an independent stream: with backend.rng() a user's x drawn right after seed(seed)
        # would equal the upstream gradient (and e.g. BatchNorm's dx vanishes for g = x)
        upstream = _float64(backend.Rng(_UPSTREAM_SEED + seed).normal(0.0, 1.0, tuple(out.shape)))

        def objective(inp: Any) -> Any:
            return xp.sum(forward(inp) * upstream)

        module.zero_grad()
        forward(x64)
        errors = [rel_error(module.backward(upstream), numerical_grad(objective, x64, h))]
        for p in module.parameters():
            original = p.data

            def objective_p(value: Any, p: Any = p) -> Any:
                p.data = value
                return objective(x64)

            numeric = numerical_grad(objective_p, original, h)
            p.data = original
            errors.append(rel_error(p.grad, numeric))
        return max(errors)
    finally:
        restore(saved)


def check_loss(loss_fn: Any, pred: Any, target: Any, h: float = 1e-6) -> float:
    """Relative error of a loss's gradient w.r.t. ``pred`` against central differences.

    ``loss_fn`` is a loss object (``loss_fn(pred, target)`` then ``loss_fn.backward()``) or a
    functional loss returning ``(loss, dpred)``. Runs in float64.
    """
    pred64 = _float64(pred)
    xp = array_api_compat.array_namespace(target)
    if xp.isdtype(target.dtype, "real floating"):
        target = _float64(target)

    def evaluate(p: Any) -> tuple[Any, Callable[[], Any]]:
        result = loss_fn(p, target)
        if isinstance(result, tuple):
            return result[0], (lambda: result[1])
        return result, loss_fn.backward

    numeric = numerical_grad(lambda p: evaluate(p)[0], pred64, h)
    _, analytic = evaluate(pred64)
    return rel_error(analytic(), numeric)
