r"""Datasets of the book, generated locally (no downloads) and returned as backend arrays.

* :func:`mnist1d` — MNIST-1D (Greydanus 2020): 10 classes of 1-D signals of length 40,
  generated with the ``mnist1d`` package (its official arguments, so the data match the
  published dataset).
* :func:`spirals`, :func:`moons` — 2-D classification toys.
* :func:`gabor` — a 1-D regression toy (a Gabor wave packet plus noise, as in Prince 2023).
* :func:`linear_regression` — a least-squares problem with the constants :math:`c`,
  :math:`\sigma^2`, :math:`\mu^2` of the SGD noise-ball bound (Turinici 2021).

Sampling is host-side with a ``numpy.random.Generator`` seeded by ``seed``; the result is
moved to the current backend with :func:`coursenn.backend.asarray` (features in the default
float dtype, class labels in ``int64``). The global NumPy random state is never touched.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from coursenn import backend
from coursenn._common import nonnegative_int
from coursenn._common import positive_int as _positive_int


# ------------------------------------------------------------------------------ checks
def _non_negative(value: Any, argument: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not value >= 0
    ):
        raise ValueError(f"{argument} must be a non-negative number; got {value!r}")
    return float(value)


def _seed(value: Any) -> int:
    return nonnegative_int(value, "seed")


def _features(a: np.ndarray) -> Any:
    return backend.asarray(np.array(a, dtype=np.float64))


def _labels(a: np.ndarray) -> Any:
    return backend.asarray(np.array(a, dtype=np.int64), dtype="int64")


# ------------------------------------------------------------------------------ MNIST-1D
@dataclass(frozen=True)
class Split:
    """A train/test split of backend arrays; unpacks as ``X_train, y_train, X_test, y_test``."""

    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any

    def __iter__(self) -> Iterator[Any]:
        return iter((self.X_train, self.y_train, self.X_test, self.y_test))


@functools.lru_cache(maxsize=8)
def _mnist1d_raw(n_samples: int, seed: int, train_split: float) -> tuple[np.ndarray, ...]:
    """Generate MNIST-1D with the package's official arguments (seconds; cached per process).

    ``mnist1d.data.make_dataset`` generates in memory (no download, no file); it reseeds the
    global ``numpy.random`` and ``random`` states, which are saved and restored here.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = n_samples, seed, train_split
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    out = (data["x"], data["y"], data["x_test"], data["y_test"])
    for a in out:
        a.setflags(write=False)  # the cache is shared: callers get copies
    return out


def mnist1d(
    n_samples: int = 5000, standardize: bool = True, seed: int = 42, train_split: float = 0.8
) -> Split:
    r"""MNIST-1D (Greydanus 2020): ``n_samples`` signals of length 40 in 10 classes.

    With the defaults (5000 samples, seed 42, 80 % train) the data are those of the
    official dataset: 4000 training and 1000 test signals. The first call generates
    them locally with ``mnist1d.data.make_dataset`` (a few seconds; never downloads);
    later calls with the same arguments reuse an in-process cache.

    ``standardize=True`` standardizes each of the 40 features with the *training*
    statistics only, :math:`x \leftarrow (x - \bar x_{\text{train}}) / s_{\text{train}}`
    (population std), applied to both splits, so no test information leaks into training.

    Returns a :class:`Split` with ``X`` of shape (N, 40) in the default float dtype and
    ``y`` of shape (N,) in ``int64``. ``n_samples`` is rounded down to a multiple of 10
    (the package draws the same number of signals per class).
    """
    n_samples = _positive_int(n_samples, "n_samples")
    if n_samples < 20:
        raise ValueError(f"n_samples must be at least 20 (2 per class and split); got {n_samples}")
    if not isinstance(train_split, float) or not 0.0 < train_split < 1.0:
        raise ValueError(f"train_split must be a float in (0, 1); got {train_split!r}")
    X_train, y_train, X_test, y_test = _mnist1d_raw(n_samples, _seed(seed), train_split)
    if standardize:
        mean = X_train.mean(axis=0)
        std = X_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    return Split(_features(X_train), _labels(y_train), _features(X_test), _labels(y_test))


