"""cnn.functional: every forward/backward pair against central differences and re-statements."""

from __future__ import annotations

import numpy as np
import pytest

import coursenn as cnn
from coursenn import functional as F
from coursenn.gradcheck import numerical_grad, rel_error

to_np = cnn.backend.to_numpy
TOL = 1e-6


def _normal(*shape, scale=1.0):
    return cnn.backend.rng().normal(0.0, scale, shape)


def _pair_errors(forward, backward, inputs, wrt):
    """Relative errors of ``backward`` vs central differences of sum(forward(*inputs) * g)."""
    out, cache = forward(*inputs)
    g = _normal(*out.shape)
    grads = backward(g, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    errors = []
    for i, analytic in zip(wrt, grads, strict=True):

        def f(v, i=i):
            args = list(inputs)
            args[i] = v
            return cnn.backend.xp().sum(forward(*args)[0] * g)

        errors.append(rel_error(analytic, numerical_grad(f, inputs[i])))
    return errors


def test_linear_pair_gradcheck(xp64):
    x, W, b = _normal(4, 3), _normal(5, 3), _normal(5)
    assert max(_pair_errors(F.linear_forward, F.linear_backward, [x, W, b], [0, 1, 2])) < TOL


def test_linear_without_bias(xp64):
    x, W = _normal(4, 3), _normal(2, 3)
    out, cache = F.linear_forward(x, W, None)
    np.testing.assert_allclose(to_np(out), to_np(x) @ to_np(W).T)
    assert F.linear_backward(_normal(4, 2), cache)[2] is None


@pytest.mark.parametrize(
    "name, kwargs",
    [("relu", {}), ("leaky_relu", {"alpha": 0.1}), ("elu", {"alpha": 0.7}), ("sigmoid", {}), ("tanh", {})],
)
def test_activation_pair_gradcheck(xp64, name, kwargs):
    forward = getattr(F, f"{name}_forward")
    backward = getattr(F, f"{name}_backward")
    z = _normal(5, 4)
    assert max(_pair_errors(lambda v: forward(v, **kwargs), backward, [z], [0])) < TOL


def test_maxout_pair_gradcheck(xp64):
    z = _normal(4, 6)
    assert max(_pair_errors(lambda v: F.maxout_forward(v, 3), F.maxout_backward, [z], [0])) < TOL


def test_batchnorm_train_pair_gradcheck(xp64):
    x, gamma, beta = _normal(6, 3, scale=2.0), _normal(3), _normal(3)
    errors = _pair_errors(F.batchnorm_forward, F.batchnorm_backward, [x, gamma, beta], [0, 1, 2])
    assert max(errors) < TOL


def test_batchnorm_eval_pair_gradcheck(xp64):
    x, gamma, beta = _normal(6, 3), _normal(3), _normal(3)
    rm, rv = _normal(3), cnn.backend.rng().uniform(0.5, 2.0, (3,))

    def forward(x_, g_, b_):
        return F.batchnorm_eval_forward(x_, g_, b_, rm, rv)

    assert max(_pair_errors(forward, F.batchnorm_backward, [x, gamma, beta], [0, 1, 2])) < TOL


@pytest.mark.parametrize("mode", ["inverted", "scale_at_inference"])
def test_dropout_pair_gradcheck(xp64, mode):
    x = _normal(5, 4)

    def forward(v):  # the same mask at every call
        return F.dropout_forward(v, 0.4, training=True, mode=mode, rng=cnn.backend.Rng(7))

    assert max(_pair_errors(forward, F.dropout_backward, [x], [0])) < TOL


def test_batchnorm_backward_matches_staged_chain_rule(xp64):
    """The compact backward equals the step-by-step chain rule through mean and variance."""
    x, gamma, beta, dout = (to_np(a) for a in (_normal(7, 4), _normal(4), _normal(4), _normal(7, 4)))
    eps = 1e-5
    out, cache = F.batchnorm_forward(
        cnn.backend.asarray(x), cnn.backend.asarray(gamma), cnn.backend.asarray(beta), eps
    )
    dx, dgamma, dbeta = F.batchnorm_backward(cnn.backend.asarray(dout), cache)
    n = x.shape[0]
    mu = x.mean(0)
    var = x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    np.testing.assert_allclose(to_np(out), gamma * xhat + beta, rtol=1e-5, atol=1e-6)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu), 0) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(dxhat, 0) / np.sqrt(var + eps) + dvar * np.mean(-2 * (x - mu), 0)
    dx_staged = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / n + dmu / n
    np.testing.assert_allclose(to_np(dx), dx_staged, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(dgamma), np.sum(dout * xhat, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(dbeta), dout.sum(0), rtol=1e-5, atol=1e-5)


def test_batchnorm_one_sample_raises(xp):
    with pytest.raises(ValueError, match="more than 1 sample"):
        F.batchnorm_forward(_normal(1, 3), cnn.backend.ones((3,)), cnn.backend.zeros((3,)))


def test_forward_values_match_formulas(xp):
    z = _normal(6, 5, scale=3.0)
    zn = to_np(z).astype(np.float64)
    rtol = 1e-5
    np.testing.assert_allclose(to_np(F.relu_forward(z)[0]), np.maximum(zn, 0), rtol=rtol)
    np.testing.assert_allclose(
        to_np(F.leaky_relu_forward(z, 0.2)[0]), np.where(zn > 0, zn, 0.2 * zn), rtol=rtol
    )
    np.testing.assert_allclose(
        to_np(F.elu_forward(z, 0.5)[0]), np.where(zn > 0, zn, 0.5 * np.expm1(zn)), rtol=rtol, atol=1e-6
    )
    np.testing.assert_allclose(to_np(F.sigmoid_forward(z)[0]), 1 / (1 + np.exp(-zn)), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(to_np(F.tanh_forward(z)[0]), np.tanh(zn), rtol=rtol, atol=1e-6)
    h, _ = F.maxout_forward(z[:, :4], 2)
    np.testing.assert_allclose(to_np(h), np.maximum(zn[:, 0:4:2], zn[:, 1:4:2]), rtol=rtol)


def test_float32_is_preserved(xp):
    with cnn.backend.using(dtype="float32"):
        z = _normal(4, 6)
        g = _normal(4, 6)
        W, b = _normal(6, 6), _normal(6)
        results = [F.linear_forward(z, W, b)[0], *F.linear_backward(g, F.linear_forward(z, W, b)[1])]
        for name in ("relu", "leaky_relu", "elu", "sigmoid", "tanh"):
            h, cache = getattr(F, f"{name}_forward")(z)
            results += [h, getattr(F, f"{name}_backward")(g, cache)]
        h, cache = F.maxout_forward(z, 3)
        results += [h, F.maxout_backward(h, cache)]
        out, cache = F.batchnorm_forward(z, b, b)
        results += [out, *F.batchnorm_backward(g, cache)]
        out, cache = F.dropout_forward(z, 0.5)
        results += [out, F.dropout_backward(g, cache)]
        results += list(F.mse(z, g)) + list(F.bce_with_logits(z, g))
        results += list(F.softmax_cross_entropy(z, cnn.backend.asarray([0, 1, 2, 5])))
        for r in results:
            assert r.dtype == xp.float32


def test_activations_do_not_overflow(xp):
    z = cnn.backend.asarray([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    for name in ("sigmoid", "tanh", "elu", "relu", "leaky_relu"):
        h, cache = getattr(F, f"{name}_forward")(z)
        dz = getattr(F, f"{name}_backward")(cnn.backend.ones((1, 5)), cache)
        assert np.all(np.isfinite(to_np(h))) and np.all(np.isfinite(to_np(dz)))
    np.testing.assert_allclose(to_np(F.sigmoid_forward(z)[0]), [[0, 0, 0.5, 1, 1]], atol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_modes(xp, p):
    x = cnn.backend.ones((200, 50))
    keep = 1 - p
    inv, _ = F.dropout_forward(x, p, training=True, mode="inverted")
    assert set(np.unique(to_np(inv)).round(6)) <= {0.0, round(1 / keep, 6)}
    plain, _ = F.dropout_forward(x, p, training=True, mode="scale_at_inference")
    assert set(np.unique(to_np(plain))) <= {0.0, 1.0}
    np.testing.assert_allclose(to_np(F.dropout_forward(x, p, training=False)[0]), 1.0)
    np.testing.assert_allclose(
        to_np(F.dropout_forward(x, p, training=False, mode="scale_at_inference")[0]), keep, rtol=1e-6
    )
    dx = F.dropout_backward(x, F.dropout_forward(x, p, training=False, mode="scale_at_inference")[1])
    np.testing.assert_allclose(to_np(dx), keep, rtol=1e-6)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, True])
def test_dropout_rejects_bad_p(xp, p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        F.dropout_forward(cnn.backend.ones((2, 2)), p)


def test_dropout_rejects_unknown_mode(xp):
    with pytest.raises(ValueError, match="inverted"):
        F.dropout_forward(cnn.backend.ones((2, 2)), 0.5, mode="classic")


def test_linear_shape_mismatch_names_both_shapes(xp):
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 2\)"):
        F.linear_forward(cnn.backend.ones((4, 3)), cnn.backend.ones((5, 2)), None)


def test_maxout_rejects_bad_pieces(xp):
    with pytest.raises(ValueError, match="multiple of pieces"):
        F.maxout_forward(cnn.backend.ones((2, 5)), 2)
    with pytest.raises(ValueError, match="positive integer"):
        F.maxout_forward(cnn.backend.ones((2, 4)), 0)
