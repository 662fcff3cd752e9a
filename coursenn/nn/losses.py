r"""Loss objects: ``loss = loss_fn(pred, target)``, then ``loss_fn.backward()`` = ∂L/∂pred."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coursenn import functional as F
from coursenn.nn.module import Module


class _Loss(Module):
    """Calls a :mod:`coursenn.functional` loss and keeps its gradient for :meth:`backward`."""

    _fn: Callable[[Any, Any], tuple[Any, Any]]

    def __call__(self, pred: Any, target: Any) -> Any:  # type: ignore[override]
        return self.forward(pred, target)

    def forward(self, pred: Any, target: Any) -> Any:  # type: ignore[override]
        loss, self._cache = type(self)._fn(pred, target)
        return loss

    def backward(self, grad_out: Any = None) -> Any:
        """Gradient of the last loss with respect to ``pred`` (times ``grad_out`` if given)."""
        grad = self._require_cache()
        return grad if grad_out is None else grad * grad_out


class MSELoss(_Loss):
    r"""Mean squared error over all elements, :math:`\frac1M\sum_i(\hat y_i - y_i)^2`
    (as ``torch.nn.MSELoss``)."""

    _fn = staticmethod(F.mse)


class CrossEntropyLoss(_Loss):
    r"""Softmax + cross-entropy on logits (N, C), targets integer labels (N,) or one-hot (N, C);
    mean over the batch (``torch.nn.CrossEntropyLoss``)."""

    _fn = staticmethod(F.softmax_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    r"""Sigmoid + binary cross-entropy on logits, mean over all elements (``torch.nn.BCEWithLogitsLoss``)."""

    _fn = staticmethod(F.bce_with_logits)