# ------------------------------------------------------------------------------ 2-D toys
def _shuffled(gen: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    order = gen.permutation(len(y))
    return _features(X[order]), _labels(y[order])


def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[Any, Any]:
    r"""Interleaved spirals (the CS231n toy): ``n_classes`` arms of ``n_per_class`` points.

    Arm :math:`j` has radius :math:`r = \text{linspace}(0, 1)` and angle
    :math:`t = \text{linspace}(4j, 4(j+1)) + \text{noise}\cdot\varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0,1)`; the point is :math:`(r\sin t,\ r\cos t)`.
    Returns ``(X, y)``: X (N, 2) float, y (N,) int64 labels, in shuffled order.
    """
    n = _positive_int(n_per_class, "n_per_class")
    k = _positive_int(n_classes, "n_classes")
    noise = _non_negative(noise, "noise")
    gen = np.random.default_rng(_seed(seed))
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    labels = np.repeat(np.arange(k), n)
    t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), n) for j in range(k)])
    t = t + noise * gen.standard_normal(n * k)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _shuffled(gen, X, labels)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Any, Any]:
    r"""Two interleaving half circles (as ``sklearn.datasets.make_moons``).

    Class 0: :math:`(\cos s, \sin s)`; class 1: :math:`(1 - \cos s,\ \tfrac12 - \sin s)`,
    :math:`s \in [0, \pi]` evenly spaced, plus Gaussian noise of std ``noise``. Class 0 gets
    :math:`\lceil n/2 \rceil` points. Returns ``(X, y)``: X (n, 2) float, y (n,) int64, shuffled.
    """
    n = _positive_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 (one point per class); got {n}")
    noise = _non_negative(noise, "noise")
    gen = np.random.default_rng(_seed(seed))
    n_outer = (n + 1) // 2
    s_outer = np.linspace(0.0, np.pi, n_outer)
    s_inner = np.linspace(0.0, np.pi, n - n_outer)
    X = np.concatenate(
        [
            np.stack([np.cos(s_outer), np.sin(s_outer)], axis=1),
            np.stack([1.0 - np.cos(s_inner), 0.5 - np.sin(s_inner)], axis=1),
        ]
    )
    X = X + noise * gen.standard_normal(X.shape)
    labels = np.concatenate([np.zeros(n_outer, dtype=np.int64), np.ones(n - n_outer, dtype=np.int64)])
    return _shuffled(gen, X, labels)


# ------------------------------------------------------------------------------ 1-D regression
GABOR_PHI = (0.0, 25.0)


def gabor_function(x: Any, phi0: float = GABOR_PHI[0], phi1: float = GABOR_PHI[1]) -> Any:
    r"""The Gabor wave packet of Prince (2023, ch. 6), the true curve of :func:`gabor`:

    .. math:: f(x) = \sin(u)\,\exp\!\left(-\frac{u^2}{32}\right),\qquad u = \phi_0 + 0.06\,\phi_1 x

    with :math:`(\phi_0, \phi_1) = (0, 25)` by default, i.e. :math:`u = 1.5x`. Works on
    NumPy and backend arrays (same type out); Python numbers and lists give NumPy arrays.
    """
    if isinstance(x, (int, float, list, tuple)):
        x = np.asarray(x, dtype=np.float64)
    xp = array_api_compat.array_namespace(x)
    u = phi0 + 0.06 * phi1 * x
    return xp.sin(u) * xp.exp(-(u * u) / 32.0)


