"""Tests of coursenn.data: shapes, dtypes, seeding, standardization and the SGD constants."""

from __future__ import annotations

import random

import numpy as np
import pytest

import coursenn as cnn
from coursenn import data


def _np(a):
    return cnn.backend.to_numpy(a)


# ------------------------------------------------------------------------------ MNIST-1D
@pytest.fixture(scope="module")
def raw_mnist1d():
    """The generated dataset (numpy backend), once per module: generation takes seconds."""
    with cnn.backend.using("numpy", dtype="float64"):
        return data.mnist1d()


def test_mnist1d_shapes_dtypes_and_labels(raw_mnist1d):
    X_train, y_train, X_test, y_test = raw_mnist1d  # Split unpacks
    assert X_train.shape == (4000, 40) and X_test.shape == (1000, 40)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert y_train.dtype == np.int64
    assert set(np.unique(y_train)) == set(range(10))
    assert np.bincount(y_train).min() > 300  # roughly balanced classes


def test_mnist1d_standardizes_with_training_statistics_only(raw_mnist1d):
    s = raw_mnist1d
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(s.X_train.std(axis=0), 1.0, rtol=1e-10)
    # the test split is transformed with the training mean/std, so it is not exactly standard
    assert np.abs(s.X_test.mean(axis=0)).max() > 1e-3
    with cnn.backend.using("numpy", dtype="float64"):
        raw = data.mnist1d(standardize=False)
    mean, std = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
    np.testing.assert_allclose(s.X_test, (raw.X_test - mean) / std, rtol=1e-10, atol=1e-12)


def test_mnist1d_is_cached_copied_and_leaves_global_rng_alone(raw_mnist1d):
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    with cnn.backend.using("numpy", dtype="float64"):
        again = data.mnist1d()  # cached: same values, new arrays
    assert np.random.random() == expected_np and random.random() == expected_py
    assert again.X_train is not raw_mnist1d.X_train
    again.y_train[0] = -1  # mutating a result must not corrupt the cache
    with cnn.backend.using("numpy", dtype="float64"):
        assert data.mnist1d().y_train[0] == raw_mnist1d.y_train[0] != -1


def test_mnist1d_on_every_backend(xp, raw_mnist1d):
    s = data.mnist1d()
    assert s.X_train.dtype == cnn.backend.default_dtype() and s.y_train.dtype == xp.int64
    assert cnn.backend.namespace_of(s.X_train) is cnn.backend.xp()
    np.testing.assert_allclose(_np(s.X_train), raw_mnist1d.X_train, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs", [dict(n_samples=0), dict(n_samples=10), dict(train_split=1.0), dict(seed=-1), dict(seed=1.5)]
)
def test_mnist1d_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        data.mnist1d(**kwargs)


# ------------------------------------------------------------------------------ 2-D toys
def test_spirals_and_moons(xp):
    X, y = data.spirals(n_per_class=50, n_classes=4, noise=0.1, seed=3)
    assert X.shape == (200, 2) and y.shape == (200,)
    assert X.dtype == cnn.backend.default_dtype() and y.dtype == xp.int64
    assert np.bincount(_np(y)).tolist() == [50] * 4
    assert np.abs(_np(X)).max() <= 1.5
    X2, y2 = data.spirals(n_per_class=50, n_classes=4, noise=0.1, seed=3)
    np.testing.assert_array_equal(_np(X), _np(X2))
    Xm, ym = data.moons(101, noise=0.0, seed=0)
    assert Xm.shape == (101, 2) and np.bincount(_np(ym)).tolist() == [51, 50]
    Xh, yh = _np(Xm), _np(ym)
    # noiseless moons lie on their circles: class 0 on the unit circle, class 1 around (1, 0.5)
    np.testing.assert_allclose(np.hypot(Xh[yh == 0, 0], Xh[yh == 0, 1]), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.hypot(Xh[yh == 1, 0] - 1, Xh[yh == 1, 1] - 0.5), 1.0, rtol=1e-5)


def test_toys_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_per_class"):
        data.spirals(n_per_class=0)
    with pytest.raises(ValueError, match="noise"):
        data.moons(10, noise=-1.0)
    with pytest.raises(ValueError, match="x_range"):
        data.gabor(10, x_range=(1.0, -1.0))


