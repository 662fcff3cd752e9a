r"""Activation layers :math:`h = a[z]` and Maxout, thin wrappers of :mod:`coursenn.functional` pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coursenn import backend
from coursenn import functional as F
from coursenn._common import positive_int
from coursenn.nn.linear import _init_name, init_weight
from coursenn.nn.module import Module, Parameter


class _Activation(Module):
    """Elementwise activation: ``forward`` = ``_forward(z)``, ``backward`` = ``_backward(dh, cache)``."""

    _forward: Callable[..., Any]
    _backward: Callable[..., Any]

    def forward(self, x: Any) -> Any:
        h, self._cache = type(self)._forward(x)
        return h

    def backward(self, grad_out: Any) -> Any:
        return type(self)._backward(grad_out, self._require_cache())


class ReLU(_Activation):
    r""":math:`a[z] = \max(0, z)`."""

    _forward = staticmethod(F.relu_forward)
    _backward = staticmethod(F.relu_backward)


class Sigmoid(_Activation):
    r""":math:`a[z] = 1/(1 + e^{-z})`."""

    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(_Activation):
    r""":math:`a[z] = \tanh z`."""

    _forward = staticmethod(F.tanh_forward)
    _backward = staticmethod(F.tanh_backward)


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha >= 0:
        raise ValueError(f"alpha must be a non-negative number; got {alpha!r}")
    return float(alpha)


class _AlphaActivation(Module):
    """Elementwise activation with a parameter ``alpha``: ``_forward(z, alpha)``, ``_backward(dh, cache)``."""

    _forward: Callable[..., Any]
    _backward: Callable[..., Any]

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = _check_alpha(alpha)

    def forward(self, x: Any) -> Any:
        h, self._cache = type(self)._forward(x, self.alpha)
        return h

    def backward(self, grad_out: Any) -> Any:
        return type(self)._backward(grad_out, self._require_cache())

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class LeakyReLU(_AlphaActivation):
    r""":math:`a[z] = z` for :math:`z > 0`, :math:`\alpha z` otherwise (default α = 0.01)."""

    _forward = staticmethod(F.leaky_relu_forward)
    _backward = staticmethod(F.leaky_relu_backward)

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__(alpha)


class ELU(_AlphaActivation):
    r""":math:`a[z] = z` for :math:`z > 0`, :math:`\alpha(e^z - 1)` otherwise (default α = 1)."""

    _forward = staticmethod(F.elu_forward)
    _backward = staticmethod(F.elu_backward)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha)


class Identity(Module):
    r""":math:`a[z] = z` (a linear network when used as activation)."""

    def forward(self, x: Any) -> Any:
        self._cache = True
        return x

    def backward(self, grad_out: Any) -> Any:
        self._require_cache()
        return grad_out


class Maxout(Module):
    r"""Maxout unit (Goodfellow et al., 2013): :math:`h_j = \max_k (\Omega_{j,k} x + \beta_{j,k})`.

    Owns one linear map to ``out_features * pieces`` pre-activations (``weight`` has shape
    (out_features·pieces, in_features); rows ``j·pieces … j·pieces+pieces-1`` are the pieces
    of unit ``j``) and keeps the largest piece of each unit.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int = 2,
        init: str | Callable[..., Any] = "he_normal",
    ) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.pieces = positive_int(pieces, "pieces")
        self.init = _init_name(init)
        width = self.out_features * self.pieces
        self.weight = Parameter(init_weight(init, self.in_features, width), "weight")
        self.bias = Parameter(backend.zeros((width,)), "bias")

    def forward(self, x: Any) -> Any:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Maxout expected input of shape (N, {self.in_features}); got x of shape {tuple(x.shape)} "
                f"(weight shape {self.weight.shape})"
            )
        z, linear_cache = F.linear_forward(x, self.weight.data, self.bias.data)
        h, max_cache = F.maxout_forward(z, self.pieces)
        self._cache = (linear_cache, max_cache)
        return h

    def backward(self, grad_out: Any) -> Any:
        linear_cache, max_cache = self._require_cache()
        dx, dW, db = F.linear_backward(F.maxout_backward(grad_out, max_cache), linear_cache)
        self.weight.accumulate(dW)
        self.bias.accumulate(db)
        return dx

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}, "
            f"init={self.init!r}"
        )
