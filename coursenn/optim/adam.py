"""Adam and its variants AMSGrad (``Adam(amsgrad=True)``), Adamax and Nadam."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from coursenn.nn.module import Parameter
from coursenn.optim.base import (
    Optimizer,
    add_,
    check_betas,
    check_bool,
    check_nonnegative,
    check_positive,
    copy_,
    ewa_,
    namespace,
    root_plus_eps,
    zeros_like,
)


def _validate_adam_family(h: dict[str, Any]) -> dict[str, Any]:
    h["lr"] = check_positive(h["lr"], "lr")
    h["betas"] = check_betas(h["betas"], "betas")
    h["eps"] = check_positive(h["eps"], "eps")
    h["weight_decay"] = check_nonnegative(h["weight_decay"], "weight_decay")
    return h


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015) and AMSGrad (Reddi, Kale & Kumar 2018), as ``torch.optim.Adam``.

    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` when ``weight_decay`` =
    :math:`\lambda > 0`; this is L2 regularisation, not AdamW's decoupled decay):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, &\qquad \hat m_t &= m_t/(1-\beta_1^t)\\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, &\qquad \hat v_t &= v_t/(1-\beta_2^t)\\
        \theta_t &= \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    It is momentum (first moment :math:`m_t`) plus RMSProp (second moment :math:`v_t`), both
    bias-corrected. With ``amsgrad=True`` the denominator uses the running maximum
    :math:`v^{\max}_t = \max(v^{\max}_{t-1}, v_t)` and :math:`\hat v_t = v^{\max}_t/(1-\beta_2^t)`,
    so the effective learning rate never grows: this fixes the non-convergence of Adam
    that Reddi et al. exhibit (see :func:`coursenn.landscapes.reddi_online`).

    Defaults: ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``weight_decay=0``,
    ``amsgrad=False``. State per parameter: ``grad_avg`` (:math:`m_t`), ``sq_grad_avg``
    (:math:`v_t`), ``max_sq_grad_avg`` (:math:`v^{\max}_t`, if amsgrad).
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        )

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h = _validate_adam_family(h)
        h["amsgrad"] = check_bool(h["amsgrad"], "amsgrad")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        state = {"grad_avg": zeros_like(p.data), "sq_grad_avg": zeros_like(p.data)}
        if self.amsgrad:
            state["max_sq_grad_avg"] = zeros_like(p.data)
        return state

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        g = self._grad(p)
        m = state["grad_avg"] = ewa_(state["grad_avg"], g, beta1)
        v = state["sq_grad_avg"] = ewa_(state["sq_grad_avg"], g * g, beta2)
        if self.amsgrad:
            v_max = state["max_sq_grad_avg"]
            v = state["max_sq_grad_avg"] = copy_(v_max, namespace(v).maximum(v_max, v))
        denom = root_plus_eps(v, self.eps, divisor=math.sqrt(1.0 - beta2**self.t))
        p.data = add_(p.data, -self.lr / (1.0 - beta1**self.t), m / denom)


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, as ``torch.optim.Adamax``.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
        u_t &= \max\left(\beta_2 u_{t-1},\ |g_t| + \epsilon\right)\\
        \theta_t &= \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{u_t}

    :math:`u_t` replaces :math:`\sqrt{v_t}`: it needs no bias correction, and PyTorch puts ε
    inside the max (it keeps :math:`u_t > 0`). Weight decay adds :math:`\lambda\theta_{t-1}` to
    :math:`g_t`. Defaults: ``lr=2e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0``. State per parameter: ``grad_avg`` (:math:`m_t`), ``inf_norm``
    (:math:`u_t`).
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        return _validate_adam_family(h)

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {"grad_avg": zeros_like(p.data), "inf_norm": zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        xp = namespace(p.data)
        g = self._grad(p)
        m = state["grad_avg"] = ewa_(state["grad_avg"], g, beta1)
        u = state["inf_norm"]
        u = state["inf_norm"] = copy_(u, xp.maximum(beta2 * u, xp.abs(g) + self.eps))
        p.data = add_(p.data, -self.lr / (1.0 - beta1**self.t), m / u)


class Nadam(Optimizer):
    r"""Nadam (Dozat 2016): Adam with Nesterov momentum, as ``torch.optim.NAdam``.

    With the momentum schedule :math:`\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right)`
    (:math:`\psi` = ``momentum_decay``) and gradient :math:`g_t` (plus
    :math:`\lambda\theta_{t-1}` with weight decay):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad \hat v_t = v_t/(1-\beta_2^t)\\
        \hat m_t &= \frac{\mu_{t+1}\, m_t}{1 - \prod_{i=1}^{t+1}\mu_i}
                  + \frac{(1-\mu_t)\, g_t}{1 - \prod_{i=1}^{t}\mu_i}\\
        \theta_t &= \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    The look-ahead of Nesterov's method appears as the next step's momentum
    :math:`\mu_{t+1}` applied to :math:`m_t` now. Defaults: ``lr=2e-3``,
    ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``weight_decay=0``, ``momentum_decay=4e-3``.
    State per parameter: ``grad_avg`` (:math:`m_t`), ``sq_grad_avg`` (:math:`v_t`); shared:
    ``mu_product`` (:math:`\prod_{i\le t}\mu_i`).
    """

    _scalar_state = ("mu_product",)

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
    ) -> None:
        super().__init__(
            params,
            dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay),
        )
        self.mu_product = 1.0

    def _validate(self, h: dict[str, Any]) -> dict[str, Any]:
        h = _validate_adam_family(h)
        h["momentum_decay"] = check_nonnegative(h["momentum_decay"], "momentum_decay")
        return h

    def _init_state(self, p: Parameter) -> dict[str, Any]:
        return {"grad_avg": zeros_like(p.data), "sq_grad_avg": zeros_like(p.data)}

    def _mu(self, t: int) -> float:
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _before_step(self) -> None:
        self._mu_t, self._mu_next = self._mu(self.t), self._mu(self.t + 1)
        self.mu_product *= self._mu_t

    def _update(self, p: Parameter, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        g = self._grad(p)
        m = state["grad_avg"] = ewa_(state["grad_avg"], g, beta1)
        v = state["sq_grad_avg"] = ewa_(state["sq_grad_avg"], g * g, beta2)
        denom = root_plus_eps(v, self.eps, divisor=math.sqrt(1.0 - beta2**self.t))
        mu, mu_next = self._mu_t, self._mu_next
        p.data = add_(p.data, -self.lr * (1.0 - mu) / (1.0 - self.mu_product), g / denom)
        p.data = add_(p.data, -self.lr * mu_next / (1.0 - self.mu_product * mu_next), m / denom)
