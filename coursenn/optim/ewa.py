"""Exponentially weighted average (EWA) of a sequence, with optional bias correction."""

from __future__ import annotations

from typing import Any

import numpy as np

from coursenn import backend
from coursenn.optim.base import check_bool, check_unit_interval, namespace


def ewa(values: Any, beta: float, bias_correction: bool = True) -> Any:
    r"""Running exponentially weighted averages of ``values`` along the first axis.

    .. math::

        v_t = \beta\, v_{t-1} + (1-\beta)\, y_t, \qquad v_0 = 0, \qquad
        \hat v_t = \frac{v_t}{1-\beta^t} \quad (\text{with bias correction})

    ``values`` has shape ``(T, ...)``: a list of numbers (returns a NumPy float64 array) or
    an array of any backend (returns an array of the same backend and dtype). Entry
    ``t-1`` of the result is :math:`v_t` (or :math:`\hat v_t`). Without bias correction the
    first averages are pulled towards :math:`v_0 = 0`; :math:`\hat v_t` is the weighted mean
    :math:`\sum_k \beta^{t-k} y_k / \sum_k \beta^{t-k}` exactly.
    """
    beta = check_unit_interval(beta, "beta")
    bias_correction = check_bool(bias_correction, "bias_correction")
    if not hasattr(values, "__array_namespace__"):
        values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        raise ValueError("values must have at least one dimension (the time axis); got a scalar")
    xp = namespace(values)
    if not xp.isdtype(values.dtype, "real floating"):
        dtype = xp.float64 if isinstance(values, np.ndarray) else backend.default_dtype()
        values = xp.astype(values, dtype)
    if values.shape[0] == 0:
        return xp.asarray(values, copy=True)
    out = []
    v = xp.zeros_like(values[0, ...])
    for t in range(values.shape[0]):
        v = beta * v + (1.0 - beta) * values[t, ...]
        out.append(v / (1.0 - beta ** (t + 1)) if bias_correction else v)
    return xp.stack(out, axis=0)
