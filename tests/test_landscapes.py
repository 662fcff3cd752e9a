"""Landscapes: analytic gradients, known minima, trajectories of the real optimizers, and
Reddi et al.'s example where Adam fails and AMSGrad does not."""

from __future__ import annotations

import numpy as np
import pytest

import coursenn as cnn
from coursenn import landscapes as L
from coursenn import optim

ALL = [
    L.Quadratic(),
    L.Quadratic(condition=25.0, angle=0.7, curvature=0.5),
    L.Rosenbrock(),
    L.Rosenbrock(a=0.5, b=10.0),
    L.Beale(),
    L.Himmelblau(),
    L.Saddle(),
    L.Saddle(bounded=True),
]
IDS = [repr(f) for f in ALL]


def numerical_grad(f, w, h=1e-6):
    """Central differences of ``f.value`` on a NumPy float64 batch ``w`` (..., 2)."""
    out = np.zeros_like(w)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[..., i] = (f.value(w + e) - f.value(w - e)) / (2 * h)
    return out


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_gradient_matches_finite_differences(xp64, f):
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = f.bounds
    w = np.stack([rng.uniform(x0, x1, size=(4, 5)), rng.uniform(y0, y1, size=(4, 5))], axis=-1)
    g = f.grad(cnn.backend.asarray(w))
    assert cnn.backend.namespace_of(g) is xp64 and tuple(g.shape) == (4, 5, 2)
    v = f.value(cnn.backend.asarray(w))
    assert tuple(v.shape) == (4, 5)
    np.testing.assert_allclose(cnn.backend.to_numpy(v), f.value(w), rtol=1e-12)
    expected = numerical_grad(f, w)
    scale = 1.0 + np.abs(expected).max()
    np.testing.assert_allclose(cnn.backend.to_numpy(g), expected, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_minima_are_stationary_and_lowest_nearby(f):
    assert f.minima.ndim == 2 and f.minima.shape[1] == 2
    rng = np.random.default_rng(1)
    for m in f.minima:
        np.testing.assert_allclose(f.grad(m), 0.0, atol=1e-9)
        assert f.value(m) == pytest.approx(f.minimum_value, abs=1e-12)
        nearby = m + rng.normal(scale=1e-2, size=(50, 2))
        assert np.all(f.value(nearby) > f.value(m))
        (x0, x1), (y0, y1) = f.bounds
        assert x0 < m[0] < x1 and y0 < m[1] < y1  # visible in the plot window


def test_known_minimum_values():
    assert L.Rosenbrock().minimum_value == 0.0
    np.testing.assert_allclose(L.Rosenbrock(a=0.5).minima, [[0.5, 0.25]])
    assert L.Beale().minimum_value == 0.0
    assert len(L.Himmelblau().minima) == 4
    assert max(abs(L.Himmelblau().value(m)) for m in L.Himmelblau().minima) < 1e-20
    assert L.Saddle(bounded=True).minimum_value == -0.5
    assert L.Saddle().minimum_value == -np.inf
    np.testing.assert_allclose(L.Saddle().grad(L.Saddle.saddle_points[0]), [0.0, 0.0])


def test_single_point_and_grid_agree():
    f = L.Himmelblau()
    X, Y, Z = f.grid(n=31)
    assert X.shape == Y.shape == Z.shape == (31, 31)
    assert X[0, 0] == f.bounds[0][0] and Y[-1, -1] == f.bounds[1][1]
    assert Z[7, 11] == pytest.approx(f.value(np.array([X[7, 11], Y[7, 11]])))
    assert f(np.array([3.0, 2.0])) == 0.0 and f.value([3.0, 2.0]) == 0.0
    assert f.grad([0.0, 0.0]).shape == (2,)
    with pytest.raises(ValueError, match="w must have shape"):
        f.value(np.zeros(3))
    with pytest.raises(ValueError, match="n must"):
        f.grid(n=1)


def test_quadratic_hessian_condition_and_stability_threshold():
    f = L.Quadratic(condition=20.0, angle=0.4, curvature=0.5)
    np.testing.assert_allclose(np.linalg.eigvalsh(f.hessian), [0.5, 10.0])
    w = np.array([0.3, -1.2])
    np.testing.assert_allclose(f.grad(w), f.hessian @ w)
    assert f.value(w) == pytest.approx(0.5 * w @ f.hessian @ w)
    assert f.max_stable_lr == pytest.approx(0.2)
    with cnn.backend.using("numpy", dtype="float64"):
        below = L.optimize(f, optim.SGD, (1.0, 1.0), 400, lr=0.98 * f.max_stable_lr)
        above = L.optimize(f, optim.SGD, (1.0, 1.0), 400, lr=1.02 * f.max_stable_lr)
    assert np.linalg.norm(below[-1]) < 1e-3
    assert np.linalg.norm(above[-1]) > 1e2
    with pytest.raises(ValueError, match="condition"):
        L.Quadratic(condition=0.5)
    with pytest.raises(ValueError, match="curvature"):
        L.Quadratic(curvature=0.0)


def test_optimize_runs_the_real_optimizer(xp64):
    f = L.Quadratic(condition=10.0, angle=0.3)
    x0 = np.array([2.0, -1.0])
    path = L.optimize(f, optim.SGD, x0, 30, lr=0.05)
    assert path.shape == (31, 2) and path.dtype == np.float64
    np.testing.assert_array_equal(path[0], [2.0, -1.0])
    np.testing.assert_array_equal(x0, [2.0, -1.0])  # the caller's start point is not modified
    # gradient descent on a quadratic: w_t = (I − αA)^t w_0
    step = np.eye(2) - 0.05 * f.hessian
    expected = [np.linalg.matrix_power(step, t) @ x0 for t in range(31)]
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)


