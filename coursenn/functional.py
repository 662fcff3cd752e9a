r"""The formulas of the book as pure forward/backward pairs (CS231n style).

One contract for every operation::

    out, cache = op_forward(x, ...)      # cache: what the backward pass needs
    grads      = op_backward(dout, cache)  # gradients in the order of the inputs

Rows of ``x`` are samples: ``x`` has shape ``(N, D_h)``. A weight matrix is
:math:`\Omega` with shape ``(D_{h'}, D_h)`` (PyTorch's ``weight``), so the book's
:math:`z = \Omega h + \beta` for one column vector becomes ``z = x @ Ω.T + β`` for a
batch. Losses return ``(loss, dpred)``: the loss as a 0-d array (mean over the batch)
and its gradient with respect to the prediction.

Every function keeps the floating dtype of its input (float32 stays float32) and works
on any Array API namespace (NumPy, CuPy, array_api_strict).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import array_api_compat

from coursenn import backend
from coursenn._common import is_integral, namespace, positive_int

DROPOUT_MODES = ("inverted", "scale_at_inference")


_ns = namespace  # the Array API namespace of an array (memoized: it is called on every op)


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(a.shape)


def _require_2d(x: Any, argument: str) -> None:
    if x.ndim != 2:
        raise ValueError(f"{argument} must be 2-D with shape (N, D); got shape {_shape(x)}")


def one_hot(index: Any, num_classes: int, dtype: Any, argument: str = "index") -> Any:
    r"""One-hot encoding along a new last axis: ``out[..., k]`` = :math:`\mathbb{1}[\text{index} = k]`.

    ``index`` holds integers in ``[0, num_classes)``; the result has shape
    ``index.shape + (num_classes,)`` and dtype ``dtype``. Built with a comparison against
    ``arange`` (the Array API has no fancy-index assignment). A value outside the range
    would give a row of zeros, so it raises ValueError naming ``argument`` instead.
    """
    xp = _ns(index)
    hits = index[..., None] == _class_range(index, num_classes)
    if int(backend.to_numpy(xp.count_nonzero(hits))) != math.prod(_shape(index)):
        raise ValueError(f"{argument} must hold integers in [0, {num_classes}); some values are outside")
    return xp.astype(hits, dtype)


def _class_range(index: Any, num_classes: int) -> Any:
    """``arange(num_classes)`` on ``index``'s library and device, memoized (a loss needs it every step)."""
    n = positive_int(num_classes, "num_classes")
    device = array_api_compat.device(index)
    key = (type(index), str(device), n)
    classes = _CLASS_RANGES.get(key)
    if classes is None:
        classes = _CLASS_RANGES[key] = _ns(index).arange(n, device=device)
    return classes


_CLASS_RANGES: dict[tuple[type, str, Any], Any] = {}


# ----------------------------------------------------------------------------- linear
def linear_forward(x: Any, W: Any, b: Any = None) -> tuple[Any, Any]:
    r"""Affine map :math:`z = \Omega h + \beta`, batched as ``out = x Ωᵀ + β``.

    ``x``: (N, D_h); ``W`` = Ω: (D_{h'}, D_h); ``b`` = β: (D_{h'},) or ``None``.
    Returns ``out`` (N, D_{h'}) and the cache ``(x, W, has_bias)``.
    """
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[1]:
        raise ValueError(
            f"linear layer expected x of shape (N, {W.shape[-1]}); got x of shape {_shape(x)} "
            f"(weight Ω of shape {_shape(W)})"
        )
    out = x @ W.T
    if b is not None:
        if backend.mutable(out):
            out += b
        else:
            out = out + b
    return out, (x, W, b is not None)


def linear_backward(dout: Any, cache: Any, input_grad: bool = True) -> tuple[Any, Any, Any]:
    r"""Gradients of :math:`z = \Omega h + \beta` given :math:`\partial L/\partial z` (``dout``).

    .. math::
        \frac{\partial L}{\partial h} = \Omega^\top \frac{\partial L}{\partial z},\qquad
        \frac{\partial L}{\partial \Omega} = \sum_n \frac{\partial L}{\partial z_n} h_n^\top,\qquad
        \frac{\partial L}{\partial \beta} = \sum_n \frac{\partial L}{\partial z_n}

    i.e. ``dx = dout @ W``, ``dW = doutᵀ @ x``, ``db = dout.sum(0)`` (``None`` without bias).
    With ``input_grad=False`` the product for ``dx`` is skipped and ``dx`` is ``None`` (the
    first layer of a network, whose input is data).
    """
    x, W, has_bias = cache
    dx = dout @ W if input_grad else None
    dW = dout.T @ x
    db = _ns(dout).sum(dout, axis=0) if has_bias else None
    return dx, dW, db