def gabor(
    n: int = 60, noise: float = 0.1, seed: int = 0, x_range: tuple[float, float] = (-5.0, 5.0)
) -> tuple[Any, Any]:
    r"""1-D toy regression: :math:`x_i \sim U[\text{x\_range}]`,
    :math:`y_i = f(x_i) + \text{noise}\cdot\varepsilon_i`, :math:`\varepsilon_i \sim \mathcal N(0, 1)`,
    with :math:`f` = :func:`gabor_function` (about two and a half oscillations over the default
    range, decaying at the ends).
    Returns ``(x, y)``, both of shape (n, 1) in the default float dtype (ready for
    ``Linear(1, ...)`` and ``MSELoss``); evaluate the true curve on a grid with
    ``gabor_function(x_grid)``.
    """
    n = _positive_int(n, "n")
    noise = _non_negative(noise, "noise")
    if (
        not isinstance(x_range, (tuple, list))
        or len(x_range) != 2
        or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in x_range)
        or not x_range[0] < x_range[1]
    ):
        raise ValueError(
            f"x_range must be a pair (low, high) of finite numbers with low < high; got {x_range!r}"
        )
    gen = np.random.default_rng(_seed(seed))
    x = gen.uniform(x_range[0], x_range[1], size=(n, 1))
    y = gabor_function(x) + noise * gen.standard_normal((n, 1))
    return _features(x), _features(y)


# ------------------------------------------------------------------------------ linear regression
@dataclass(frozen=True)
class LinearRegressionProblem:
    r"""Least squares with the constants of the SGD noise-ball bound (see :func:`linear_regression`).

    Arrays (backend, default float dtype): ``X`` (n, d), ``y`` (n,), ``w_true`` (d,),
    ``w_star`` (d,), ``hessian`` (d, d). Constants (Python floats): ``c``, ``L``,
    ``sigma2``, ``sigma2_star``, ``mu2``, ``radius``, ``risk_star``.
    """

    X: Any
    y: Any
    w_true: Any
    w_star: Any
    hessian: Any
    c: float
    L: float
    sigma2: float
    sigma2_star: float
    mu2: float
    radius: float
    risk_star: float

    def noise_ball(self, lr: float, batch_size: int = 1) -> float:
        r"""Turinici's bound for minibatches of ``batch_size`` = B drawn with replacement:

        .. math:: \limsup_t \mathbb E\|W_t - w^*\|^2 \le \alpha\,(\sigma^2/B + \mu^2)/(2c)
        """
        if not lr > 0:
            raise ValueError(f"lr must be > 0; got {lr!r}")
        b = _positive_int(batch_size, "batch_size")
        return lr * (self.sigma2 / b + self.mu2) / (2.0 * self.c)


