"""2-D test functions with analytic gradients, to watch the optimizers move.

Each landscape has ``value(w)`` and ``grad(w)`` for ``w`` of shape ``(2,)`` or ``(..., 2)``
(a whole grid at once, for contour plots), the known ``minima`` (array ``(k, 2)``), a plot
window ``bounds = ((x_min, x_max), (y_min, y_max))`` and a ``name``.
:func:`optimize` runs a real :mod:`coursenn.optim` optimizer on a landscape and returns
the trajectory::

    from coursenn import landscapes, optim
    f = landscapes.Rosenbrock()
    path = landscapes.optimize(f, optim.Adam, x0=(-1.5, 2.0), steps=2000, lr=0.05)
    X, Y, Z = f.grid()            # contour data: plt.contour(X, Y, Z)

:func:`reddi_online` reproduces the online convex problem where Adam converges to the
worst point and AMSGrad does not (Reddi, Kale & Kumar 2018).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import array_api_compat
import numpy as np

from coursenn import backend
from coursenn._common import nonnegative_int
from coursenn.nn.module import Parameter

Bounds = tuple[tuple[float, float], tuple[float, float]]


class Landscape:
    """Base class: subclasses define ``_value(x, y)`` and ``_grad(x, y) -> (gx, gy)``."""

    name: str = "landscape"
    minima: np.ndarray = np.zeros((0, 2))
    bounds: Bounds = ((-1.0, 1.0), (-1.0, 1.0))

    def _value(self, x: Any, y: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _split(w: Any) -> tuple[Any, Any, Any]:
        if not hasattr(w, "__array_namespace__"):
            w = np.asarray(w, dtype=np.float64)
        if w.ndim == 0 or w.shape[-1] != 2:
            raise ValueError(f"w must have shape (2,) or (..., 2); got shape {tuple(w.shape)}")
        return array_api_compat.array_namespace(w), w[..., 0], w[..., 1]

    def value(self, w: Any) -> Any:
        """f(w) for ``w`` of shape ``(..., 2)``; the result has shape ``w.shape[:-1]``."""
        _, x, y = self._split(w)
        return self._value(x, y)

    def grad(self, w: Any) -> Any:
        """∇f(w), same shape (and array library) as ``w``."""
        xp, x, y = self._split(w)
        gx, gy = self._grad(x, y)
        return xp.stack([gx, gy], axis=-1)

    __call__ = value

    @property
    def minimum_value(self) -> float:
        """f at the (global) minima; ``-inf`` when f is unbounded below."""
        if len(self.minima) == 0:
            return -math.inf
        return float(self.value(self.minima[0]))

    def grid(self, n: int = 201) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)`` NumPy arrays ``(n, n)`` over ``bounds``, for ``plt.contour(X, Y, Z)``."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
            raise ValueError(f"n must be an integer >= 2; got {n!r}")
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        Z = np.asarray(self.value(np.stack([X, Y], axis=-1)))
        return X, Y, Z

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Landscape):
    r"""Elongated quadratic bowl :math:`f(w) = \tfrac12 w^\top A w`, minimum at the origin.

    :math:`A = R(\varphi)\,\mathrm{diag}(\lambda, \kappa\lambda)\,R(\varphi)^\top`: curvatures
    ``curvature`` = λ and κλ along the axes rotated by ``angle`` = φ (radians), so the
    condition number is ``condition`` = κ. Gradient descent converges iff
    :math:`\alpha < 2/(\kappa\lambda)` (``max_stable_lr``) and its slowest direction
    contracts by :math:`|1-\alpha\lambda|` per step: the larger κ, the more it zigzags.
    """

    bounds: Bounds = ((-3.0, 3.0), (-3.0, 3.0))

    def __init__(self, condition: float = 10.0, angle: float = 0.0, curvature: float = 1.0) -> None:
        if not condition >= 1:
            raise ValueError(f"condition must be >= 1; got {condition!r}")
        if not curvature > 0:
            raise ValueError(f"curvature must be > 0; got {curvature!r}")
        self.condition, self.angle, self.curvature = float(condition), float(angle), float(curvature)
        c, s = math.cos(self.angle), math.sin(self.angle)
        rot = np.array([[c, -s], [s, c]])
        self.hessian = rot @ np.diag([self.curvature, self.condition * self.curvature]) @ rot.T
        self.name = f"quadrática (κ = {self.condition:g})"
        self.minima = np.zeros((1, 2))

    @property
    def max_stable_lr(self) -> float:
        """Largest learning rate for which gradient descent converges: 2 / λ_max."""
        return 2.0 / (self.condition * self.curvature)

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:
        (a, b), (_, d) = self.hessian.tolist()
        return a * x + b * y, b * x + d * y

    def _value(self, x: Any, y: Any) -> Any:
        gx, gy = self._grad(x, y)
        return 0.5 * (x * gx + y * gy)

    def __repr__(self) -> str:
        return f"Quadratic(condition={self.condition!r}, angle={self.angle!r}, curvature={self.curvature!r})"


class Rosenbrock(Landscape):
    r"""Rosenbrock's banana valley :math:`f = (a-x)^2 + b\,(y-x^2)^2`, minimum :math:`(a, a^2)`.

    The valley floor :math:`y = x^2` is easy to reach and very flat along its length.
    """

    name = "Rosenbrock"
    bounds: Bounds = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = float(a), float(b)
        self.minima = np.array([[self.a, self.a**2]])

    def _value(self, x: Any, y: Any) -> Any:
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:
        r = y - x * x
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


class Beale(Landscape):
    r"""Beale's function :math:`\sum_{i=1}^3 (c_i - x + x y^i)^2`, :math:`c = (1.5, 2.25, 2.625)`.

    Global minimum 0 at :math:`(3, 0.5)`; flat plateaus and steep walls around it.
    """

    name = "Beale"
    minima = np.array([[3.0, 0.5]])
    bounds: Bounds = ((-4.5, 4.5), (-4.5, 4.5))
    _c = (1.5, 2.25, 2.625)

    def _terms(self, x: Any, y: Any) -> list[Any]:
        return [c - x + x * y ** (i + 1) for i, c in enumerate(self._c)]

    def _value(self, x: Any, y: Any) -> Any:
        t1, t2, t3 = self._terms(x, y)
        return t1 * t1 + t2 * t2 + t3 * t3

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:
        t1, t2, t3 = self._terms(x, y)
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y * y - 1.0) + t3 * (y * y * y - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y * y * t3)
        return gx, gy


class Himmelblau(Landscape):
    r"""Himmelblau's function :math:`(x^2+y-11)^2 + (x+y^2-7)^2`: four minima, all with f = 0.

    Which minimum an optimizer reaches depends on where it starts.
    """

    name = "Himmelblau"
    minima = np.array(
        [
            [3.0, 2.0],
            [-2.805118086952745, 3.131312518250573],
            [-3.779310253377747, -3.2831859912861696],
            [3.5844283403304917, -1.8481265269644036],
        ]
    )
    bounds: Bounds = ((-5.0, 5.0), (-5.0, 5.0))

    def _value(self, x: Any, y: Any) -> Any:
        a, b = x * x + y - 11.0, x + y * y - 7.0
        return a * a + b * b

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:
        a, b = x * x + y - 11.0, x + y * y - 7.0
        return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


class Saddle(Landscape):
    r"""A saddle point at the origin: :math:`f = x^2 - y^2`, or bounded below,
    :math:`f = x^2 - y^2 + \tfrac12 y^4` (``bounded=True``).

    Both have the same Hessian :math:`\mathrm{diag}(2, -2)` at the saddle (0, 0). The plain
    saddle has no minimum (f → −∞ along y); the bounded one has two minima (0, ±1) with
    f = −½. Gradient descent started exactly on the line y = 0 stays on it and converges to
    the saddle; any perturbation in y grows by a factor :math:`1+2\alpha` per step near it.
    """

    bounds: Bounds = ((-2.0, 2.0), (-2.0, 2.0))
    saddle_points = np.zeros((1, 2))

    def __init__(self, bounded: bool = False) -> None:
        self.bounded = bool(bounded)
        self.name = "silla acotada" if self.bounded else "silla"
        self.minima = np.array([[0.0, -1.0], [0.0, 1.0]]) if self.bounded else np.zeros((0, 2))

    def _value(self, x: Any, y: Any) -> Any:
        f = x * x - y * y
        return f + 0.5 * y**4 if self.bounded else f

    def _grad(self, x: Any, y: Any) -> tuple[Any, Any]:
        gy = -2.0 * y
        return 2.0 * x, (gy + 2.0 * y**3) if self.bounded else gy

    def __repr__(self) -> str:
        return f"Saddle(bounded={self.bounded!r})"


def _check_steps(steps: Any) -> int:
    return nonnegative_int(steps, "steps")


def optimize(
    fn: Landscape,
    optimizer_cls: Callable[..., Any],
    x0: Any,
    steps: int,
    grad_noise: float = 0.0,
    **hparams: Any,
) -> np.ndarray:
    r"""Run ``optimizer_cls([w], **hparams)`` for ``steps`` steps on landscape ``fn`` from ``x0``.

    The point is a :class:`~coursenn.nn.Parameter` on the current backend (default dtype);
    each step sets ``w.grad`` = ∇f(w) (plus N(0, ``grad_noise``²) noise per coordinate
    from ``cnn.backend.rng()``, to imitate minibatch noise) and calls ``step()``.
    Returns the trajectory as a NumPy float64 array of shape ``(steps + 1, 2)``; row 0 is
    ``x0``. A diverging run is returned as is (rows may become inf/nan).
    """
    steps = _check_steps(steps)
    start = np.array(x0, dtype=np.float64, copy=True)  # never alias (and update) the caller's x0
    if start.shape != (2,):
        raise ValueError(f"x0 must be a point (x, y) of shape (2,); got shape {start.shape}")
    if not grad_noise >= 0:
        raise ValueError(f"grad_noise must be >= 0; got {grad_noise!r}")
    w = Parameter(backend.asarray(start), name="w")
    opt = optimizer_cls([w], **hparams)
    path = np.empty((steps + 1, 2))
    path[0] = backend.to_numpy(w.data)
    for t in range(1, steps + 1):
        w.zero_grad()
        g = fn.grad(w.data)
        if grad_noise > 0:
            g = g + backend.rng().normal(0.0, grad_noise, size=(2,))
        w.accumulate(g)
        opt.step()
        path[t] = backend.to_numpy(w.data)
    return path


# --------------------------------------------------------------------------- Reddi et al.


def reddi_grad(t: int, C: float = 3.0) -> float:
    r"""Gradient of :math:`f_t(x) = C x` if :math:`t \bmod 3 = 1`, else :math:`-x` (t = 1, 2, ...)."""
    return C if t % 3 == 1 else -1.0


def reddi_online(
    optimizer_cls: Callable[..., Any],
    steps: int,
    C: float = 3.0,
    x0: float = 0.0,
    lr: float = 0.5,
    decay: bool = True,
    **hparams: Any,
) -> np.ndarray:
    r"""Reddi, Kale & Kumar's (2018, §3) online problem where Adam fails; returns the iterates.

    At step :math:`t = 1, 2, \dots` the loss is :math:`f_t(x) = C x` if :math:`t \bmod 3 = 1`
    and :math:`-x` otherwise, on :math:`x \in [-1, 1]`. With :math:`C > 2` the average loss
    :math:`(C-2)x/3` is minimised at :math:`x^* = -1`. The large, rare gradient C points to
    −1 and the frequent small ones point to +1; with :math:`\beta_1 = 0`,
    :math:`\beta_2 = 1/(1+C^2)` (their Theorem 1) Adam's :math:`v_t` forgets the large
    gradient so fast that the two small steps outweigh the big one and it drifts to
    :math:`x = +1`, the *worst* point, while AMSGrad's :math:`v^{\max}_t` remembers it and
    goes to −1. Pass those betas in ``hparams``, e.g.
    ``reddi_online(Adam, 3000, betas=(0.0, 1 / (1 + 3**2)), amsgrad=True)``. With these
    defaults (C = 3, x0 = 0, lr = 0.5, decay) Adam first touches +1 before step 50 and from
    step 100 on stays above 0.9 (back at exactly +1 at the end of every 3-step cycle);
    AMSGrad stays below −0.95 from step 100 on and ends at −0.994 after 3000 steps (the
    tests check these numbers).

    The optimizer is ``optimizer_cls([x], lr=lr, **hparams)``; before step t its ``lr`` is
    set to :math:`\text{lr}/\sqrt t` (the paper's schedule; ``decay=False`` keeps it
    constant), and after the step x is projected back onto [−1, 1] (in one dimension the
    paper's :math:`\sqrt{\hat v}`-weighted projection is plain clipping). Returns the NumPy array
    ``(steps + 1,)`` of iterates :math:`x_1, \dots, x_{T+1}` (``x_t`` is where
    :math:`f_t` is evaluated).
    """
    steps = _check_steps(steps)
    if not C > 2:
        raise ValueError(f"C must be > 2 (otherwise x* = -1 is not the unique optimum); got {C!r}")
    if not -1.0 <= x0 <= 1.0:
        raise ValueError(f"x0 must be in [-1, 1]; got {x0!r}")
    x = Parameter(backend.asarray([float(x0)]), name="x")
    opt = optimizer_cls([x], lr=lr, **hparams)
    xp = array_api_compat.array_namespace(x.data)
    iterates = np.empty(steps + 1)
    iterates[0] = float(x0)
    for t in range(1, steps + 1):
        x.zero_grad()
        x.accumulate(backend.asarray([reddi_grad(t, C)]))
        if decay:
            opt.lr = lr / math.sqrt(t)
        opt.step()
        x.data = xp.clip(x.data, -1.0, 1.0)
        iterates[t] = float(backend.to_numpy(x.data)[0])
    return iterates


def reddi_regret(iterates: Any, C: float = 3.0) -> np.ndarray:
    r"""Average regret :math:`R_T/T` after each step T of :func:`reddi_online`.

    :math:`R_T = \sum_{t=1}^T f_t(x_t) - \min_{x\in[-1,1]} \sum_{t=1}^T f_t(x)`; it tends to 0
    for an algorithm that converges to the optimum and stays positive for Adam here.
    Uses ``iterates[:-1]`` (``x_1 … x_T``); returns an array of length T.
    """
    xs = np.asarray(iterates, dtype=np.float64)[:-1]
    grads = np.array([reddi_grad(t, C) for t in range(1, len(xs) + 1)])
    T = np.arange(1, len(xs) + 1)
    return (np.cumsum(grads * xs) + np.abs(np.cumsum(grads))) / T
