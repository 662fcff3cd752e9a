"""cnn.nn layers: gradient checks, PyTorch as oracle, modes, errors, accumulation, repr."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coursenn as cnn
from coursenn import nn
from coursenn.gradcheck import check_module

to_np = cnn.backend.to_numpy
TOL = 1e-6


def _normal(*shape, scale=1.0):
    return cnn.backend.rng().normal(0.0, scale, shape)


LAYERS = {
    "linear": lambda: nn.Linear(4, 3),
    "linear_nobias": lambda: nn.Linear(4, 3, bias=False),
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "elu": lambda: nn.ELU(0.8),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
    "maxout": lambda: nn.Maxout(4, 3, pieces=3),
    "batchnorm": lambda: nn.BatchNorm1d(4),
    "dropout": lambda: nn.Dropout(0.3),
    "dropout_slides": lambda: nn.Dropout(0.3, mode="scale_at_inference"),
    "mlp": lambda: nn.Sequential(
        nn.Linear(4, 5, bias=False), nn.BatchNorm1d(5), nn.Tanh(), nn.Dropout(0.2), nn.Linear(5, 2)
    ),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_layer_gradcheck(xp64, name, training):
    layer = LAYERS[name]()
    layer.train(training)
    if isinstance(layer, nn.BatchNorm1d):  # non-trivial gamma, beta and running statistics
        layer.gamma.data = _normal(4)
        layer.beta.data = _normal(4)
        layer.running_mean = _normal(4)
        layer.running_var = cnn.backend.rng().uniform(0.5, 2.0, (4,))
    assert check_module(layer, _normal(5, 4)) < TOL


# ----------------------------------------------------------------------------- torch oracle
def _torch():
    return pytest.importorskip("torch")


def test_linear_matches_torch(xp64):
    torch = _torch()
    layer = nn.Linear(6, 4)
    x, g = _normal(5, 6), _normal(5, 4)
    ref = torch.nn.Linear(6, 4).double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(to_np(layer.weight.data)))
        ref.bias.copy_(torch.from_numpy(to_np(_normal(4))))
    layer.bias.data = cnn.backend.asarray(ref.bias.detach().numpy())
    xt = torch.from_numpy(to_np(x)).requires_grad_()
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(to_np(g)))
    out = layer(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(to_np(out), out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_np(dx), xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_np(layer.weight.grad), ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_np(layer.bias.grad), ref.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
        (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
        (lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7)),
        (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
        (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
        (lambda: nn.Identity(), lambda t: t.nn.Identity()),
    ],
    ids=["relu", "leaky_relu", "elu", "sigmoid", "tanh", "identity"],
)
def test_activations_match_torch(xp64, ours, theirs):
    torch = _torch()
    x, g = _normal(6, 5, scale=3.0), _normal(6, 5)
    layer = ours()
    xt = torch.from_numpy(to_np(x)).requires_grad_()
    out_t = theirs(torch)(xt)
    out_t.backward(torch.from_numpy(to_np(g)))
    np.testing.assert_allclose(to_np(layer(x)), out_t.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(to_np(layer.backward(g)), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_batchnorm_matches_torch(xp64):
    torch = _torch()
    layer = nn.BatchNorm1d(3, momentum=0.2)
    ref = torch.nn.BatchNorm1d(3, momentum=0.2).double()
    for _ in range(4):  # running statistics over several batches
        x = _normal(8, 3, scale=2.0) + 1.0
        g = _normal(8, 3)
        xt = torch.from_numpy(to_np(x)).requires_grad_()
        out_t = ref(xt)
        out_t.backward(torch.from_numpy(to_np(g)))
        layer.zero_grad()
        np.testing.assert_allclose(to_np(layer(x)), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(to_np(layer.backward(g)), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(to_np(layer.gamma.grad), ref.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(to_np(layer.beta.grad), ref.bias.grad.numpy(), rtol=1e-10)
        ref.zero_grad()
    np.testing.assert_allclose(to_np(layer.running_mean), ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_np(layer.running_var), ref.running_var.numpy(), rtol=1e-12)
    layer.eval()
    ref.eval()
    x = _normal(5, 3)
    np.testing.assert_allclose(
        to_np(layer(x)), ref(torch.from_numpy(to_np(x))).detach().numpy(), rtol=1e-10, atol=1e-12
    )


# ----------------------------------------------------------------------------- semantics
def test_batchnorm_train_and_eval_semantics(xp):
    bn = nn.BatchNorm1d(4)
    x = _normal(64, 4, scale=3.0) + 5.0
    out = to_np(bn(x))
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.var(0), 1.0, rtol=1e-3)  # biased variance, up to eps
    xn = to_np(x).astype(np.float64)
    np.testing.assert_allclose(to_np(bn.running_mean), 0.1 * xn.mean(0), rtol=1e-4)
    np.testing.assert_allclose(to_np(bn.running_var), 0.9 + 0.1 * xn.var(0, ddof=1), rtol=1e-4)
    bn.eval()
    rm, rv = to_np(bn.running_mean), to_np(bn.running_var)
    expected = (xn - rm) / np.sqrt(rv + bn.eps)
    np.testing.assert_allclose(to_np(bn(x)), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(to_np(bn.running_mean), rm)  # eval does not update
    single = bn(x[:1, :])  # one sample is fine in eval mode
    assert single.shape == (1, 4)


def test_batchnorm_single_sample_in_training_raises(xp):
    with pytest.raises(ValueError, match="more than 1 sample"):
        nn.BatchNorm1d(3)(_normal(1, 3))


def test_batchnorm_running_stats_converge(xp):
    bn = nn.BatchNorm1d(2, momentum=0.5)
    for _ in range(40):
        bn(_normal(256, 2, scale=2.0) - 3.0)
    np.testing.assert_allclose(to_np(bn.running_mean), -3.0, atol=0.3)
    np.testing.assert_allclose(to_np(bn.running_var), 4.0, rtol=0.2)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(xp, p):
    """Fraction dropped ≈ p and E[output] = input, each within 5 standard errors."""
    n = 200 * 100
    x = cnn.backend.full((200, 100), 3.0)
    out = to_np(nn.Dropout(p)(x)).astype(np.float64)
    dropped = np.mean(out == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)
    # each output is 3/(1-p) with prob. 1-p, else 0: std = 3 sqrt(p/(1-p))
    assert abs(out.mean() - 3.0) < 5 * 3.0 * np.sqrt(p / (1 - p)) / np.sqrt(n)
    slides = to_np(nn.Dropout(p, mode="scale_at_inference")(x)).astype(np.float64)
    assert abs(slides.mean() - 3.0 * (1 - p)) < 5 * 3.0 * np.sqrt(p * (1 - p) / n)


def test_dropout_eval_is_identity_and_slides_mode_scales(xp):
    x = _normal(10, 7)
    drop = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(to_np(drop(x)), to_np(x))
    np.testing.assert_array_equal(to_np(drop.backward(x)), to_np(x))
    slides = nn.Dropout(0.25, mode="scale_at_inference").eval()
    np.testing.assert_allclose(to_np(slides(x)), 0.75 * to_np(x), rtol=1e-6)


def test_dropout_backward_uses_the_forward_mask(xp):
    drop = nn.Dropout(0.5)
    x = cnn.backend.ones((30, 30))
    out = drop(x)
    np.testing.assert_array_equal(to_np(drop.backward(x)), to_np(out))


@pytest.mark.parametrize("p", [-0.01, 1.0, 2, "0.5"])
def test_dropout_rejects_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match="p"):
        nn.Dropout(p)


def test_zero_init_keeps_hidden_units_symmetric(xp64):
    """Two hidden units that start equal get equal gradients forever; random init breaks this."""
    X, y = _normal(16, 3), cnn.backend.rng().integers(0, 2, (16,))

    def hidden_gap(init):
        model = nn.Sequential(nn.Linear(3, 2, init=init), nn.Tanh(), nn.Linear(2, 2, init=init))
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(20):
            model.zero_grad()
            loss_fn(model(X), y)
            model.backward(loss_fn.backward())
            for p in model.parameters():
                p.data = p.data - 0.5 * p.grad
        W = to_np(model[0].weight.data)
        return np.max(np.abs(W[0] - W[1])), np.max(np.abs(W))

    def constant(fan_in, fan_out):
        return cnn.init.constant((fan_out, fan_in), 0.3)

    for init in ("zeros", constant):
        gap, size = hidden_gap(init)
        assert gap == 0.0
        assert init == "zeros" or size > 0.3  # the weights did move, together
    assert hidden_gap("xavier_normal")[0] > 0.1


def test_backward_accumulates_parameter_grads(xp):
    layer = nn.Linear(3, 2)
    x, g = _normal(4, 3), _normal(4, 2)
    layer(x)
    layer.backward(g)
    once = to_np(layer.weight.grad).copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(to_np(layer.weight.grad), 2 * once, rtol=1e-5)
    layer.zero_grad()
    assert not np.any(to_np(layer.weight.grad))


def test_linear_init_and_parameters(xp):
    layer = nn.Linear(40, 100)
    assert layer.weight.shape == (100, 40) and layer.bias.shape == (100,)
    assert layer.weight.data.dtype == cnn.backend.default_dtype()
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert not np.any(to_np(layer.bias.data))
    assert abs(np.std(to_np(layer.weight.data)) / np.sqrt(2 / 40) - 1) < 0.1
    assert len(nn.Linear(3, 2, bias=False).parameters()) == 1

    def ones_init(fan_in, fan_out):
        return cnn.init.constant((fan_out, fan_in), 1.0)

    np.testing.assert_array_equal(to_np(nn.Linear(3, 2, init=ones_init).weight.data), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        nn.Linear(3, 2, init=lambda fi, fo: cnn.init.zeros((fi, fo)))


def test_bad_inputs_raise_clear_errors(xp):
    with pytest.raises(ValueError, match=r"\(N, 40\).*\(8, 30\)"):
        nn.Linear(40, 10)(_normal(8, 30))
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(8, 3\)"):
        nn.BatchNorm1d(4)(_normal(8, 3))
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(8, 3\)"):
        nn.Maxout(4, 2)(_normal(8, 3))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown init 'glorot'.*he_normal"):
        nn.Linear(3, 3, init="glorot")
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="alpha"):
        nn.LeakyReLU(-1)


@pytest.mark.parametrize("name", LAYERS)
def test_backward_before_forward_raises(xp, name):
    layer = LAYERS[name]()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(cnn.backend.ones((2, 3)))


def test_maxout_picks_the_largest_piece(xp):
    layer = nn.Maxout(3, 2, pieces=4)
    x = _normal(5, 3)
    z = to_np(x) @ to_np(layer.weight.data).T
    np.testing.assert_allclose(to_np(layer(x)), z.reshape(5, 2, 4).max(axis=2), rtol=1e-5, atol=1e-6)
    assert layer.weight.shape == (8, 3)


def test_repr_and_summary(xp):
    model = nn.Sequential(
        nn.Linear(40, 100), nn.BatchNorm1d(100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 10)
    )
    assert repr(model[0]) == "Linear(in_features=40, out_features=100, init='he_normal')"
    assert repr(model[3]) == "Dropout(p=0.2)"
    assert "LeakyReLU(alpha=0.1)" == repr(nn.LeakyReLU(0.1))
    table = nn.summary(model)
    lines = table.splitlines()
    assert "4,100" in lines[2] and "100" in lines[2]
    assert "200" in lines[3]
    assert lines[4].split()[-2:] == ["100", "0"]  # ReLU keeps 100 features, no parameters
    assert "1,010" in lines[6]
    assert lines[-1] == f"Total parameters: {4100 + 200 + 1010:,}"


def test_summary_of_a_single_layer(xp):
    assert nn.summary(nn.Linear(3, 2)).splitlines()[-1] == "Total parameters: 8"


# ----------------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    n=st.integers(1, 6),
    d_in=st.integers(1, 5),
    d_out=st.integers(1, 5),
    a=st.floats(-3, 3),
    b=st.floats(-3, 3),
)
def test_linear_backward_is_linear_in_dout(n, d_in, d_out, a, b):
    with cnn.backend.using("numpy", dtype="float64"):
        cnn.backend.seed(n * 100 + d_in * 10 + d_out)
        layer = nn.Linear(d_in, d_out)
        x, g1, g2 = _normal(n, d_in), _normal(n, d_out), _normal(n, d_out)
        layer(x)
        combined = layer.backward(a * g1 + b * g2)
        layer.zero_grad()
        np.testing.assert_allclose(combined, a * layer.backward(g1) + b * layer.backward(g2), atol=1e-10)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    shape=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    which=st.sampled_from(["ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Identity", "Dropout"]),
)
def test_elementwise_layers_preserve_shape_and_dtype(shape, which):
    with cnn.backend.using("numpy", dtype="float32"):
        layer = getattr(nn, which)()
        x = _normal(*shape, scale=4.0)
        out = layer(x)
        dx = layer.backward(out)
        assert out.shape == x.shape == dx.shape and out.dtype == dx.dtype == np.float32


def test_backward_params_gives_the_same_parameter_grads_without_input_grad(xp64):
    """What fit() uses: the first layer skips ∂L/∂x; parameter gradients are unchanged."""
    cnn.backend.seed(3)
    model = nn.Sequential(
        nn.Dropout(0.0), nn.Linear(5, 7), nn.Tanh(), nn.BatchNorm1d(7), nn.Linear(7, 3)
    )
    x = cnn.backend.rng().normal(size=(6, 5))
    g = cnn.backend.rng().normal(size=(6, 3))
    model.forward(x)
    model.zero_grad()
    assert model.backward(g).shape == (6, 5)
    full = [cnn.backend.to_numpy(p.grad).copy() for p in model.parameters()]
    model.zero_grad()
    assert model.backward_params(g) is None
    for a, p in zip(full, model.parameters(), strict=True):
        np.testing.assert_allclose(cnn.backend.to_numpy(p.grad), a, rtol=1e-12, atol=1e-14)
    # has_parameters() finds the first layer that needs gradients, also inside nested containers
    assert [layer.has_parameters() for layer in model] == [False, True, False, True, True]
    assert nn.Sequential(nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Linear(2, 2))).has_parameters()
    assert not nn.Sequential(nn.ReLU(), nn.Sequential(nn.Tanh())).has_parameters()
    # the first Linear really skipped its input gradient
    _, dW, db = cnn.functional.linear_backward(g[:, :3] @ cnn.backend.zeros((3, 7)), model[1]._cache, False)
    assert _ is None and dW.shape == (7, 5) and db.shape == (7,)