# ------------------------------------------------------------------------ activations
# Masks enter as 0/1 arrays of the input dtype (``xp.astype(z > 0, z.dtype)``) and are
# combined arithmetically: ``where`` with a data-dependent mask is ~10x slower in NumPy.
def _indicator(mask: Any, like: Any) -> Any:
    return _ns(like).astype(mask, like.dtype)


def relu_forward(z: Any) -> tuple[Any, Any]:
    r"""ReLU :math:`a[z] = \max(0, z)`; the cache is :math:`h`."""
    h = _ns(z).maximum(z, 0.0)
    return h, h


def relu_backward(dh: Any, cache: Any) -> Any:
    r""":math:`\partial L/\partial z = \partial L/\partial h \odot \mathbb{1}[z > 0]`
    (and :math:`z > 0 \iff h > 0`)."""
    h = cache
    if backend.mutable(dh):  # NumPy/CuPy multiply by a boolean mask directly (one pass less)
        return dh * (h > 0)
    return dh * _indicator(h > 0, dh)


def leaky_relu_forward(z: Any, alpha: float = 0.01) -> tuple[Any, Any]:
    r"""Leaky ReLU :math:`a[z] = z` for :math:`z > 0`, :math:`\alpha z` otherwise.

    Computed as :math:`\max(z, \alpha z)` (:math:`\min` if :math:`\alpha > 1`); the cache
    holds :math:`\mathbb{1}[z > 0]` and :math:`\alpha`.
    """
    xp = _ns(z)
    h = xp.maximum(z, alpha * z) if alpha <= 1.0 else xp.minimum(z, alpha * z)
    return h, (_indicator(z > 0, z), alpha)


def leaky_relu_backward(dh: Any, cache: Any) -> Any:
    r""":math:`a'[z] = 1` for :math:`z > 0`, :math:`\alpha` otherwise,
    i.e. :math:`\alpha + (1-\alpha)\mathbb{1}[z>0]`."""
    positive, alpha = cache
    return dh * (alpha + (1.0 - alpha) * positive)


def elu_forward(z: Any, alpha: float = 1.0) -> tuple[Any, Any]:
    r"""ELU :math:`a[z] = z` for :math:`z > 0`, :math:`\alpha(e^{z} - 1)` otherwise.

    Computed as :math:`\max(z, 0) + \alpha\,(e^{\min(z, 0)} - 1)` (``expm1``; never overflows).
    """
    xp = _ns(z)
    negative_part = alpha * xp.expm1(xp.minimum(z, 0.0))
    h = xp.maximum(z, 0.0) + negative_part
    return h, (_indicator(z > 0, z), negative_part, alpha)


def elu_backward(dh: Any, cache: Any) -> Any:
    r""":math:`a'[z] = 1` for :math:`z > 0` and :math:`\alpha e^{z} = a[z] + \alpha` otherwise."""
    positive, negative_part, alpha = cache
    return dh * (negative_part + alpha + (1.0 - alpha) * positive)


def sigmoid_forward(z: Any) -> tuple[Any, Any]:
    r"""Logistic sigmoid :math:`\sigma(z) = \frac{1}{1 + e^{-z}} = \frac{1 + \tanh(z/2)}{2}`.

    The tanh form never overflows (``exp(-z)`` does for very negative ``z``). The cache is
    :math:`h = \sigma(z)`.
    """
    h = 0.5 + 0.5 * _ns(z).tanh(0.5 * z)
    return h, h


def sigmoid_backward(dh: Any, cache: Any) -> Any:
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`."""
    h = cache
    return dh * h * (1.0 - h)


def tanh_forward(z: Any) -> tuple[Any, Any]:
    r"""Hyperbolic tangent :math:`a[z] = \tanh z`; the cache is :math:`h`."""
    h = _ns(z).tanh(z)
    return h, h


def tanh_backward(dh: Any, cache: Any) -> Any:
    r""":math:`\tanh'(z) = 1 - \tanh^2 z = 1 - h^2`."""
    h = cache
    return dh * (1.0 - h * h)


