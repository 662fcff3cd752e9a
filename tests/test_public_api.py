"""The public API of DESIGN §3 and the team brief: names, call signatures, attribute names.

Chapter notebooks and homework code against these names; a rename, a removed argument or a
changed default fails here first. Also: ``import coursenn`` loads every submodule lazily,
and a sample of bad inputs raises ValueError/TypeError naming the argument (cases not
covered by the module test files).
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import numpy as np
import pytest

import coursenn as cnn
from coursenn import backend, data, diagnostics, gradcheck, init, io, landscapes, nn, optim, train
from coursenn import functional as F

REQUIRED = inspect.Parameter.empty
ANY = object()  # an optional argument whose default value is not part of the contract


def assert_signature(fn, *expected):
    """``fn``'s parameters start with ``expected`` = names or ``(name, default)`` pairs.

    A bare name is a required argument, ``(name, ANY)`` an optional one with any default.
    Parameters after the documented ones must be optional (documented calls keep working).
    """
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    names = [p.name for p in params]
    want = [(e, REQUIRED) if isinstance(e, str) else e for e in expected]
    assert names[: len(want)] == [w[0] for w in want], f"{fn.__qualname__}{inspect.signature(fn)}"
    for p, (name, default) in zip(params, want, strict=False):
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if default is ANY:
            assert p.default is not REQUIRED, f"{fn.__qualname__}: {name} should be optional"
        else:
            assert p.default == default, f"{fn.__qualname__}: {name} default {p.default!r} != {default!r}"
    for p in params[len(want) :]:
        optional = p.default is not REQUIRED or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        assert optional, f"{fn.__qualname__}: undocumented required argument {p.name}"


# ------------------------------------------------------------------------------ imports
def test_import_coursenn_loads_every_submodule_lazily():
    code = (
        "import sys, coursenn as cnn\n"
        "expected = ('backend', 'functional', 'init', 'nn', 'gradcheck', 'diagnostics', 'optim',\n"
        "            'landscapes', 'train', 'data', 'plot', 'check', 'io')\n"
        "assert set(expected) <= set(cnn.SUBMODULES), cnn.SUBMODULES\n"
        "assert 'coursenn.train' not in sys.modules\n"
        "for name in cnn.SUBMODULES:\n"
        "    if name != 'plot':\n"
        "        assert getattr(cnn, name).__name__ == 'coursenn.' + name\n"
        "assert 'matplotlib' not in sys.modules, 'only cnn.plot may import matplotlib'\n"
        "assert cnn.plot.__name__ == 'coursenn.plot'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("name", cnn.SUBMODULES)
def test_every_name_in_all_exists(name):
    module = importlib.import_module(f"coursenn.{name}")
    assert getattr(cnn, name) is module
    for attr in getattr(module, "__all__", ()):
        assert hasattr(module, attr), f"coursenn.{name}.__all__ lists missing {attr!r}"


def test_unknown_attribute_of_the_package_raises_attribute_error():
    with pytest.raises(AttributeError, match="optimizers"):
        cnn.optimizers  # noqa: B018


# ------------------------------------------------------------------------------ backend
def test_backend_signatures():
    assert_signature(backend.use, "name", ("device", None))
    assert_signature(backend.using, ("name", None), ("device", None), ("dtype", None))
    for fn in (backend.name, backend.xp, backend.device, backend.rng, backend.default_dtype):
        assert_signature(fn)
    assert_signature(backend.asarray, "x", ("dtype", None))
    assert_signature(backend.to_numpy, "a")
    assert_signature(backend.seed, "n")
    assert_signature(backend.set_default_dtype, "dtype")
    assert_signature(backend.zeros, "shape", ("dtype", None))
    assert_signature(backend.ones, "shape", ("dtype", None))
    assert_signature(backend.full, "shape", "value", ("dtype", None))
    assert_signature(backend.arange, "args", ("dtype", None))
    assert_signature(backend.mutable, "a")
    rng = backend.Rng
    assert_signature(rng.normal, ("loc", 0.0), ("scale", 1.0), ("size", None))
    assert_signature(rng.uniform, ("low", 0.0), ("high", 1.0), ("size", None))
    assert_signature(rng.random, ("size", None))
    assert_signature(rng.integers, "low", ("high", None), ("size", None))
    assert_signature(rng.permutation, "n")
    assert_signature(rng.bernoulli, "p", ("size", None))
    assert backend.BACKENDS == ("numpy", "cupy", "array_api_strict")


def test_rng_draws_live_on_the_current_backend(xp):
    r = backend.rng()
    for a in (r.normal(0.0, 1.0, (3,)), r.uniform(0.0, 1.0, (3,)), r.random((3,))):
        assert a.dtype == backend.default_dtype()
        assert backend.namespace_of(a) is backend.namespace_of(backend.zeros((1,)))
    assert r.integers(0, 5, (4,)).dtype == xp.int64
    assert r.permutation(4).dtype == xp.int64
    assert r.bernoulli(0.5, (4,)).dtype == xp.bool


# ------------------------------------------------------------------------------ init
def test_init_signatures():
    assert_signature(init.zeros, "shape", ("dtype", None))
    assert_signature(init.constant, "shape", "value", ("dtype", None))
    assert_signature(init.normal, "shape", ("mean", 0.0), ("std", 1.0))
    assert_signature(init.uniform, "shape", ("low", 0.0), ("high", 1.0))
    defaults = {
        "xavier_normal": "fan_avg",
        "xavier_uniform": "fan_avg",
        "he_normal": "fan_in",
        "he_uniform": "fan_in",
        "lecun_normal": "fan_in",
    }
    for scheme, mode in defaults.items():
        assert_signature(getattr(init, scheme), "fan_in", "fan_out", ("mode", mode), ("gain", 1.0))
    assert_signature(init.gain, "nonlinearity", ("param", None))
    assert_signature(init.std, "scheme", "fan_in", "fan_out", ("mode", None), ("gain", 1.0))
    assert init.MODES == ("fan_in", "fan_out", "fan_avg")
    assert init.std("he_normal", 50, 10) == pytest.approx(np.sqrt(2 / 50))
    assert init.std("xavier_normal", 50, 10) == pytest.approx(np.sqrt(2 / 60))


# ------------------------------------------------------------------------------ functional
def test_functional_signatures():
    assert_signature(F.linear_forward, "x", "W", ("b", ANY))
    assert_signature(F.linear_backward, "dout", "cache")
    for name in ("relu", "sigmoid", "tanh"):
        assert_signature(getattr(F, f"{name}_forward"), "z")
    assert_signature(F.leaky_relu_forward, "z", ("alpha", 0.01))
    assert_signature(F.elu_forward, "z", ("alpha", 1.0))
    for name in ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "maxout"):
        assert_signature(getattr(F, f"{name}_backward"), "dh", "cache")
    assert_signature(F.maxout_forward, "z", "pieces")
    assert_signature(F.batchnorm_forward, "x", "gamma", "beta", ("eps", 1e-5))
    assert_signature(F.batchnorm_backward, "dout", "cache")
    assert_signature(
        F.batchnorm_eval_forward, "x", "gamma", "beta", "running_mean", "running_var", ("eps", 1e-5)
    )
    assert_signature(F.dropout_forward, "x", "p", ("training", True), ("mode", "inverted"), ("rng", None))
    assert_signature(F.dropout_backward, "dout", "cache")
    assert_signature(F.softmax_cross_entropy, "logits", "y")
    assert_signature(F.mse, "pred", "target")
    assert_signature(F.bce_with_logits, "logits", "target")
    assert F.DROPOUT_MODES == ("inverted", "scale_at_inference")


def test_functional_pairs_return_out_and_cache(xp):
    x = backend.rng().normal(0.0, 1.0, (4, 3))
    W, b = backend.rng().normal(0.0, 1.0, (2, 3)), backend.zeros((2,))
    out, cache = F.linear_forward(x, W, b)
    dx, dW, db = F.linear_backward(backend.ones((4, 2)), cache)
    assert (tuple(out.shape), tuple(dx.shape), tuple(dW.shape), tuple(db.shape)) == (
        (4, 2),
        (4, 3),
        (2, 3),
        (2,),
    )
    out, cache = F.batchnorm_forward(x, backend.ones((3,)), backend.zeros((3,)))
    assert len(F.batchnorm_backward(backend.ones((4, 3)), cache)) == 3
    loss, grad = F.softmax_cross_entropy(out, backend.asarray([0, 1, 2, 0]))
    assert loss.ndim == 0 and tuple(grad.shape) == (4, 3)


def test_one_hot(xp):
    labels = backend.asarray([2, 0, 1])
    expected = np.eye(3)[[2, 0, 1]]
    np.testing.assert_array_equal(backend.to_numpy(F.one_hot(labels, 3, backend.default_dtype())), expected)
    index = backend.asarray([[1, 0], [0, 1]])
    assert tuple(F.one_hot(index, 2, xp.float64).shape) == (2, 2, 2)
    with pytest.raises(ValueError, match="num_classes"):
        F.one_hot(labels, 0, xp.float64)
    for bad in ([0, 3], [-1, 1]):  # outside [0, 3): a silent row of zeros would be wrong
        with pytest.raises(ValueError, match=r"labels.*\[0, 3\)"):
            F.one_hot(backend.asarray(bad), 3, xp.float64, argument="labels")


# ------------------------------------------------------------------------------ nn
def test_nn_signatures():
    assert_signature(nn.Parameter, "data", ("name", ""))
    assert_signature(nn.Linear, "in_features", "out_features", ("init", "he_normal"), ("bias", True))
    assert_signature(nn.LeakyReLU, ("alpha", 0.01))
    assert_signature(nn.ELU, ("alpha", 1.0))
    for cls in (
        nn.ReLU,
        nn.Sigmoid,
        nn.Tanh,
        nn.Identity,
        nn.MSELoss,
        nn.CrossEntropyLoss,
        nn.BCEWithLogitsLoss,
    ):
        assert_signature(cls)
    assert_signature(nn.Maxout, "in_features", "out_features", ("pieces", ANY))
    assert_signature(nn.BatchNorm1d, "num_features", ("momentum", 0.1), ("eps", 1e-5))
    assert_signature(nn.Dropout, ("p", 0.5), ("mode", "inverted"))
    assert_signature(nn.Sequential, "layers")
    assert_signature(nn.summary, "model")
    assert_signature(nn.Module.forward, "x")
    assert_signature(nn.Module.backward, "grad_out")
    for method in (
        "parameters",
        "named_parameters",
        "zero_grad",
        "train",
        "eval",
        "__call__",
        "_require_cache",
    ):
        assert callable(getattr(nn.Module, method))
    for method in ("zero_grad", "accumulate"):
        assert callable(getattr(nn.Parameter, method))


def test_layer_attributes_follow_pytorch_names(xp):
    lin = nn.Linear(3, 5)
    assert lin.weight.shape == (5, 3) and lin.bias.shape == (5,)
    assert [p.name for p in lin.parameters()] == ["weight", "bias"]
    assert nn.Linear(3, 5, bias=False).bias is None
    bn = nn.BatchNorm1d(4)
    assert [p.name for p in bn.parameters()] == ["gamma", "beta"]
    assert tuple(bn.running_mean.shape) == tuple(bn.running_var.shape) == (4,)
    np.testing.assert_array_equal(backend.to_numpy(bn.running_var), np.ones(4))
    bn = nn.BatchNorm1d(5)
    model = nn.Sequential(lin, nn.ReLU(), bn, nn.Dropout(0.2), nn.Linear(5, 2))
    assert model.parameters() == [lin.weight, lin.bias, bn.gamma, bn.beta, model[4].weight, model[4].bias]
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.gamma", "2.beta", "4.weight", "4.bias"]
    assert model.training and not model.eval().training and not bn.training
    assert model.train() is model and bn.training
    p = lin.weight
    assert p.grad.shape == p.data.shape
    assert nn.Dropout().p == 0.5 and nn.LeakyReLU().alpha == 0.01 and nn.ELU().alpha == 1.0


def test_loss_objects_return_scalar_and_gradient(xp):
    pred = backend.rng().normal(0.0, 1.0, (4, 3))
    for loss_fn, target in (
        (nn.MSELoss(), backend.zeros((4, 3))),
        (nn.CrossEntropyLoss(), backend.asarray([0, 2, 1, 1])),
        (nn.BCEWithLogitsLoss(), backend.ones((4, 3))),
    ):
        loss = loss_fn(pred, target)
        assert loss.ndim == 0
        assert tuple(loss_fn.backward().shape) == (4, 3)


def test_module_backward_accumulates_into_grad(xp):
    lin = nn.Linear(3, 2)
    x = backend.rng().normal(0.0, 1.0, (4, 3))
    lin(x)
    lin.backward(backend.ones((4, 2)))
    once = backend.to_numpy(lin.weight.grad).copy()
    lin(x)
    lin.backward(backend.ones((4, 2)))
    np.testing.assert_allclose(backend.to_numpy(lin.weight.grad), 2 * once, rtol=1e-6)
    lin.zero_grad()
    np.testing.assert_array_equal(backend.to_numpy(lin.weight.grad), 0 * once)


# ------------------------------------------------------------------------------ optim
OPTIMIZER_DEFAULTS = {
    optim.SGD: ["lr", ("momentum", 0), ("dampening", 0), ("nesterov", False), ("weight_decay", 0)],
    optim.Momentum: ["lr", ("beta", 0.9), ("bias_correction", False)],
    optim.Adagrad: [
        ("lr", 1e-2),
        ("lr_decay", 0),
        ("weight_decay", 0),
        ("initial_accumulator_value", 0),
        ("eps", 1e-10),
    ],
    optim.RMSProp: [
        ("lr", 1e-2),
        ("alpha", 0.99),
        ("eps", 1e-8),
        ("weight_decay", 0),
        ("momentum", 0),
        ("centered", False),
        ("bias_correction", False),
    ],
    optim.Adam: [
        ("lr", 1e-3),
        ("betas", (0.9, 0.999)),
        ("eps", 1e-8),
        ("weight_decay", 0),
        ("amsgrad", False),
    ],
    optim.Adamax: [("lr", 2e-3), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0)],
    optim.Nadam: [
        ("lr", 2e-3),
        ("betas", (0.9, 0.999)),
        ("eps", 1e-8),
        ("weight_decay", 0),
        ("momentum_decay", 4e-3),
    ],
    optim.Adadelta: [("lr", 1.0), ("rho", 0.9), ("eps", 1e-6), ("weight_decay", 0)],
}


@pytest.mark.parametrize("cls", list(OPTIMIZER_DEFAULTS), ids=lambda c: c.__name__)
def test_optimizer_signatures_and_interface(cls):
    assert_signature(cls, "params", *OPTIMIZER_DEFAULTS[cls])
    p = nn.Parameter(backend.asarray(np.ones(3)), "w")
    opt = cls([p], lr=0.1)
    assert opt.lr == 0.1
    p.accumulate(backend.asarray(np.ones(3)))
    opt.step()
    assert not np.allclose(backend.to_numpy(p.data), 1.0)
    opt.zero_grad()
    np.testing.assert_array_equal(backend.to_numpy(p.grad), 0.0)
    opt.load_state_dict(opt.state_dict())


def test_optim_helpers_signatures():
    assert_signature(optim.ewa, "values", "beta", ("bias_correction", True))
    assert_signature(optim.clip_grad_norm, "params", "max_norm")
    assert_signature(optim.clip_grad_value, "params", "clip_value")
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "CyclicCosineLR", "LambdaLR"):
        assert issubclass(getattr(optim, name), optim.LRScheduler)
    p = nn.Parameter(backend.asarray(np.zeros(2)))
    p.accumulate(backend.asarray([3.0, 4.0]))
    assert optim.clip_grad_norm([p], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(optim.ewa([1.0, 1.0], 0.9), [1.0, 1.0])


# ------------------------------------------------------------------------------ the rest
def test_train_gradcheck_diagnostics_signatures():
    assert_signature(train.minibatches, "X", "y", "batch_size", ("shuffle", True))
    assert_signature(
        train.fit,
        "model",
        "loss_fn",
        "optimizer",
        "X",
        "y",
        "epochs",
        "batch_size",
        ("X_val", None),
        ("y_val", None),
        ("callbacks", ()),
        ("progress", True),
    )
    assert_signature(train.evaluate, "model", "loss_fn", "X", "y")
    assert_signature(train.predict, "model", "X")
    assert_signature(train.accuracy, "logits", "y")
    assert hasattr(train, "History")
    assert_signature(gradcheck.numerical_grad, "f", "x", ("h", 1e-6))
    assert_signature(gradcheck.rel_error, "a", "b")
    assert_signature(gradcheck.check_module, "module", "x")
    assert_signature(gradcheck.check_loss, "loss_fn", "pred", "target")
    assert_signature(diagnostics.layer_stats, "model", "X", "y", "loss_fn")


def test_data_landscapes_io_plot_check_signatures():
    for fn in (data.mnist1d, data.spirals, data.moons, data.gabor):
        assert_signature(fn)  # every argument optional
    assert_signature(data.linear_regression, ("n", ANY), ("d", ANY), ("noise", ANY))
    assert_signature(landscapes.optimize, "fn", "optimizer_cls", "x0", "steps")
    for name in ("Quadratic", "Rosenbrock", "Beale", "Himmelblau", "Saddle"):
        f = getattr(landscapes, name)()
        assert f.grad(np.array([0.5, 0.5])).shape == (2,)
        assert np.asarray(f.minima).ndim == 2 and len(f.bounds) == 2
    assert_signature(io.save, "model", "path", ("optimizer", None))
    assert_signature(io.load, "model", "path", ("optimizer", None))
    plot = cnn.plot
    for name in plot.__all__:
        if name != "METRICS":
            assert callable(getattr(plot, name))
    check = cnn.check
    for name in check.__all__:
        assert_signature(getattr(check, name), "student_fn")


# ------------------------------------------------------------------------------ error rules
def test_shape_mismatch_errors_name_the_argument_and_both_shapes(xp):
    x = backend.ones((4, 3))
    with pytest.raises(ValueError, match=r"gamma of shape \(2,\).*x of shape \(4, 3\)"):
        F.batchnorm_forward(x, backend.ones((2,)), backend.zeros((3,)))
    with pytest.raises(ValueError, match=r"running_var of shape \(5,\).*\(4, 3\)"):
        F.batchnorm_eval_forward(
            x, backend.ones((3,)), backend.zeros((3,)), backend.zeros((3,)), backend.ones((5,))
        )
    with pytest.raises(ValueError, match=r"logits must be 2-D.*\(3,\)"):
        F.softmax_cross_entropy(backend.ones((3,)), backend.asarray([0, 1, 2]))
    p = nn.Parameter(backend.zeros((2, 3)), "weight")
    with pytest.raises(ValueError, match=r"\(3, 2\).*weight.*\(2, 3\)"):
        p.accumulate(backend.zeros((3, 2)))


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: nn.BatchNorm1d(0), "num_features"),
        (lambda: nn.BatchNorm1d(3, eps=0.0), "eps"),
        (lambda: nn.Maxout(3, 2, pieces=0), "pieces"),
        (lambda: nn.Dropout(0.5, mode="classic"), "mode"),
        (lambda: nn.Linear(2.5, 3), "in_features"),
        (lambda: nn.Linear(np.array(2.5), 3), "in_features"),
        (lambda: nn.Linear(3, True), "out_features"),
        (lambda: init.he_normal(3, 3, mode="average"), "mode"),
        (lambda: data.linear_regression(n=10, d=0), "^d must"),
        (lambda: data.spirals(seed=-1), "seed"),
        (lambda: landscapes.optimize(landscapes.Rosenbrock(), optim.SGD, (0.0, 0.0), 2.5, lr=0.1), "steps"),
        (lambda: backend.seed(1.5), "seed"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_arguments_raise_value_error_naming_them(xp, make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_bad_types_raise_type_error_naming_them(xp):
    with pytest.raises(TypeError, match="layer 1"):
        nn.Sequential(nn.ReLU(), 42)
    with pytest.raises(TypeError, match="bias_correction"):
        optim.ewa([1.0, 2.0], 0.5, bias_correction="yes")
    with pytest.raises(TypeError, match="lr_lambda"):
        optim.LambdaLR(optim.SGD([nn.Parameter(backend.zeros((2,)))], lr=0.1), 0.5)


def test_sizes_accept_numpy_integers(xp):
    assert nn.Linear(np.int64(3), np.int32(2)).weight.shape == (2, 3)
    assert init.std("he_normal", np.int64(8), 2) == pytest.approx(0.5)
    opt = optim.SGD([nn.Parameter(backend.zeros((2,)))], lr=0.1)
    assert optim.StepLR(opt, step_size=np.int64(2)).step_size == 2


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda opt: optim.StepLR(opt, step_size=0), "step_size"),
        (lambda opt: optim.CosineAnnealingLR(opt, T_max=1.5), "T_max"),
        (lambda opt: optim.CyclicCosineLR(opt, cycle_length=-2), "cycle_length"),
        (lambda opt: optim.ExponentialLR(opt, gamma=0.0), "gamma"),
    ],
)
def test_schedules_reject_bad_arguments(make, argument):
    opt = optim.SGD([nn.Parameter(backend.zeros((2,)))], lr=0.1)
    with pytest.raises(ValueError, match=argument):
        make(opt)
