r"""Batch normalization (Ioffe & Szegedy, 2015) with PyTorch's running-statistics conventions."""

from __future__ import annotations

from typing import Any

from coursenn import backend
from coursenn import functional as F
from coursenn._common import positive_int, positive_number
from coursenn.nn.module import Module, Parameter


class BatchNorm1d(Module):
    r"""Normalize each feature over the batch, then scale and shift: :math:`y = \gamma\hat x + \beta`.

    Training mode uses the batch mean and the biased batch variance and updates

    .. math:: \mu_{run} \leftarrow (1-m)\,\mu_{run} + m\,\mu_B,\qquad
              \sigma^2_{run} \leftarrow (1-m)\,\sigma^2_{run} + m\,\tfrac{B}{B-1}\sigma^2_B

    (unbiased variance in the running estimate, momentum ``m`` = 0.1, exactly as PyTorch);
    evaluation mode normalizes with :math:`\mu_{run}, \sigma^2_{run}`. ``gamma`` starts at 1,
    ``beta`` at 0, ``running_mean`` at 0 and ``running_var`` at 1.
    """

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = positive_int(num_features, "num_features")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be a number in [0, 1]; got {momentum!r}")
        self.momentum = float(momentum)
        self.eps = positive_number(eps, "eps")
        self.gamma = Parameter(backend.ones((self.num_features,)), "gamma")
        self.beta = Parameter(backend.zeros((self.num_features,)), "beta")
        self.running_mean = backend.zeros((self.num_features,))
        self.running_var = backend.ones((self.num_features,))

    def forward(self, x: Any) -> Any:
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d expected input of shape (N, {self.num_features}); "
                f"got x of shape {tuple(x.shape)}"
            )
        if not self.training:
            out, self._cache = F.batchnorm_eval_forward(
                x, self.gamma.data, self.beta.data, self.running_mean, self.running_var, self.eps
            )
            return out
        out, cache = F.batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        n, m = x.shape[0], self.momentum
        self.running_mean = (1.0 - m) * self.running_mean + m * cache.mean
        self.running_var = (1.0 - m) * self.running_var + (m * n / (n - 1)) * cache.var
        self._cache = cache
        return out

    def backward(self, grad_out: Any) -> Any:
        dx, dgamma, dbeta = F.batchnorm_backward(grad_out, self._require_cache())
        self.gamma.accumulate(dgamma)
        self.beta.accumulate(dbeta)
        return dx

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, momentum={self.momentum}, eps={self.eps}"
