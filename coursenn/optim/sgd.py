"""Stochastic gradient descent with PyTorch-style (heavy-ball) momentum and Nesterov."""

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
    check_real,
    copy_,
    scale_add_,
    zeros_like,
)


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (as ``torch.optim.SGD``).

    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` when ``weight_decay`` =
    :math:`\lambda > 0`), momentum :math:`\mu`, dampening :math:`\tau` and learning rate
    :math:`\alpha`:

    .. math::

        b_t &= \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases}\\
        d_t &= \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\ b_t & \text{otherwise} \end{cases}\\
        \theta_t &= \theta_{t-1} - \alpha\, d_t

    With ``momentum=0`` this is plain SGD, :math:`\theta_t = \theta_{t-1} - \alpha g_t`
    (Robbins & Monro 1951). The momentum form is Polyak's heavy ball (Polyak 1964) written
    as PyTorch does (:math:`b` is a *sum* of past gradients, not an average; see
    :class:`~coursenn.optim.Momentum` for the rescaling to the slides' averaged form);
    ``nesterov=True`` is Nesterov's accelerated gradient in the form of Sutskever et al.
    (2013), which evaluates the look-ahead through :math:`g_t + \mu b_t`.

    Defaults: ``momentum=0``, ``dampening=0``, ``nesterov=False``, ``weight_decay=0``
    (``lr`` has no default). State per parameter: ``momentum_buffer`` (:math:`b_t`) when
    ``momentum > 0``.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay),
        )

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h["lr"] = check_positive(h["lr"], "lr")
        h["momentum"] = check_nonnegative(h["momentum"], "momentum")
        h["dampening"] = check_real(h["dampening"], "dampening")
        if not 0.0 <= h["dampening"] <= 1.0:
            raise ValueError(f"dampening must be in [0, 1]; got {h['dampening']!r}")
        h["nesterov"] = check_bool(h["nesterov"], "nesterov")
        if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0; "
                f"got momentum={h['momentum']!r}, dampening={h['dampening']!r}"
            )
        h["weight_decay"] = check_nonnegative(h["weight_decay"], "weight_decay")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        if self.momentum == 0:
            return {}
        return {"momentum_buffer": zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        g = self._grad(p)
        if self.momentum != 0:
            b = state["momentum_buffer"]
            if self.t == 1:
                b = copy_(b, g)
            else:
                b = scale_add_(b, self.momentum, g if self.dampening == 0 else (1.0 - self.dampening) * g)
            state["momentum_buffer"] = b
            g = g + self.momentum * b if self.nesterov else b
        p.data = add_(p.data, -self.lr, g)