@pytest.fixture(params=["float64", "float32"])
def numpy_dtype(request):
    """NumPy in both dtypes, for the long runs (thousands of steps are too slow on
    array_api_strict; ``test_optimize_is_the_same_on_every_backend`` covers the backends)."""
    with cnn.backend.using("numpy", dtype=request.param):
        cnn.backend.seed(0)
        yield request.param


# (landscape, start, optimizer, hyperparameters, steps, tolerance on the distance to a minimum)
CONVERGENCE = [
    (L.Quadratic(10.0, 0.5), (2.5, 2.0), optim.SGD, dict(lr=0.15), 200, 1e-3),
    (L.Quadratic(10.0, 0.5), (2.5, 2.0), optim.Momentum, dict(lr=0.15, beta=0.9), 250, 1e-3),
    (L.Quadratic(10.0, 0.5), (2.5, 2.0), optim.SGD, dict(lr=0.03, momentum=0.9, nesterov=True), 200, 1e-3),
    (L.Quadratic(10.0, 0.5), (2.5, 2.0), optim.Adam, dict(lr=0.1), 300, 1e-3),
    (L.Rosenbrock(), (-1.5, 2.0), optim.Adam, dict(lr=0.05), 3000, 1e-3),
    (L.Rosenbrock(), (-1.5, 2.0), optim.SGD, dict(lr=1e-3, momentum=0.9), 3000, 1e-3),
    (L.Beale(), (1.0, 1.0), optim.Adam, dict(lr=0.05), 2000, 1e-3),
    (L.Himmelblau(), (0.0, 0.0), optim.SGD, dict(lr=0.01), 500, 1e-3),
    (L.Himmelblau(), (-1.0, 0.0), optim.Adam, dict(lr=0.1), 1000, 1e-3),
    (L.Himmelblau(), (-1.0, -1.0), optim.Adagrad, dict(lr=0.5), 2000, 1e-3),
    (L.Himmelblau(), (1.0, -1.0), optim.Adamax, dict(lr=0.1), 2000, 1e-3),
    (L.Himmelblau(), (1.0, -1.0), optim.RMSProp, dict(lr=0.01), 2000, 1e-3),
    (L.Himmelblau(), (1.0, -1.0), optim.Nadam, dict(lr=0.05), 2000, 1e-3),
    # Adadelta's step does not shrink to zero: it ends up circling the minimum
    (L.Himmelblau(), (1.0, -1.0), optim.Adadelta, dict(), 2000, 0.1),
]


