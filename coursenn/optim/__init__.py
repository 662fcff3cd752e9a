"""Optimizers, gradient clipping, exponentially weighted averages and LR schedules.

Every optimizer takes ``model.parameters()`` (a list of :class:`coursenn.nn.Parameter`),
has an ``lr`` attribute, ``step()``, ``zero_grad()``, ``state_dict()`` and
``load_state_dict()``; see :mod:`coursenn.optim.base` for the shared contract. Where
``torch.optim`` implements the same algorithm, argument names, defaults and update rule
follow its documented formulas.
"""

from coursenn.optim.adadelta import Adadelta
from coursenn.optim.adagrad import Adagrad
from coursenn.optim.adam import Adam, Adamax, Nadam
from coursenn.optim.base import Optimizer
from coursenn.optim.clip import clip_grad_norm, clip_grad_value
from coursenn.optim.ewa import ewa
from coursenn.optim.momentum import Momentum
from coursenn.optim.rmsprop import RMSProp
from coursenn.optim.schedules import (
    CosineAnnealingLR,
    CyclicCosineLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    StepLR,
)
from coursenn.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Adagrad",
    "RMSProp",
    "Adam",
    "Adamax",
    "Nadam",
    "Adadelta",
    "clip_grad_norm",
    "clip_grad_value",
    "ewa",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CyclicCosineLR",
    "LambdaLR",
]
