r"""Per-layer health of a network: activation and gradient variances, saturation, dead ReLUs.

These are the quantities behind the initialization chapter: with a good :math:`\sigma^2_\Omega`
the variance of the activations :math:`h_k` and of the gradients :math:`\partial L/\partial h_k`
stay roughly constant across layers; with a bad one they vanish or explode, sigmoid/tanh
units saturate and ReLUs die.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from coursenn._common import to_float as _float
from coursenn._module_state import restore, snapshot
from coursenn.nn.activations import ReLU, Sigmoid, Tanh
from coursenn.nn.module import Module, Sequential

SATURATION_THRESHOLD = 0.99
"""tanh unit saturated: :math:`|h| > 0.99`; sigmoid unit: :math:`h < 0.01` or :math:`h > 0.99`."""


def _layers(model: Module) -> list[Module]:
    return list(model) if isinstance(model, Sequential) else [model]


def _variance(a: Any) -> float:
    return _float(array_api_compat.array_namespace(a).var(a))


def saturated_fraction(layer: Module, h: Any) -> float:
    """Fraction of saturated outputs of a Sigmoid/Tanh layer (NaN for other layers)."""
    xp = array_api_compat.array_namespace(h)
    t = SATURATION_THRESHOLD
    if isinstance(layer, Tanh):
        return _float(xp.mean(xp.astype(xp.abs(h) > t, h.dtype)))
    if isinstance(layer, Sigmoid):
        return _float(xp.mean(xp.astype((h < 1.0 - t) | (h > t), h.dtype)))
    return float("nan")


def dead_fraction(layer: Module, h: Any) -> float:
    """Fraction of units of a ReLU layer that output 0 for every sample (NaN for other layers)."""
    if not isinstance(layer, ReLU):
        return float("nan")
    xp = array_api_compat.array_namespace(h)
    return _float(xp.mean(xp.astype(xp.all(h <= 0, axis=0), h.dtype)))


def layer_stats(model: Module, X: Any, y: Any, loss_fn: Any) -> list[dict[str, Any]]:
    r"""One forward and backward pass on ``(X, y)``; one dict per layer of ``model``:

    ``index``, ``layer`` (type name), ``act_var`` (variance of the layer's output: the
    preactivation :math:`z_k` after a Linear, the activation :math:`h_{k+1}` after an
    activation), ``grad_var`` (variance of :math:`\partial L/\partial` output),
    ``saturated`` (Sigmoid/Tanh) and ``dead`` (ReLU) fractions, NaN where they do not apply.

    Runs in the model's current mode; parameters' gradients, running statistics and caches
    are left as they were.
    """
    layers = _layers(model)
    saved = snapshot(model)
    try:
        outputs = []
        h = X
        for layer in layers:
            h = layer.forward(h)
            outputs.append(h)
        loss_fn(h, y)
        grad = loss_fn.backward()
        grads: list[Any] = [None] * len(layers)
        for i in range(len(layers) - 1, -1, -1):
            grads[i] = grad
            grad = layers[i].backward(grad)
        return [
            {
                "index": i,
                "layer": type(layer).__name__,
                "act_var": _variance(out),
                "grad_var": _variance(g),
                "saturated": saturated_fraction(layer, out),
                "dead": dead_fraction(layer, out),
            }
            for i, (layer, out, g) in enumerate(zip(layers, outputs, grads, strict=True))
        ]
    finally:
        restore(saved)


def variance_per_layer(model: Module, X: Any) -> list[float]:
    """Variance of each layer's output for input ``X`` (forward only; model state untouched)."""
    saved = snapshot(model)
    try:
        out = []
        h = X
        for layer in _layers(model):
            h = layer.forward(h)
            out.append(_variance(h))
        return out
    finally:
        restore(saved)