@pytest.mark.parametrize(
    "f, x0, cls, hp, steps, tol",
    CONVERGENCE,
    ids=[f"{c[0].name}-{c[2].__name__}-{i}" for i, c in enumerate(CONVERGENCE)],
)
def test_optimizers_reach_a_known_minimum(numpy_dtype, f, x0, cls, hp, steps, tol):
    path = L.optimize(f, cls, x0, steps, **hp)
    assert np.all(np.isfinite(path))
    distance = np.linalg.norm(f.minima - path[-1], axis=1).min()
    assert distance < (tol if numpy_dtype == "float64" else max(tol, 1e-2))
    assert distance < 0.05 * np.linalg.norm(f.minima - path[0], axis=1).min()


def test_optimize_is_the_same_on_every_backend(xp):
    f = L.Himmelblau()
    runs = [(cls, {}) for cls in (optim.Adam, optim.Adamax, optim.Nadam, optim.Adagrad, optim.Adadelta)]
    runs += [(optim.SGD, dict(lr=0.01, momentum=0.9)), (optim.Momentum, dict(lr=0.02)), (optim.RMSProp, {})]
    tol = (
        dict(rtol=1e-10, atol=1e-12) if cnn.backend.dtype_name() == "float64" else dict(rtol=1e-4, atol=1e-5)
    )
    for cls, hp in runs:
        path = L.optimize(f, cls, (1.0, -1.0), 40, **hp)
        with cnn.backend.using("numpy", dtype="float64"):
            expected = L.optimize(f, cls, (1.0, -1.0), 40, **hp)
        np.testing.assert_allclose(path, expected, **tol, err_msg=cls.__name__)
    reddi = L.reddi_online(optim.Adam, 60, betas=(0.0, 0.1), amsgrad=True)
    with cnn.backend.using("numpy", dtype="float64"):
        expected = L.reddi_online(optim.Adam, 60, betas=(0.0, 0.1), amsgrad=True)
    np.testing.assert_allclose(reddi, expected, **tol)


def test_saddle_traps_only_the_exact_start(numpy_dtype):
    f = L.Saddle(bounded=True)
    on_ridge = L.optimize(f, optim.SGD, (1.0, 0.0), 200, lr=0.1)
    np.testing.assert_allclose(on_ridge[-1], [0.0, 0.0], atol=1e-12)  # converges to the saddle
    escaped = L.optimize(f, optim.SGD, (1.0, 1e-6), 200, lr=0.1)
    np.testing.assert_allclose(escaped[-1], [0.0, 1.0], atol=1e-6)  # to a minimum (0, 1)
    # near the saddle the y-coordinate grows geometrically at rate 1 + 2α
    np.testing.assert_allclose(escaped[1:20, 1] / escaped[:19, 1], 1.2, rtol=1e-3)
    plain = L.optimize(L.Saddle(), optim.SGD, (1.0, 1e-6), 100, lr=0.1)
    assert abs(plain[-1, 1]) > 1e1  # unbounded below: it keeps going


def test_gradient_noise_gives_a_noise_ball(numpy_dtype):
    # SGD on f = ½‖w‖² with N(0, σ²) gradient noise: w ← (1−α)w − αξ, whose stationary
    # E‖w‖² = 2ασ²/(2−α) (two coordinates): proportional to α, the noise-ball trade-off
    f = L.Quadratic(condition=1.0)
    sigma, steps, burn_in = 1.0, 6000, 200
    radii = {}
    for lr in (0.2, 0.05):
        path = L.optimize(f, optim.SGD, (2.0, 2.0), steps, grad_noise=sigma, lr=lr)
        radii[lr] = np.mean(np.sum(path[burn_in:] ** 2, axis=1))
        assert radii[lr] == pytest.approx(2 * lr * sigma**2 / (2 - lr), rel=0.2)
    assert radii[0.05] < 0.5 * radii[0.2]
    quiet = L.optimize(f, optim.SGD, (2.0, 2.0), 300, lr=0.2)
    assert np.linalg.norm(quiet[-1]) < 1e-12


