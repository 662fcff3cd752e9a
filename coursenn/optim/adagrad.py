"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coursenn.nn.module import Parameter
from coursenn.optim.base import Optimizer, add_, check_nonnegative, check_positive, namespace, root_plus_eps


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011), as ``torch.optim.Adagrad``.

    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` when ``weight_decay`` =
    :math:`\lambda > 0`):

    .. math::

        \tilde\alpha_t &= \frac{\alpha}{1 + (t-1)\,\eta} \qquad (\eta = \text{lr\_decay})\\
        G_t &= G_{t-1} + g_t^2, \qquad G_0 = \text{initial\_accumulator\_value}\\
        \theta_t &= \theta_{t-1} - \tilde\alpha_t\, \frac{g_t}{\sqrt{G_t} + \epsilon}

    Each coordinate gets its own effective learning rate
    :math:`\tilde\alpha_t / (\sqrt{G_t}+\epsilon)`, which only decreases.
    Defaults: ``lr=1e-2``, ``lr_decay=0``, ``weight_decay=0``,
    ``initial_accumulator_value=0``, ``eps=1e-10``. State per parameter: ``sq_grad_sum``
    (:math:`G_t`).
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h["lr"] = check_positive(h["lr"], "lr")
        h["lr_decay"] = check_nonnegative(h["lr_decay"], "lr_decay")
        h["weight_decay"] = check_nonnegative(h["weight_decay"], "weight_decay")
        h["initial_accumulator_value"] = check_nonnegative(
            h["initial_accumulator_value"], "initial_accumulator_value"
        )
        h["eps"] = check_positive(h["eps"], "eps")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {"sq_grad_sum": namespace(p.data).full_like(p.data, self.initial_accumulator_value)}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        g = self._grad(p)
        G = state["sq_grad_sum"] = add_(state["sq_grad_sum"], 1.0, g * g)
        lr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        p.data = add_(p.data, -lr, g / root_plus_eps(G, self.eps))
