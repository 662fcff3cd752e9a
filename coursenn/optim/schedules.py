"""Learning-rate schedules: each ``step()`` sets ``optimizer.lr`` from a closed formula.

Usage (as ``torch.optim.lr_scheduler``; call ``step()`` once per epoch, or once per
iteration if the schedule is counted in iterations)::

    opt = cnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = cnn.optim.CosineAnnealingLR(opt, T_max=50)
    for epoch in range(50):
        ...  # train one epoch with opt
        sched.step()

``base_lr`` is the optimizer's ``lr`` when the schedule is created; ``t`` counts the
calls to ``step()``; ``lr_at(t)`` is the formula, so ``[s.lr_at(t) for t in range(T)]``
gives the whole schedule for a plot without touching the optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from coursenn._common import nonnegative_int
from coursenn._common import positive_int as _check_positive_int
from coursenn.optim.base import check_nonnegative, check_positive, check_real


class LRScheduler:
    """Base class: ``t`` steps taken, ``base_lr``, ``lr_at(t)`` (override), ``step()``."""

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                "optimizer must have an 'lr' attribute (a coursenn.optim optimizer); "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = check_positive(optimizer.lr, "optimizer.lr")
        self.t = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:  # pragma: no cover - abstract
        r"""The learning rate :math:`\alpha_t` after ``t`` calls to ``step()`` (the schedule's formula)."""
        raise NotImplementedError

    @property
    def lr(self) -> float:
        """The learning rate for the current step, ``lr_at(t)``."""
        return self.lr_at(self.t)

    def step(self) -> float:
        """Advance one step (``t += 1``), set ``optimizer.lr`` and return it."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)
        return self.optimizer.lr

    def state_dict(self) -> dict[str, Any]:
        """``{"t": ..., "base_lr": ...}`` (the hyperparameters are constructor arguments)."""
        return {"t": self.t, "base_lr": self.base_lr}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``t`` and ``base_lr`` and set ``optimizer.lr`` accordingly."""
        t = state_dict.get("t")
        if hasattr(t, "item"):
            t = t.item()
        t = nonnegative_int(t, "state_dict['t']")
        base_lr = check_positive(state_dict.get("base_lr"), "state_dict['base_lr']")
        self.t, self.base_lr = t, base_lr
        self.optimizer.lr = self.lr_at(self.t)

    def _describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self._describe()
        return f"{type(self).__name__}(base_lr={self.base_lr!r}{', ' + extra if extra else ''}, t={self.t})"


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` steps (as PyTorch's ``StepLR``).

    .. math:: \alpha_t = \alpha_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_positive_int(step_size, "step_size")
        self.gamma = check_positive(gamma, "gamma")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)

    def _describe(self) -> str:
        return f"step_size={self.step_size}, gamma={self.gamma!r}"


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every step (``torch.optim.lr_scheduler.ExponentialLR``).

    .. math:: \alpha_t = \alpha_0\, \gamma^{t}
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = check_positive(gamma, "gamma")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t

    def _describe(self) -> str:
        return f"gamma={self.gamma!r}"


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from ``base_lr`` to ``eta_min`` in ``T_max`` steps (Loshchilov & Hutter 2017).

    .. math::

        \alpha_t = \eta_{\min} + \tfrac12 (\alpha_0 - \eta_{\min})
                   \left(1 + \cos\frac{\pi t}{T_{\max}}\right)

    the closed form of ``torch.optim.lr_scheduler.CosineAnnealingLR`` (after ``T_max`` steps
    the cosine climbs back; use :class:`CyclicCosineLR` for restarts).
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _check_positive_int(T_max, "T_max")
        self.eta_min = check_nonnegative(eta_min, "eta_min")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.eta_min + 0.5 * (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * t / self.T_max))

    def _describe(self) -> str:
        return f"T_max={self.T_max}, eta_min={self.eta_min!r}"


class CyclicCosineLR(LRScheduler):
    r"""Cosine annealing with warm restarts every ``cycle_length`` steps, for snapshot ensembles.

    Huang et al. (2017) train one network with :math:`M` cycles of :math:`T/M` iterations
    each and keep a copy ("snapshot") of the weights at the end of every cycle, where the
    learning rate is smallest; the restart to :math:`\alpha_0` then kicks the weights out
    of that minimum towards another one. Their schedule, with :math:`L` = ``cycle_length``
    :math:`= \lceil T/M \rceil` and iteration :math:`t` counted from 0, is

    .. math::

        \alpha_t = \eta_{\min} + \tfrac12 (\alpha_0 - \eta_{\min})
                   \left(1 + \cos\frac{\pi\, (t \bmod L)}{L}\right)

    (:math:`\eta_{\min} = 0` in the paper; this is also SGDR with a constant period,
    Loshchilov & Hutter 2017, i.e. ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``
    with ``T_mult=1``). After each ``step()``, :attr:`cycle_end` is True when a cycle has
    just finished: the moment to take a snapshot. ``CyclicCosineLR.from_budget(opt,
    total_steps, cycles)`` sets :math:`L = \lceil T/M \rceil`.
    """

    def __init__(self, optimizer: Any, cycle_length: int, eta_min: float = 0.0) -> None:
        self.cycle_length = _check_positive_int(cycle_length, "cycle_length")
        self.eta_min = check_nonnegative(eta_min, "eta_min")
        super().__init__(optimizer)

    @classmethod
    def from_budget(
        cls, optimizer: Any, total_steps: int, cycles: int, eta_min: float = 0.0
    ) -> CyclicCosineLR:
        """Huang et al.'s parametrisation: ``cycles`` = M cycles in ``total_steps`` = T steps."""
        total_steps = _check_positive_int(total_steps, "total_steps")
        cycles = _check_positive_int(cycles, "cycles")
        if cycles > total_steps:
            raise ValueError(f"cycles must be <= total_steps; got cycles={cycles}, total_steps={total_steps}")
        return cls(optimizer, math.ceil(total_steps / cycles), eta_min=eta_min)

    def lr_at(self, t: int) -> float:
        phase = (t % self.cycle_length) / self.cycle_length
        return self.eta_min + 0.5 * (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * phase))

    @property
    def cycle_end(self) -> bool:
        """True right after the step that completed a cycle (take a snapshot now)."""
        return self.t > 0 and self.t % self.cycle_length == 0

    @property
    def cycle(self) -> int:
        """Number of completed cycles."""
        return self.t // self.cycle_length

    def _describe(self) -> str:
        return f"cycle_length={self.cycle_length}, eta_min={self.eta_min!r}"


class LambdaLR(LRScheduler):
    r"""Any schedule given as a factor of the initial rate (``torch.optim.lr_scheduler.LambdaLR``).

    .. math:: \alpha_t = \alpha_0\, f(t)

    For example ``LambdaLR(opt, lambda t: 1 / (t + 1))`` decays as :math:`1/t`, which meets
    Robbins & Monro's (1951) conditions :math:`\sum_t \alpha_t = \infty`,
    :math:`\sum_t \alpha_t^2 < \infty` for SGD to converge to the optimum itself instead of
    a noise ball.
    """

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a callable t -> factor; got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        factor = check_real(self.lr_lambda(t), f"lr_lambda({t})")
        if factor < 0:
            raise ValueError(f"lr_lambda({t}) must be >= 0; got {factor!r}")
        return self.base_lr * factor
