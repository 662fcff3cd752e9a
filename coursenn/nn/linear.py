r"""Fully connected layer :math:`z = \Omega h + \beta` (over :func:`coursenn.functional.linear_forward`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coursenn import backend
from coursenn import functional as F
from coursenn import init as initializers
from coursenn._common import positive_int
from coursenn.nn.module import Module, Parameter


def _init_name(init: str | Callable[..., Any]) -> str:
    return init if isinstance(init, str) else getattr(init, "__name__", type(init).__name__)


def init_weight(init: str | Callable[..., Any], fan_in: int, fan_out: int) -> Any:
    """Draw Ω of shape (fan_out, fan_in) with ``init`` (a name of :mod:`coursenn.init` or a callable)."""
    W = initializers.get(init)(fan_in, fan_out)
    if tuple(W.shape) != (fan_out, fan_in):
        raise ValueError(
            f"init {_init_name(init)!r} returned weights of shape {tuple(W.shape)}; "
            f"expected (fan_out, fan_in) = ({fan_out}, {fan_in})"
        )
    return backend.asarray(W)


class Linear(Module):
    r"""Affine layer :math:`z = \Omega h + \beta`; on a batch ``x`` (N, in_features): ``x Ωᵀ + β``.

    ``weight`` = Ω has shape (out_features, in_features) = :math:`(D_{h'}, D_h)` and is drawn by
    ``init`` (a name in :data:`coursenn.init.NAMES` or ``callable(fan_in, fan_out) -> array``);
    ``bias`` = β starts at zero (``bias=False`` removes it).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str | Callable[..., Any] = "he_normal",
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.init = _init_name(init)
        self.weight = Parameter(init_weight(init, self.in_features, self.out_features), "weight")
        self.bias = Parameter(backend.zeros((self.out_features,)), "bias") if bias else None

    def forward(self, x: Any) -> Any:
        out, self._cache = F.linear_forward(
            x, self.weight.data, None if self.bias is None else self.bias.data
        )
        return out

    def backward(self, grad_out: Any) -> Any:
        return self._backward(grad_out, input_grad=True)

    def backward_params(self, grad_out: Any) -> None:
        """Only ∂L/∂Ω and ∂L/∂β (skips ``dout @ Ω``, the input gradient)."""
        self._backward(grad_out, input_grad=False)

    def _backward(self, grad_out: Any, input_grad: bool) -> Any:
        dx, dW, db = F.linear_backward(grad_out, self._require_cache(), input_grad=input_grad)
        self.weight.accumulate(dW)
        if self.bias is not None:
            self.bias.accumulate(db)
        return dx

    def extra_repr(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        return f"in_features={self.in_features}, out_features={self.out_features}, init={self.init!r}{extra}"