def maxout_forward(z: Any, pieces: int) -> tuple[Any, Any]:
    r"""Maxout :math:`h_j = \max_{k} z_{j,k}` over ``pieces`` linear pieces per unit.

    ``z`` has shape (N, D·pieces); the columns ``j·pieces, ..., j·pieces + pieces - 1`` are
    the pieces of unit ``j`` (the rows of the maxout weight matrix grouped the same way).
    Returns ``h`` (N, D) and, as cache, the one-hot mask of the winning piece.
    """
    _require_2d(z, "z")
    pieces = positive_int(pieces, "pieces")
    n, width = z.shape
    if width % pieces:
        raise ValueError(f"z of shape {_shape(z)} has {width} columns, not a multiple of pieces={pieces}")
    xp = _ns(z)
    zr = xp.reshape(z, (n, width // pieces, pieces))
    # An explicit loop over the (few) pieces: elementwise maxima are far cheaper than a
    # reduction over a short trailing axis. Ties go to the first piece, as argmax does.
    h = zr[:, :, 0]
    for k in range(1, pieces):
        h = xp.maximum(h, zr[:, :, k])
    taken = xp.zeros_like(h, dtype=xp.bool)
    winners = []
    for k in range(pieces):
        wins = (zr[:, :, k] == h) & ~taken
        taken = taken | wins
        winners.append(wins)
    return h, xp.astype(xp.stack(winners, axis=2), z.dtype)


def maxout_backward(dh: Any, cache: Any) -> Any:
    r""":math:`\partial L/\partial z_{j,k} = \partial L/\partial h_j` for the winning piece, 0 otherwise."""
    onehot = cache
    xp = _ns(dh)
    n, units, pieces = onehot.shape
    return xp.reshape(onehot * dh[..., None], (n, units * pieces))


# ------------------------------------------------------------------ batch normalization
class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_backward` needs; ``mean``/``var`` are the batch statistics
    (biased variance) in training mode and the running ones in evaluation mode."""

    xhat: Any
    gamma: Any
    inv_std: Any
    mean: Any
    var: Any
    training: bool


def _check_features(x: Any, vec: Any, argument: str) -> None:
    if _shape(vec) != (x.shape[1],):
        raise ValueError(
            f"{argument} of shape {_shape(vec)} does not match x of shape {_shape(x)}: "
            f"expected ({x.shape[1]},)"
        )


def batchnorm_forward(x: Any, gamma: Any, beta: Any, eps: float = 1e-5) -> tuple[Any, Any]:
    r"""Batch normalization in training mode (batch statistics).

    .. math::
        \mu = \frac{1}{B}\sum_n x_n,\quad \sigma^2 = \frac{1}{B}\sum_n (x_n - \mu)^2,\quad
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}},\quad y = \gamma \hat x + \beta

    (biased variance, as PyTorch). A batch of one sample has no variance: ``ValueError``.
    """
    _require_2d(x, "x")
    _check_features(x, gamma, "gamma")
    _check_features(x, beta, "beta")
    n = x.shape[0]
    if n < 2:
        raise ValueError(
            "batch normalization in training mode needs more than 1 sample per feature; "
            f"got x of shape {_shape(x)}"
        )
    xp = _ns(x)
    mean = xp.mean(x, axis=0)
    xc = x - mean
    var = xp.mean(xc * xc, axis=0)
    inv_std = 1.0 / xp.sqrt(var + eps)
    xhat = xc * inv_std if not backend.mutable(xc) else _inplace_mul(xc, inv_std)
    return gamma * xhat + beta, BatchNormCache(xhat, gamma, inv_std, mean, var, True)


def _inplace_mul(a: Any, b: Any) -> Any:
    a *= b
    return a


def batchnorm_eval_forward(
    x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any, eps: float = 1e-5
) -> tuple[Any, Any]:
    r"""Batch normalization in evaluation mode: the running statistics replace the batch ones,

    .. math:: y = \gamma \frac{x - \mu_{run}}{\sqrt{\sigma^2_{run} + \varepsilon}} + \beta,

    an affine map of each feature (so its backward is :math:`\gamma/\sqrt{\sigma^2_{run}+\varepsilon}`).
    """
    _require_2d(x, "x")
    for vec, argument in (
        (gamma, "gamma"),
        (beta, "beta"),
        (running_mean, "running_mean"),
        (running_var, "running_var"),
    ):
        _check_features(x, vec, argument)
    inv_std = 1.0 / _ns(x).sqrt(running_var + eps)
    xhat = (x - running_mean) * inv_std
    return gamma * xhat + beta, BatchNormCache(xhat, gamma, inv_std, running_mean, running_var, False)


def batchnorm_backward(dout: Any, cache: BatchNormCache) -> tuple[Any, Any, Any]:
    r"""Gradients of batch normalization, compact form.

    .. math::
        \frac{\partial L}{\partial \beta} = \sum_n \frac{\partial L}{\partial y_n},\qquad
        \frac{\partial L}{\partial \gamma} = \sum_n \frac{\partial L}{\partial y_n}\hat x_n,

        \frac{\partial L}{\partial x} = \frac{\gamma}{B\sqrt{\sigma^2+\varepsilon}}
        \Big(B\frac{\partial L}{\partial y} - \frac{\partial L}{\partial \beta}
        - \hat x \,\frac{\partial L}{\partial \gamma}\Big)

    in training mode (the batch statistics depend on ``x``); in evaluation mode
    :math:`\partial L/\partial x = \gamma\,\partial L/\partial y / \sqrt{\sigma^2_{run}+\varepsilon}`.
    """
    xp = _ns(dout)
    xhat, gamma, inv_std, _, _, training = cache
    dbeta = xp.sum(dout, axis=0)
    dgamma = xp.sum(dout * xhat, axis=0)
    scale = gamma * inv_std
    if not training:
        return dout * scale, dgamma, dbeta
    n = dout.shape[0]
    dx = n * dout - dbeta - xhat * dgamma
    if backend.mutable(dx):
        dx *= scale / n
    else:
        dx = dx * (scale / n)
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- dropout
def _check_dropout_args(p: float, mode: str) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(
            f"dropout probability p (probability of dropping a unit) must be in [0, 1); got {p!r}"
        )
    if mode not in DROPOUT_MODES:
        raise ValueError(f"dropout mode must be one of {', '.join(map(repr, DROPOUT_MODES))}; got {mode!r}")


def dropout_forward(
    x: Any, p: float, training: bool = True, mode: str = "inverted", rng: Any = None
) -> tuple[Any, Any]:
    r"""Dropout: each unit is dropped (set to 0) with probability ``p``; keep prob. :math:`q = 1 - p`.

    With a mask :math:`m_i \sim \mathrm{Bernoulli}(q)`:

    * ``mode="inverted"`` (default, as PyTorch): training :math:`y = m \odot x / q`,
      inference :math:`y = x`; so :math:`\mathbb{E}[y] = x` in both.
    * ``mode="scale_at_inference"`` (the slides' first solution): training
      :math:`y = m \odot x`, inference :math:`y = q\,x`.

    ``rng`` defaults to :func:`coursenn.backend.rng`. The cache is the multiplier
    (mask/q, mask, or the constant q) used by :func:`dropout_backward`.
    """
    _check_dropout_args(p, mode)
    keep = 1.0 - p
    if not training:
        scale = keep if mode == "scale_at_inference" else 1.0
        return (x * scale if scale != 1.0 else x), scale
    if p == 0.0:
        return x, 1.0
    xp = _ns(x)
    mask = (rng if rng is not None else backend.rng()).bernoulli(keep, _shape(x))
    multiplier = xp.astype(mask, x.dtype)
    if mode == "inverted":
        multiplier = (
            multiplier * (1.0 / keep)
            if not backend.mutable(multiplier)
            else _inplace_mul(multiplier, 1.0 / keep)
        )
    return x * multiplier, multiplier


def dropout_backward(dout: Any, cache: Any) -> Any:
    r""":math:`\partial L/\partial x = \partial L/\partial y \odot` (the forward's multiplier)."""
    multiplier = cache
    if isinstance(multiplier, float):
        return dout * multiplier if multiplier != 1.0 else dout
    return dout * multiplier


# ------------------------------------------------------------------------------ losses
def _check_same_shape(pred: Any, target: Any, pred_name: str) -> None:
    if _shape(pred) != _shape(target):
        raise ValueError(
            f"{pred_name} of shape {_shape(pred)} and target of shape {_shape(target)} must match"
        )


def _as_float(target: Any, like: Any) -> Any:
    xp = _ns(like)
    if target.dtype != like.dtype:
        return xp.astype(target, like.dtype)
    return target


def softmax_cross_entropy(logits: Any, y: Any) -> tuple[Any, Any]:
    r"""Mean cross-entropy of the softmax of ``logits`` (N, C) against ``y``.

    ``y`` holds integer class labels (N,) or one-hot / probability rows (N, C). With the
    log-sum-exp trick (:math:`m_n = \max_c z_{n,c}`):

    .. math::
        \log p_{n,c} = z_{n,c} - m_n - \log\sum_{c'} e^{z_{n,c'} - m_n},\qquad
        L = -\frac{1}{N}\sum_{n,c} y_{n,c}\log p_{n,c},\qquad
        \frac{\partial L}{\partial z} = \frac{1}{N}\big(p\,\textstyle\sum_c y_{n,c} - y\big)

    which is :math:`(p - y)/N` for one-hot targets.
    """
    _require_2d(logits, "logits")
    xp = _ns(logits)
    n, c = logits.shape
    if y.ndim == 1 and is_integral(xp, y.dtype):
        if y.shape[0] != n:
            raise ValueError(f"labels y of shape {_shape(y)} do not match logits of shape {_shape(logits)}")
        target = one_hot(y, c, logits.dtype, argument=f"labels y (for logits with {c} classes)")
        onehot = True
    else:
        if _shape(y) != _shape(logits):
            raise ValueError(
                f"target y of shape {_shape(y)} must be integer labels of shape ({n},) or one-hot rows "
                f"of shape {_shape(logits)} (logits shape)"
            )
        target = _as_float(y, logits)
        onehot = False
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    p = xp.exp(shifted)
    row_sums = xp.sum(p, axis=1, keepdims=True)
    # L = (1/N) Σ_n [ (Σ_c y_nc) log Σ_c' e^{shifted_nc'} − Σ_c y_nc shifted_nc ]: no log p array
    log_sums = xp.log(row_sums)
    mass = xp.sum(log_sums) if onehot else xp.sum(log_sums * xp.sum(target, axis=1, keepdims=True))
    loss = xp.asarray((mass - xp.sum(target * shifted)) / n)
    if backend.mutable(p):  # gradient built in place in the softmax buffer
        p /= row_sums
        if not onehot:
            p *= xp.sum(target, axis=1, keepdims=True)
        p -= target
        p *= 1.0 / n
        return loss, p
    p = p / row_sums
    grad = (p - target) if onehot else (p * xp.sum(target, axis=1, keepdims=True) - target)
    return loss, grad * (1.0 / n)


def mse(pred: Any, target: Any) -> tuple[Any, Any]:
    r"""Mean squared error over all :math:`M` elements (as ``torch.nn.MSELoss``):

    .. math:: L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2,\qquad
              \frac{\partial L}{\partial \hat y} = \frac{2}{M}(\hat y - y)
    """
    _check_same_shape(pred, target, "pred")
    xp = _ns(pred)
    diff = pred - _as_float(target, pred)
    m = math.prod(_shape(pred))
    return xp.asarray(xp.sum(diff * diff) / m), diff * (2.0 / m)


def bce_with_logits(logits: Any, target: Any) -> tuple[Any, Any]:
    r"""Binary cross-entropy of :math:`\sigma(z)` against :math:`y \in [0, 1]`, mean over all
    :math:`M` elements (as ``torch.nn.BCEWithLogitsLoss``), in the stable form

    .. math::
        L = \frac{1}{M}\sum_i \big(\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\big),\qquad
        \frac{\partial L}{\partial z} = \frac{1}{M}\big(\sigma(z) - y\big)
    """
    _check_same_shape(logits, target, "logits")
    xp = _ns(logits)
    y = _as_float(target, logits)
    m = math.prod(_shape(logits))
    softplus_tail = xp.log1p(xp.exp(-xp.abs(logits)))
    loss = xp.asarray(xp.sum(xp.maximum(logits, 0.0) - logits * y + softplus_tail) / m)
    sig, _ = sigmoid_forward(logits)
    return loss, (sig - y) * (1.0 / m)


__all__ = [
    "BatchNormCache",
    "DROPOUT_MODES",
    "batchnorm_backward",
    "batchnorm_eval_forward",
    "batchnorm_forward",
    "bce_with_logits",
    "dropout_backward",
    "dropout_forward",
    "elu_backward",
    "elu_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "linear_backward",
    "linear_forward",
    "maxout_backward",
    "maxout_forward",
    "mse",
    "one_hot",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax_cross_entropy",
    "tanh_backward",
    "tanh_forward",
]