def linear_regression(
    n: int = 500,
    d: int = 2,
    noise: float = 0.5,
    seed: int = 0,
    radius: float | None = None,
    feature_scales: Any = None,
) -> LinearRegressionProblem:
    r"""A linear-regression problem and the constants of the SGD convergence theorem.

    **Data.** :math:`x_i = s \odot \xi_i`, :math:`\xi_i \sim \mathcal N(0, I_d)` with per-feature
    scales :math:`s` (``feature_scales``, default all ones), :math:`w_{\text{true}} \sim \mathcal N(0, I_d)`,
    :math:`y_i = x_i^\top w_{\text{true}} + \text{noise}\cdot\varepsilon_i`, :math:`i = 1..n`.

    **Loss.** Per sample :math:`L(x, y; w) = \tfrac12 (x^\top w - y)^2`; the risk is the
    expectation over the *empirical* distribution (SGD draws one of the :math:`n` samples
    uniformly, with replacement):

    .. math:: \mathcal L(w) = \frac1n\sum_i \tfrac12 (x_i^\top w - y_i)^2,\quad
              \nabla\mathcal L(w) = H (w - w^*),\quad H = \frac1n X^\top X,

    so :math:`w^*` (``w_star``) is the least-squares solution, not ``w_true``;
    ``risk_star`` :math:`= \mathcal L(w^*)`.

    **Constants** (``radius`` :math:`R` defines the region of interest
    :math:`\Theta = \{w : \|w - w^*\| \le R\}`; default :math:`R = \|w^*\|`, so
    :math:`\Theta` contains the usual start :math:`W_0 = 0`):

    * ``c`` :math:`= \lambda_{\min}(H)`: strong-convexity constant of :math:`\mathcal L`.
      ``L`` :math:`= \lambda_{\max}(H)`: smoothness constant.
    * ``mu2`` :math:`= \sup_\Theta \|\nabla\mathcal L(w)\|^2 = \lambda_{\max}(H)^2 R^2`.
    * ``sigma2_star``: the variance (trace of the covariance) of the per-sample gradient
      :math:`g_i(w) = x_i (x_i^\top w - y_i)` at :math:`w^*`,
      :math:`\frac1n\sum_i \|x_i\|^2 r_i^2` with :math:`r_i = x_i^\top w^* - y_i`
      (its mean, :math:`\nabla\mathcal L(w^*)`, is 0).
    * ``sigma2``: an upper bound of :math:`\sup_\Theta \operatorname{var} g(w)`. Writing
      :math:`\delta = w - w^*`, :math:`g_i - \nabla\mathcal L = A_i\delta + b_i` with
      :math:`A_i = x_i x_i^\top - H`, :math:`b_i = x_i r_i`, so
      :math:`\operatorname{var} g(w) = \delta^\top M\delta + 2 v^\top\delta + \sigma^2_*` with
      :math:`M = \frac1n\sum A_i^2`, :math:`v = \frac1n\sum A_i b_i`; by Cauchy–Schwarz
      ``sigma2`` :math:`= \lambda_{\max}(M) R^2 + 2\|v\| R + \sigma^2_*`.

    With these, for SGD with constant :math:`\alpha < 1/(2c)` whose iterates stay in
    :math:`\Theta`, :math:`\limsup_t \mathbb E\|W_t - w^*\|^2 \le \alpha(\sigma^2 + \mu^2)/(2c)`
    (:meth:`LinearRegressionProblem.noise_ball`).
    """
    n = _positive_int(n, "n")
    d = _positive_int(d, "d")
    if n < d:
        raise ValueError(
            f"n must be >= d for a strongly convex risk (H = XᵀX/n invertible); got n={n}, d={d}"
        )
    noise = _non_negative(noise, "noise")
    scales = np.ones(d) if feature_scales is None else np.asarray(feature_scales, dtype=np.float64)
    if scales.shape != (d,) or not np.all(scales > 0) or not np.all(np.isfinite(scales)):
        raise ValueError(
            f"feature_scales must be {d} positive finite numbers (one per feature); got {feature_scales!r}"
        )
    gen = np.random.default_rng(_seed(seed))
    w_true = gen.standard_normal(d)
    X = gen.standard_normal((n, d)) * scales
    y = X @ w_true + noise * gen.standard_normal(n)

    H = X.T @ X / n
    w_star = np.linalg.solve(H, X.T @ y / n)
    r = X @ w_star - y
    eig_H = np.linalg.eigvalsh(H)
    R = float(np.linalg.norm(w_star)) if radius is None else _non_negative(radius, "radius")
    A = X[:, :, None] * X[:, None, :] - H  # (n, d, d): x_i x_iᵀ - H
    b = X * r[:, None]  # (n, d): x_i r_i
    M = np.einsum("nij,njk->ik", A, A) / n
    v = np.einsum("nij,nj->i", A, b) / n
    sigma2_star = float(np.mean(np.sum(b * b, axis=1)))
    sigma2 = float(np.linalg.eigvalsh(M)[-1]) * R**2 + 2.0 * float(np.linalg.norm(v)) * R + sigma2_star
    return LinearRegressionProblem(
        X=_features(X),
        y=_features(y),
        w_true=_features(w_true),
        w_star=_features(w_star),
        hessian=_features(H),
        c=float(eig_H[0]),
        L=float(eig_H[-1]),
        sigma2=sigma2,
        sigma2_star=sigma2_star,
        mu2=float(eig_H[-1]) ** 2 * R**2,
        radius=R,
        risk_star=float(0.5 * np.mean(r * r)),
    )


__all__ = [
    "GABOR_PHI",
    "LinearRegressionProblem",
    "Split",
    "gabor",
    "gabor_function",
    "linear_regression",
    "mnist1d",
    "moons",
    "spirals",
]
