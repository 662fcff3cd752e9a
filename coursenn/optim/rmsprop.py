"""RMSProp: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coursenn.nn.module import Parameter
from coursenn.optim.base import (
    Optimizer,
    add_,
    check_bool,
    check_nonnegative,
    check_positive,
    check_unit_interval,
    ewa_,
    namespace,
    root_plus_eps,
    scale_add_,
    zeros_like,
)


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman & Hinton 2012, lecture 6e), as ``torch.optim.RMSprop``.

    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` when ``weight_decay`` =
    :math:`\lambda > 0`) and averaging factor :math:`\alpha_s` (``alpha``; the slides' β₂):

    .. math::

        v_t &= \alpha_s v_{t-1} + (1-\alpha_s)\, g_t^2\\
        \tilde v_t &= v_t \quad\text{or}\quad v_t - \bar g_t^2,\ \
            \bar g_t = \alpha_s \bar g_{t-1} + (1-\alpha_s)\, g_t \quad (\text{centered})\\
        \theta_t &= \theta_{t-1} - \alpha\, \frac{g_t}{\sqrt{\tilde v_t} + \epsilon}

    With ``momentum`` :math:`\mu > 0` the step is smoothed first:
    :math:`b_t = \mu b_{t-1} + g_t/(\sqrt{\tilde v_t}+\epsilon)`,
    :math:`\theta_t = \theta_{t-1} - \alpha b_t`.

    ``bias_correction=True`` is the slides' variant (not in PyTorch): :math:`v_t` is
    replaced by :math:`\hat v_t = v_t/(1-\alpha_s^t)`, so the first steps are not inflated by
    the zero initialisation :math:`v_0 = 0`. It cannot be combined with ``centered=True``
    (the bias-corrected variance of a single gradient is exactly 0).
    The ε sits outside the square root, as in PyTorch and in the bias-corrected slide
    (one slide writes :math:`\sqrt{v_t + \epsilon}`; the difference only matters when
    :math:`v_t \lesssim \epsilon`).

    Defaults: ``lr=1e-2``, ``alpha=0.99``, ``eps=1e-8``, ``weight_decay=0``, ``momentum=0``,
    ``centered=False``, ``bias_correction=False``. State per parameter: ``sq_grad_avg``
    (:math:`v_t`), ``grad_avg`` (:math:`\bar g_t`, if centered), ``momentum_buffer``
    (:math:`b_t`, if momentum > 0).
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        bias_correction: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                bias_correction=bias_correction,
            ),
        )

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h["lr"] = check_positive(h["lr"], "lr")
        h["alpha"] = check_unit_interval(h["alpha"], "alpha")
        h["eps"] = check_positive(h["eps"], "eps")
        h["weight_decay"] = check_nonnegative(h["weight_decay"], "weight_decay")
        h["momentum"] = check_nonnegative(h["momentum"], "momentum")
        h["centered"] = check_bool(h["centered"], "centered")
        h["bias_correction"] = check_bool(h["bias_correction"], "bias_correction")
        if h["centered"] and h["bias_correction"]:
            raise ValueError(
                "bias_correction=True cannot be combined with centered=True "
                "(the bias-corrected variance estimate is 0 after the first step)"
            )
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        state = {"sq_grad_avg": zeros_like(p.data)}
        if self.centered:
            state["grad_avg"] = zeros_like(p.data)
        if self.momentum > 0:
            state["momentum_buffer"] = zeros_like(p.data)
        return state

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        g = self._grad(p)
        v = state["sq_grad_avg"] = ewa_(state["sq_grad_avg"], g * g, self.alpha)
        if self.bias_correction:
            v = v / (1.0 - self.alpha**self.t)
        if self.centered:
            g_avg = state["grad_avg"] = ewa_(state["grad_avg"], g, self.alpha)
            # v - ḡ² >= 0 in exact arithmetic; clip the rounding error away
            v = namespace(v).clip(v - g_avg * g_avg, 0.0, None)
        denom = root_plus_eps(v, self.eps)
        if self.momentum > 0:
            b = state["momentum_buffer"] = scale_add_(state["momentum_buffer"], self.momentum, g / denom)
            p.data = add_(p.data, -self.lr, b)
        else:
            p.data = add_(p.data, -self.lr, g / denom)
