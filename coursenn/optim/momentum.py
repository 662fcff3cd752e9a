"""Gradient descent with momentum in the averaged (EWA) form of the slides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coursenn.nn.module import Parameter
from coursenn.optim.base import (
    Optimizer,
    add_,
    check_bool,
    check_positive,
    check_unit_interval,
    ewa_,
    zeros_like,
)


class Momentum(Optimizer):
    r"""Momentum as an exponentially weighted average (EWA) of the gradients.

    .. math::

        v_t &= \beta\, v_{t-1} + (1-\beta)\, g_t, \qquad v_0 = 0\\
        \hat v_t &= v_t / (1-\beta^t) \quad \text{(only with ``bias_correction=True``)}\\
        \theta_t &= \theta_{t-1} - \alpha\, v_t \quad (\text{or } \alpha\, \hat v_t)

    The same trajectory, in the other two usual forms (Polyak 1964; PyTorch), with
    :math:`\eta = \alpha (1-\beta)`:

    * Polyak's heavy ball :math:`m_t = \beta m_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + m_t`
      (here :math:`m_t = -\alpha v_t`);
    * PyTorch's :math:`b_t = \beta b_{t-1} + g_t,\ \theta_t = \theta_{t-1} - \eta b_t`, i.e.
      ``SGD(params, lr=alpha * (1 - beta), momentum=beta)`` (here :math:`b_t = v_t/(1-\beta)`).

    So the averaged form damps the effective learning rate to :math:`\alpha(1-\beta)`
    (with bias correction, to :math:`\alpha(1-\beta)/(1-\beta^t)`, which starts at
    :math:`\alpha`). Defaults: ``beta=0.9``, ``bias_correction=False`` (``lr`` = α has no
    default). State per parameter: ``grad_avg`` (:math:`v_t`, never bias-corrected).
    """

    def __init__(
        self, params: Iterable[Parameter], lr: float, beta: float = 0.9, bias_correction: bool = False
    ) -> None:
        super().__init__(params, dict(lr=lr, beta=beta, bias_correction=bias_correction))

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h["lr"] = check_positive(h["lr"], "lr")
        h["beta"] = check_unit_interval(h["beta"], "beta")
        h["bias_correction"] = check_bool(h["bias_correction"], "bias_correction")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {"grad_avg": zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        v = state["grad_avg"] = ewa_(state["grad_avg"], p.grad, self.beta)
        step = self.lr / (1.0 - self.beta**self.t) if self.bias_correction else self.lr
        p.data = add_(p.data, -step, v)
