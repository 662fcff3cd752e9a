r"""Dropout (Hinton et al., 2012; Srivastava et al., 2014), over :mod:`coursenn.functional`."""

from __future__ import annotations

from typing import Any

from coursenn import functional as F
from coursenn.nn.module import Module


class Dropout(Module):
    r"""Drop each unit with probability ``p`` during training.

    ``p`` is the probability of **dropping** (as PyTorch); the slides' code uses the keep
    probability :math:`q = 1 - p` instead (its ``p = 0.5`` "probability of keeping a unit").
    ``mode="inverted"`` (default): training :math:`y = m \odot x / q`, evaluation :math:`y = x`.
    ``mode="scale_at_inference"`` (the slides' first solution): training :math:`y = m \odot x`,
    evaluation :math:`y = q\,x`. Either way :math:`\mathbb{E}[y_{train}] = y_{eval}`.
    """

    def __init__(self, p: float = 0.5, mode: str = "inverted") -> None:
        super().__init__()
        F._check_dropout_args(p, mode)
        self.p = float(p)
        self.mode = mode

    def forward(self, x: Any) -> Any:
        out, self._cache = F.dropout_forward(x, self.p, self.training, self.mode)
        return out

    def backward(self, grad_out: Any) -> Any:
        return F.dropout_backward(grad_out, self._require_cache())

    def extra_repr(self) -> str:
        return f"p={self.p}" + ("" if self.mode == "inverted" else f", mode={self.mode!r}")