def test_optimize_rejects_bad_arguments():
    f = L.Beale()
    with pytest.raises(ValueError, match="x0"):
        L.optimize(f, optim.SGD, (1.0, 2.0, 3.0), 5, lr=0.1)
    with pytest.raises(ValueError, match="steps"):
        L.optimize(f, optim.SGD, (1.0, 2.0), -1, lr=0.1)
    with pytest.raises(ValueError, match="grad_noise"):
        L.optimize(f, optim.SGD, (1.0, 2.0), 5, grad_noise=-1.0, lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        L.optimize(f, optim.SGD, (1.0, 2.0), 5, lr=-0.1)
    assert L.optimize(f, optim.SGD, (1.0, 2.0), 0, lr=0.1).shape == (1, 2)


# --------------------------------------------------------------------------- Reddi et al. 2018

C = 3.0
REDDI_BETAS = (0.0, 1.0 / (1.0 + C**2))  # their Theorem 1


def test_reddi_adam_goes_to_the_worst_point_and_amsgrad_to_the_optimum(numpy_dtype):
    adam = L.reddi_online(optim.Adam, 3000, C=C, betas=REDDI_BETAS)
    ams = L.reddi_online(optim.Adam, 3000, C=C, betas=REDDI_BETAS, amsgrad=True)
    sgd = L.reddi_online(optim.SGD, 3000, C=C)
    assert adam.shape == ams.shape == (3001,)
    assert np.all(np.abs(adam) <= 1.0) and np.all(np.abs(ams) <= 1.0)  # projected on [−1, 1]
    # Adam reaches the worst point x = +1 within 50 steps and stays next to it: the big
    # gradient only dips it by ~lr/sqrt(t), and every cycle ends back at +1
    assert adam[:50].max() == 1.0
    assert np.all(adam[100:] > 0.9) and np.all(adam[1500::3] == 1.0)
    # AMSGrad (and SGD) settle next to the optimum x* = −1
    assert np.all(ams[100:] < -0.95) and ams[-1] < -0.99
    assert sgd[-1] < -0.98
    # average regret R_T / T: stays large for Adam, vanishes for AMSGrad
    r_adam, r_ams = L.reddi_regret(adam, C), L.reddi_regret(ams, C)
    assert r_adam[-1] > 0.6 and r_ams[-1] < 0.02
    assert r_ams[-1] < r_ams[999] < r_ams[99]


def test_reddi_gradients_and_regret_formula():
    assert [L.reddi_grad(t, C) for t in range(1, 7)] == [C, -1.0, -1.0, C, -1.0, -1.0]
    xs = np.array([0.5, -0.2, 0.1, 1.0, 0.0])
    losses = [C * 0.5, 0.2, -0.1, C * 1.0]
    # best fixed point in hindsight over the first T losses: x = −sign(Σ g_t)
    sums = np.cumsum([C, -1.0, -1.0, C])
    expected = (np.cumsum(losses) + np.abs(sums)) / np.arange(1, 5)
    np.testing.assert_allclose(L.reddi_regret(xs, C), expected)


def test_reddi_constant_lr_and_validation():
    with cnn.backend.using("numpy", dtype="float64"):
        adam = L.reddi_online(optim.Adam, 600, C=C, lr=0.1, decay=False, betas=REDDI_BETAS)
        assert adam[-1] == 1.0
    with pytest.raises(ValueError, match="C must"):
        L.reddi_online(optim.Adam, 10, C=2.0)
    with pytest.raises(ValueError, match="x0"):
        L.reddi_online(optim.Adam, 10, x0=1.5)
