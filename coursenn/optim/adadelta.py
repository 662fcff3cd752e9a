"""Adadelta: a step size built from running averages of squared gradients and updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coursenn.nn.module import Parameter
from coursenn.optim.base import (
    Optimizer,
    add_,
    check_nonnegative,
    check_positive,
    check_unit_interval,
    ewa_,
    namespace,
    zeros_like,
)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012, Algorithm 1), as ``torch.optim.Adadelta``.

    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` when ``weight_decay`` =
    :math:`\lambda > 0`):

    .. math::

        s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2\\
        \Delta\theta_t &= -\frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}\, g_t\\
        u_t &= \rho\, u_{t-1} + (1-\rho)\, (\Delta\theta_t)^2\\
        \theta_t &= \theta_{t-1} + \alpha_0\, \Delta\theta_t

    The second accumulator :math:`u_t` averages the squared **updates**
    :math:`(\Delta\theta_t)^2`, which gives the step the units of θ. (The course slide
    writes :math:`\theta_t^2` in that line; that is a typo: averaging the squared
    parameters would make the step grow with the size of the weights.) Zeiler's algorithm
    has no learning rate, i.e. :math:`\alpha_0 = 1` (``lr``, the PyTorch extra scale; it is
    not a learning rate in the usual sense).

    Defaults: ``lr=1.0``, ``rho=0.9``, ``eps=1e-6``, ``weight_decay=0``. State per parameter:
    ``sq_grad_avg`` (:math:`s_t`), ``sq_update_avg`` (:math:`u_t`).
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h["lr"] = check_positive(h["lr"], "lr")
        h["rho"] = check_unit_interval(h["rho"], "rho")
        h["eps"] = check_positive(h["eps"], "eps")
        h["weight_decay"] = check_nonnegative(h["weight_decay"], "weight_decay")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {"sq_grad_avg": zeros_like(p.data), "sq_update_avg": zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        xp = namespace(p.data)
        g = self._grad(p)
        s = state["sq_grad_avg"] = ewa_(state["sq_grad_avg"], g * g, self.rho)
        delta = xp.sqrt(state["sq_update_avg"] + self.eps) / xp.sqrt(s + self.eps) * g
        state["sq_update_avg"] = ewa_(state["sq_update_avg"], delta * delta, self.rho)
        p.data = add_(p.data, -self.lr, delta)
