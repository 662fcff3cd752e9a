"""Gradient clipping (recorte de gradiente), applied in place to ``p.grad`` as in PyTorch."""

from __future__ import annotations

import math
from collections.abc import Iterable

from coursenn import backend
from coursenn.nn.module import Parameter
from coursenn.optim.base import as_parameter_list, check_positive, check_real, namespace


def clip_grad_norm(params: Iterable[Parameter] | Parameter, max_norm: float, norm_type: float = 2.0) -> float:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    .. math::

        \|g\| = \Big(\sum_{p}\sum_i |g_{p,i}|^q\Big)^{1/q}, \qquad
        g \leftarrow g \cdot \min\Big(1,\ \frac{\text{max\_norm}}{\|g\| + 10^{-6}}\Big)

    (``norm_type`` = q, 2 by default; ``float("inf")`` uses the largest absolute entry), as
    ``torch.nn.utils.clip_grad_norm_``. The direction of the joint gradient is kept.
    Returns the norm **before** clipping, as a Python float (useful to log it).
    """
    params = as_parameter_list(params)
    max_norm = check_positive(max_norm, "max_norm")
    norm_type = check_real(norm_type, "norm_type") if norm_type != math.inf else math.inf
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0 or float('inf'); got {norm_type!r}")
    if not params:
        return 0.0
    xp = namespace(params[0].grad)
    if norm_type == math.inf:
        total = max(float(backend.to_numpy(xp.max(xp.abs(p.grad)))) for p in params)
    else:
        powers = [p.grad * p.grad if norm_type == 2.0 else xp.abs(p.grad) ** norm_type for p in params]
        parts = [float(backend.to_numpy(xp.sum(a))) for a in powers]
        total = math.fsum(parts) ** (1.0 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        for p in params:
            if backend.mutable(p.grad):
                p.grad *= coef
            else:
                p.grad = p.grad * coef
    return total


def clip_grad_value(params: Iterable[Parameter] | Parameter, clip_value: float) -> None:
    r"""Clip every gradient entry to :math:`[-c, c]` (``c`` = ``clip_value``), in place.

    Unlike :func:`clip_grad_norm` this changes the direction of the gradient.
    As ``torch.nn.utils.clip_grad_value_``.
    """
    params = as_parameter_list(params)
    clip_value = check_positive(clip_value, "clip_value")
    for p in params:
        clipped = namespace(p.grad).clip(p.grad, -clip_value, clip_value)
        if backend.mutable(p.grad):
            p.grad[...] = clipped
        else:
            p.grad = clipped
