"""cnn.gradcheck: central differences on known functions; it must catch wrong backwards."""

from __future__ import annotations

import numpy as np
import pytest

import coursenn as cnn
from coursenn import nn
from coursenn.gradcheck import check_loss, check_module, numerical_grad, rel_error

to_np = cnn.backend.to_numpy


def test_numerical_grad_of_known_function(xp):
    x = cnn.backend.rng().normal(0.0, 1.0, (3, 4))
    grad = numerical_grad(lambda v: cnn.backend.xp().sum(v**3), x)
    assert grad.dtype == xp.float64 and grad.shape == (3, 4)
    xn = to_np(x).astype(np.float64)
    np.testing.assert_allclose(to_np(grad), 3 * xn**2, rtol=1e-7, atol=1e-9)


def test_numerical_grad_accepts_python_floats_and_vectors(xp):
    x = cnn.backend.asarray([1.0, -2.0, 0.5])
    grad = numerical_grad(lambda v: float(np.sum(np.sin(to_np(v)))), x)
    np.testing.assert_allclose(to_np(grad), np.cos([1.0, -2.0, 0.5]), rtol=1e-7)


def test_numerical_grad_rejects_bad_step(xp):
    with pytest.raises(ValueError, match="h must be positive"):
        numerical_grad(lambda v: v, cnn.backend.ones((2,)), h=0.0)


def test_rel_error_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(0.5)
    assert rel_error(np.array([1e-12]), np.array([0.0])) == pytest.approx(1e-4)  # floor 1e-8
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


class _WrongBackwardLinear(nn.Linear):
    """A buggy backward: the input gradient comes out twice too large."""

    def backward(self, grad_out):
        return 2 * super().backward(grad_out)


class _WrongWeightGradLinear(nn.Linear):
    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.weight.accumulate(0.01 * self.weight.data)
        return dx


@pytest.mark.parametrize("bad", [_WrongBackwardLinear, _WrongWeightGradLinear])
def test_check_module_catches_wrong_backward(xp64, bad):
    x = cnn.backend.rng().normal(0.0, 1.0, (4, 3))
    assert check_module(nn.Linear(3, 2), x) < 1e-7
    assert check_module(bad(3, 2), x) > 1e-3


def test_check_module_restores_the_module(xp):
    """Parameters (dtype included), accumulated grads and running statistics are untouched."""
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    x = cnn.backend.rng().normal(0.0, 1.0, (5, 3))
    model(x)
    model.backward(cnn.backend.ones((5, 4)))
    before = {
        name: (to_np(p.data).copy(), to_np(p.grad).copy(), p.data.dtype)
        for name, p in model.named_parameters()
    }
    running = to_np(model[1].running_mean).copy()
    assert check_module(model, x) < 1e-6
    for name, p in model.named_parameters():
        data, grad, dtype = before[name]
        assert p.data.dtype == dtype == cnn.backend.default_dtype()
        np.testing.assert_array_equal(to_np(p.data), data)
        np.testing.assert_array_equal(to_np(p.grad), grad)
    np.testing.assert_array_equal(to_np(model[1].running_mean), running)


def test_check_module_with_dropout_uses_one_mask(xp64):
    x = cnn.backend.rng().normal(0.0, 1.0, (6, 5))
    assert check_module(nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5)), x, seed=3) < 1e-6


def test_check_loss_catches_wrong_gradient(xp64):
    pred = cnn.backend.rng().normal(0.0, 1.0, (4, 3))
    target = cnn.backend.rng().normal(0.0, 1.0, (4, 3))

    def half_mse(p, t):  # loss of MSE, gradient forgot the factor 2
        loss, grad = cnn.functional.mse(p, t)
        return loss, grad / 2

    assert check_loss(cnn.functional.mse, pred, target) < 1e-7
    assert check_loss(half_mse, pred, target) > 0.3