# ------------------------------------------------------------------------------ Gabor
def test_gabor_follows_its_formula(xp):
    x, y = data.gabor(n=500, noise=0.0, seed=1, x_range=(-2.0, 3.0))
    assert x.shape == (500, 1) and y.shape == (500, 1) and y.dtype == cnn.backend.default_dtype()
    xh = _np(x).astype(np.float64)
    assert xh.min() >= -2.0 and xh.max() <= 3.0
    u = 1.5 * xh
    np.testing.assert_allclose(_np(y), np.sin(u) * np.exp(-(u**2) / 32), atol=1e-5)
    np.testing.assert_allclose(_np(data.gabor_function(x)), _np(y), atol=1e-6)  # backend in, backend out
    assert isinstance(data.gabor_function([0.0, 1.0]), np.ndarray)


def test_gabor_noise_has_the_requested_std():
    with cnn.backend.using("numpy", dtype="float64"):
        x, y = data.gabor(n=20000, noise=0.3, seed=2)
        residual = y - data.gabor_function(x)
    assert abs(residual.std() - 0.3) < 0.01


# ------------------------------------------------------------------------------ linear regression
@pytest.fixture(scope="module")
def problem():
    with cnn.backend.using("numpy", dtype="float64"):
        return data.linear_regression(n=300, d=3, noise=0.5, seed=4, feature_scales=[1.0, 2.0, 0.5])


def test_linear_regression_optimum_and_curvature(problem):
    X, y, w = problem.X, problem.y, problem.w_star
    np.testing.assert_allclose(X.T @ (X @ w - y) / len(y), 0.0, atol=1e-10)  # ∇𝓛(w*) = 0
    H = X.T @ X / len(y)
    eig = np.linalg.eigvalsh(H)
    assert problem.c == pytest.approx(eig[0]) and problem.L == pytest.approx(eig[-1])
    assert problem.c < problem.L  # the scales make the problem anisotropic
    assert problem.risk_star == pytest.approx(0.5 * np.mean((X @ w - y) ** 2))
    assert problem.radius == pytest.approx(np.linalg.norm(w))
    assert np.linalg.norm(problem.w_true - w) < 0.3  # w* estimates w_true


def _per_sample_gradients(problem, w):
    X, y = problem.X, problem.y
    return X * (X @ w - y)[:, None]  # row i: x_i (x_iᵀw − y_i)


def test_linear_regression_variance_and_gradient_bounds_hold_on_the_ball(problem):
    G = _per_sample_gradients(problem, problem.w_star)
    assert problem.sigma2_star == pytest.approx(np.mean(np.sum(G**2, axis=1)))
    gen = np.random.default_rng(0)
    worst_var, worst_grad = 0.0, 0.0
    for _ in range(300):
        direction = gen.standard_normal(3)
        w = problem.w_star + problem.radius * direction / np.linalg.norm(direction)  # on the sphere
        G = _per_sample_gradients(problem, w)
        mean = G.mean(axis=0)
        worst_var = max(worst_var, float(np.mean(np.sum((G - mean) ** 2, axis=1))))
        worst_grad = max(worst_grad, float(mean @ mean))
    assert problem.sigma2_star <= worst_var <= problem.sigma2
    assert worst_var > 0.5 * problem.sigma2  # the bound is not vacuous
    assert worst_grad <= problem.mu2 * (1 + 1e-9) and worst_grad > 0.5 * problem.mu2


def test_sgd_stays_inside_the_noise_ball(problem):
    """The theorem the SGD chapter proves: limsup E‖W_t − w*‖² ≤ α(σ² + μ²)/(2c)."""
    alpha, steps, runs = 0.02, 400, 200
    gen = np.random.default_rng(1)
    W = np.zeros((runs, 3))
    X, y = problem.X, problem.y
    tail = []
    for t in range(steps):
        i = gen.integers(0, len(y), runs)
        W -= alpha * X[i] * (np.sum(X[i] * W, axis=1) - y[i])[:, None]
        if t >= steps // 2:
            tail.append(np.mean(np.sum((W - problem.w_star) ** 2, axis=1)))
    assert np.mean(tail) <= problem.noise_ball(alpha)
    assert problem.noise_ball(alpha, batch_size=10) < problem.noise_ball(alpha)


def test_linear_regression_backend_arrays_and_errors(xp):
    p = data.linear_regression(n=50, d=2, seed=0)
    assert p.X.shape == (50, 2) and p.y.shape == (50,) and p.w_star.shape == (2,)
    assert p.X.dtype == cnn.backend.default_dtype()
    assert all(isinstance(v, float) for v in (p.c, p.L, p.sigma2, p.sigma2_star, p.mu2, p.radius))
    with pytest.raises(ValueError, match="n must be >= d"):
        data.linear_regression(n=2, d=3)
    with pytest.raises(ValueError, match="feature_scales"):
        data.linear_regression(n=10, d=2, feature_scales=[1.0, -1.0])
