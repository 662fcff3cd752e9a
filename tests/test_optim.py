"""Optimizers: step by step against plain-NumPy re-statements of their formulas (every
backend), against torch.optim trajectories, the momentum equivalences, validation,
state_dict round trips, clipping and the EWA."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coursenn as cnn
from coursenn import optim
from coursenn.nn import Parameter

STEPS = 25
SHAPE = (3, 4)


# --------------------------------------------------------------------------- references
# Independent re-statements of each update rule, in float64 NumPy, one loop each.


def ref_sgd(w, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    out, buf = [w], None
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
        out.append(w)
    return np.array(out)


def ref_momentum(w, grads, lr, beta=0.9, bias_correction=False):
    out, v = [w], np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        v = beta * v + (1 - beta) * g
        w = w - lr * (v / (1 - beta**t) if bias_correction else v)
        out.append(w)
    return np.array(out)


def ref_adagrad(w, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    out, G = [w], np.full_like(w, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        G = G + g**2
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(G) + eps)
        out.append(w)
    return np.array(out)


def ref_rmsprop(
    w,
    grads,
    lr=1e-2,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0.0,
    momentum=0.0,
    centered=False,
    bias_correction=False,
):
    out, v, gbar, b = [w], np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        var = v / (1 - alpha**t) if bias_correction else v
        if centered:
            gbar = alpha * gbar + (1 - alpha) * g
            var = var - gbar**2
        d = g / (np.sqrt(var) + eps)
        if momentum:
            b = momentum * b + d
            d = b
        w = w - lr * d
        out.append(w)
    return np.array(out)


def ref_adam(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
    b1, b2 = betas
    out, m, v, vmax = [w], np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1**t)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return np.array(out)


def ref_adamax(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    out, m, u = [w], np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        w = w - lr / (1 - b1**t) * m / u
        out.append(w)
    return np.array(out)


def ref_nadam(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    b1, b2 = betas

    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    out, m, v, prod = [w], np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        prod *= mu(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
        out.append(w)
    return np.array(out)


def ref_adadelta(w, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    # Zeiler (2012), Algorithm 1: E[g²] and E[Δx²] (squared UPDATES), times PyTorch's lr
    out, Eg2, Edx2 = [w], np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        g = g + weight_decay * w
        Eg2 = rho * Eg2 + (1 - rho) * g**2
        dx = -np.sqrt(Edx2 + eps) / np.sqrt(Eg2 + eps) * g
        Edx2 = rho * Edx2 + (1 - rho) * dx**2
        w = w + lr * dx
        out.append(w)
    return np.array(out)


CASES = [
    ("sgd", optim.SGD, ref_sgd, dict(lr=0.1)),
    ("sgd-momentum", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    ("sgd-dampening-wd", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd-nesterov", optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02)),
    ("momentum-ewa", optim.Momentum, ref_momentum, dict(lr=0.3, beta=0.9)),
    ("momentum-ewa-bc", optim.Momentum, ref_momentum, dict(lr=0.1, beta=0.8, bias_correction=True)),
    ("adagrad", optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (
        "adagrad-all",
        optim.Adagrad,
        ref_adagrad,
        dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.3),
    ),
    ("rmsprop", optim.RMSProp, ref_rmsprop, dict(lr=0.01)),
    ("rmsprop-centered", optim.RMSProp, ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True)),
    ("rmsprop-momentum-wd", optim.RMSProp, ref_rmsprop, dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    ("rmsprop-bc", optim.RMSProp, ref_rmsprop, dict(lr=0.01, alpha=0.9, bias_correction=True)),
    ("rmsprop-bc-momentum", optim.RMSProp, ref_rmsprop, dict(lr=0.01, momentum=0.7, bias_correction=True)),
    ("adam", optim.Adam, ref_adam, dict(lr=0.01)),
    ("adam-amsgrad", optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True)),
    ("adam-wd", optim.Adam, ref_adam, dict(lr=0.01, weight_decay=0.1, eps=1e-6)),
    ("adamax", optim.Adamax, ref_adamax, dict(lr=0.01)),
    ("adamax-wd", optim.Adamax, ref_adamax, dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.1)),
    ("nadam", optim.Nadam, ref_nadam, dict(lr=0.01)),
    (
        "nadam-wd",
        optim.Nadam,
        ref_nadam,
        dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.1),
    ),
    ("adadelta", optim.Adadelta, ref_adadelta, dict()),
    ("adadelta-wd", optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1)),
]
CASE_IDS = [c[0] for c in CASES]


def gradient_sequence(seed=1, steps=STEPS, shape=SHAPE):
    """A known random gradient sequence with entries of different scales."""
    rng = np.random.default_rng(seed)
    scales = np.exp(rng.uniform(-2, 1, size=shape))
    return [scales * rng.normal(size=shape) for _ in range(steps)]


def on_backend(a):
    """NumPy -> current backend (default dtype) -> NumPy float64: the value the library sees."""
    return cnn.backend.to_numpy(cnn.backend.asarray(a)).astype(np.float64)


def run(cls, kwargs, w0, grads):
    """Our optimizer on the current backend; returns the NumPy trajectory and the optimizer."""
    p = param(w0)
    opt = cls([p], **kwargs)
    path = [snapshot(p)]
    for g in grads:
        opt.zero_grad()
        p.accumulate(cnn.backend.asarray(g))
        opt.step()
        path.append(snapshot(p))
    return np.array(path, dtype=np.float64), opt


def param(w):
    """A Parameter holding a copy of ``w`` (NumPy's asarray would alias it, and the
    optimizers update NumPy weights in place)."""
    return Parameter(cnn.backend.asarray(np.array(w, dtype=np.float64, copy=True)))


def snapshot(p):
    """A float64 host copy of ``p.data`` (NumPy updates the weights in place)."""
    return np.array(cnn.backend.to_numpy(p.data), dtype=np.float64, copy=True)


def tolerances():
    if cnn.backend.dtype_name() == "float64":
        return dict(rtol=1e-10, atol=1e-12)
    return dict(rtol=2e-4, atol=2e-5)


# --------------------------------------------------------------------------- step by step


@pytest.mark.parametrize("name, cls, ref, kwargs", CASES, ids=CASE_IDS)
def test_step_by_step_matches_formula(xp, name, cls, ref, kwargs):
    rng = np.random.default_rng(0)
    w0 = on_backend(rng.normal(size=SHAPE))
    grads = [on_backend(g) for g in gradient_sequence()]
    ours, opt = run(cls, kwargs, w0, grads)
    expected = ref(w0, grads, **kwargs)
    assert ours.shape == (STEPS + 1, *SHAPE)
    assert opt.t == STEPS
    # the parameters really move (the comparison is not trivially satisfied)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3
    np.testing.assert_allclose(ours, expected, **tolerances())
    # state stays in the parameter's dtype and on its device
    dtype = cnn.backend.default_dtype()
    for p, state in zip(opt.params, opt.state, strict=True):
        assert p.data.dtype == dtype
        for buf in state.values():
            assert buf.dtype == dtype
            assert buf.shape == SHAPE
            assert cnn.backend.namespace_of(buf) is xp


@pytest.mark.parametrize("name, cls, ref, kwargs", CASES, ids=CASE_IDS)
def test_numpy_float32_stays_float32_and_updates_in_place(name, cls, ref, kwargs):
    with cnn.backend.using("numpy", dtype="float32"):
        p = Parameter(cnn.backend.asarray(np.ones(SHAPE)))
        data_id = id(p.data)
        opt = cls([p], **kwargs)
        for g in gradient_sequence(steps=3):
            p.zero_grad()
            p.accumulate(cnn.backend.asarray(g))
            opt.step()
        assert p.data.dtype == np.float32
        assert id(p.data) == data_id  # updated in place, no copy of the weights per step
        assert all(buf.dtype == np.float32 for buf in opt.state[0].values())


def test_step_reads_grad_without_modifying_it(xp):
    p = Parameter(cnn.backend.asarray(np.ones(4)))
    g = cnn.backend.asarray([1.0, -2.0, 3.0, -4.0])
    p.accumulate(g)
    opt = optim.Adam([p], lr=0.1, weight_decay=0.5)
    opt.step()
    np.testing.assert_array_equal(cnn.backend.to_numpy(p.grad), [1.0, -2.0, 3.0, -4.0])
    opt.zero_grad()
    np.testing.assert_array_equal(cnn.backend.to_numpy(p.grad), np.zeros(4))


def test_several_parameters_and_model_parameters(xp):
    model = cnn.nn.Sequential()
    model.a = Parameter(cnn.backend.asarray(np.ones((2, 3))), name="a")
    model.b = Parameter(cnn.backend.asarray(np.ones(3)), name="b")
    opt = optim.SGD(model.parameters(), lr=0.5)
    assert len(opt.params) == 2
    model.a.accumulate(cnn.backend.asarray(np.full((2, 3), 2.0)))
    model.b.accumulate(cnn.backend.asarray(np.full(3, -1.0)))
    opt.step()
    np.testing.assert_allclose(cnn.backend.to_numpy(model.a.data), np.zeros((2, 3)))
    np.testing.assert_allclose(cnn.backend.to_numpy(model.b.data), np.full(3, 1.5))


def test_changing_lr_between_steps_is_used(xp):
    p = Parameter(cnn.backend.asarray([0.0]))
    opt = optim.SGD([p], lr=1.0)
    for lr in (1.0, 0.5, 0.25):
        opt.lr = lr
        p.zero_grad()
        p.accumulate(cnn.backend.asarray([1.0]))
        opt.step()
    np.testing.assert_allclose(cnn.backend.to_numpy(p.data), [-1.75])


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    # m̂_1 / sqrt(v̂_1) = g / |g|: Adam's first step is ±lr in every coordinate
    with cnn.backend.using("numpy", dtype="float64"):
        g = np.array([1e-4, -3.0, 250.0])
        path, _ = run(optim.Adam, dict(lr=0.01, eps=1e-12), np.zeros(3), [g])
        np.testing.assert_allclose(path[1], -0.01 * np.sign(g), rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(1e-3, 1e3), seed=st.integers(0, 2**16))
def test_adam_and_rmsprop_are_invariant_to_gradient_scale(scale, seed):
    # both divide by a running RMS of the gradient: multiplying every gradient by c > 0
    # leaves the trajectory unchanged (up to eps)
    with cnn.backend.using("numpy", dtype="float64"):
        grads = gradient_sequence(seed=seed, steps=10, shape=(4,))
        for cls in (optim.Adam, optim.RMSProp, optim.Adamax):
            kw = dict(lr=0.01, eps=1e-14)
            a, _ = run(cls, kw, np.zeros(4), grads)
            b, _ = run(cls, kw, np.zeros(4), [scale * g for g in grads])
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)  # steps are O(lr = 1e-2)


@settings(max_examples=25, deadline=None)
@given(lr=st.floats(1e-3, 1.0), seed=st.integers(0, 2**16))
def test_sgd_displacement_is_minus_lr_times_sum_of_gradients(lr, seed):
    with cnn.backend.using("numpy", dtype="float64"):
        grads = gradient_sequence(seed=seed, steps=8, shape=(3,))
        path, _ = run(optim.SGD, dict(lr=lr), np.zeros(3), grads)
        np.testing.assert_allclose(path[-1], -lr * np.sum(grads, axis=0), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- momentum forms


def _quadratic_grad(h, c):
    return lambda w: h * (w - c)


def test_momentum_forms_give_the_same_trajectory(xp):
    """Slides' EWA form (lr α) = Polyak's heavy ball (η = α(1−β)) = PyTorch's SGD (lr η)."""
    rng = np.random.default_rng(3)
    h, c = rng.uniform(0.5, 5.0, size=SHAPE), rng.normal(size=SHAPE)
    grad = _quadratic_grad(h, c)
    alpha, beta, steps = 0.3, 0.9, 40
    eta = alpha * (1 - beta)

    def trajectory(opt, p):
        out = [snapshot(p)]
        for _ in range(steps):
            opt.zero_grad()
            p.accumulate(cnn.backend.asarray(grad(snapshot(p))))
            opt.step()
            out.append(snapshot(p))
        return np.array(out, dtype=np.float64)

    w0 = on_backend(np.zeros(SHAPE))
    p1 = param(w0)
    ewa_path = trajectory(optim.Momentum([p1], lr=alpha, beta=beta), p1)
    p2 = param(w0)
    torch_form = trajectory(optim.SGD([p2], lr=eta, momentum=beta), p2)
    # Polyak (1964) in plain NumPy: m ← βm − η∇J(θ), θ ← θ + m
    theta, m, polyak = w0.copy(), np.zeros(SHAPE), [w0.copy()]
    for _ in range(steps):
        m = beta * m - eta * grad(theta)
        theta = theta + m
        polyak.append(theta)
    tol = tolerances()
    np.testing.assert_allclose(ewa_path, torch_form, **tol)
    np.testing.assert_allclose(ewa_path, np.array(polyak), **tol)
    assert np.abs(ewa_path[-1] - c).max() < np.abs(w0 - c).max()  # it does descend


# --------------------------------------------------------------------------- against torch


@pytest.fixture
def torch64():
    """torch with float64 default dtype (its optimizers then keep step counters and
    NAdam's ∏μ in float64 too)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(saved)


TORCH_CASES = [
    ("SGD", optim.SGD, dict(lr=0.05)),
    ("SGD", optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("SGD", optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", optim.SGD, dict(lr=0.05, momentum=0.7, dampening=0.5, weight_decay=0.1)),
    ("Adagrad", optim.Adagrad, dict()),
    ("Adagrad", optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.2)),
    ("RMSprop", optim.RMSProp, dict()),
    ("RMSprop", optim.RMSProp, dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", optim.RMSProp, dict(lr=0.01, momentum=0.8, weight_decay=0.05)),
    ("RMSprop", optim.RMSProp, dict(lr=0.01, momentum=0.5, centered=True, eps=1e-6)),
    ("Adam", optim.Adam, dict(lr=0.01)),
    ("Adam", optim.Adam, dict(lr=0.01, betas=(0.8, 0.95), amsgrad=True)),
    ("Adam", optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adamax", optim.Adamax, dict()),
    ("Adamax", optim.Adamax, dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.1)),
    ("NAdam", optim.Nadam, dict()),
    ("NAdam", optim.Nadam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.05)),
    ("Adadelta", optim.Adadelta, dict()),
    ("Adadelta", optim.Adadelta, dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.1)),
]


@pytest.mark.parametrize(
    "torch_name, cls, kwargs", TORCH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_CASES)]
)
def test_trajectory_matches_torch(xp64, torch_name, cls, kwargs, torch64):
    torch = torch64
    rng = np.random.default_rng(7)
    shapes = [(3, 4), (5,)]
    curv = [rng.uniform(0.2, 3.0, size=s) for s in shapes]
    noise = [[rng.normal(scale=0.5, size=s) for s in shapes] for _ in range(30)]
    starts = [rng.normal(size=s) for s in shapes]

    ours = [param(w) for w in starts]
    theirs = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in starts]
    opt = cls(ours, **kwargs)
    ref = getattr(torch.optim, torch_name)(theirs, **kwargs)
    for t in range(30):
        opt.zero_grad()
        ref.zero_grad()
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            p.accumulate(cnn.backend.asarray(curv[i] * cnn.backend.to_numpy(p.data) + noise[t][i]))
            q.grad = torch.tensor(curv[i] * q.detach().numpy() + noise[t][i])
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(
                cnn.backend.to_numpy(p.data), q.detach().numpy(), rtol=1e-9, atol=1e-12
            )
    assert np.abs(cnn.backend.to_numpy(ours[1].data) - starts[1]).max() > 1e-3


def test_clip_grad_norm_matches_torch(xp64):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    for max_norm, norm_type in ((1.0, 2.0), (100.0, 2.0), (0.5, math.inf), (2.0, 1.0)):
        ours = [Parameter(cnn.backend.asarray(np.zeros_like(g))) for g in grads]
        for p, g in zip(ours, grads, strict=True):
            p.accumulate(cnn.backend.asarray(g))
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for q, g in zip(theirs, grads, strict=True):
            q.grad = torch.tensor(g)
        total = optim.clip_grad_norm(ours, max_norm, norm_type=norm_type)
        ref_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
        assert isinstance(total, float)
        assert total == pytest.approx(float(ref_total), rel=1e-12)
        for p, q in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(cnn.backend.to_numpy(p.grad), q.grad.numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- clipping


def test_clip_grad_norm_rescales_jointly(xp):
    a = Parameter(cnn.backend.asarray(np.zeros(2)))
    b = Parameter(cnn.backend.asarray(np.zeros(1)))
    a.accumulate(cnn.backend.asarray([3.0, 0.0]))
    b.accumulate(cnn.backend.asarray([4.0]))
    total = optim.clip_grad_norm([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0, rel=1e-6)
    ga, gb = cnn.backend.to_numpy(a.grad), cnn.backend.to_numpy(b.grad)
    np.testing.assert_allclose(np.concatenate([ga, gb]), [0.6, 0.0, 0.8], rtol=1e-5)
    # below the threshold nothing changes
    assert optim.clip_grad_norm([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(cnn.backend.to_numpy(b.grad), gb)


def test_clip_grad_value(xp):
    p = Parameter(cnn.backend.asarray(np.zeros(4)))
    p.accumulate(cnn.backend.asarray([-3.0, -0.5, 0.2, 7.0]))
    optim.clip_grad_value([p], 1.0)
    np.testing.assert_allclose(cnn.backend.to_numpy(p.grad), [-1.0, -0.5, 0.2, 1.0])


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda p: optim.clip_grad_norm(p, 0.0), "max_norm"),
        (lambda p: optim.clip_grad_norm(p, 1.0, norm_type=-1.0), "norm_type"),
        (lambda p: optim.clip_grad_value(p, -1.0), "clip_value"),
    ],
)
def test_clip_rejects_bad_arguments(call, argument):
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    with pytest.raises(ValueError, match=argument):
        call([p])


# --------------------------------------------------------------------------- validation

BAD = [
    (optim.SGD, dict(lr=0.0), "lr"),
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "nesterov"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1.0), "weight_decay"),
    (optim.SGD, dict(lr=0.1, dampening=2.0), "dampening"),
    (optim.Momentum, dict(lr=0.1, beta=1.0), "beta"),
    (optim.Momentum, dict(lr=0.1, beta=-0.1), "beta"),
    (optim.Momentum, dict(lr=-1.0), "lr"),
    (optim.Adagrad, dict(eps=0.0), "eps"),
    (optim.Adagrad, dict(lr_decay=-1.0), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (optim.RMSProp, dict(alpha=1.0), "alpha"),
    (optim.RMSProp, dict(eps=-1e-8), "eps"),
    (optim.RMSProp, dict(momentum=-0.9), "momentum"),
    (optim.RMSProp, dict(centered=True, bias_correction=True), "bias_correction"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (optim.Adam, dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (optim.Adam, dict(betas=0.9), "betas"),
    (optim.Adam, dict(lr=float("nan")), "lr"),
    (optim.Adam, dict(eps=0.0), "eps"),
    (optim.Adamax, dict(betas=(0.9, 1.0)), "betas"),
    (optim.Adamax, dict(lr=0.0), "lr"),
    (optim.Nadam, dict(momentum_decay=-1.0), "momentum_decay"),
    (optim.Nadam, dict(betas=(-0.1, 0.9)), "betas"),
    (optim.Adadelta, dict(rho=1.0), "rho"),
    (optim.Adadelta, dict(lr=0.0), "lr"),
    (optim.Adadelta, dict(eps=0.0), "eps"),
]


@pytest.mark.parametrize("cls, kwargs, argument", BAD, ids=[f"{c.__name__}-{a}" for c, _, a in BAD])
def test_bad_hyperparameters_raise_value_error_naming_the_argument(cls, kwargs, argument):
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    with pytest.raises(ValueError, match=argument):
        cls([p], **kwargs)


def test_bad_types_raise_type_error():
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    with pytest.raises(TypeError, match="lr"):
        optim.Adam([p], lr="fast")
    with pytest.raises(TypeError, match="amsgrad"):
        optim.Adam([p], amsgrad="yes")
    with pytest.raises(TypeError, match=r"params\[1\]"):
        optim.SGD([p, np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="params"):
        optim.SGD(3, lr=0.1)


def test_params_must_be_nonempty_and_distinct():
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    with pytest.raises(ValueError, match="params"):
        optim.Adam([])
    with pytest.raises(ValueError, match="params"):
        optim.Adam(iter([]))
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([p, p])


def test_repr_shows_hyperparameters():
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    text = repr(optim.Adam([p], lr=0.01, amsgrad=True))
    assert text.startswith("Adam(") and "lr=0.01" in text and "betas=(0.9, 0.999)" in text
    assert "amsgrad=True" in text
    assert "beta=0.9" in repr(optim.Momentum([p], lr=0.1))
    assert "lr=1.0" in repr(optim.Adadelta([p]))


def test_default_hyperparameters_follow_torch():
    torch = pytest.importorskip("torch")
    p = Parameter(cnn.backend.asarray(np.zeros(2)))
    q = [torch.zeros(2, requires_grad=True)]
    pairs = [
        (optim.Adagrad, "Adagrad"),
        (optim.RMSProp, "RMSprop"),
        (optim.Adam, "Adam"),
        (optim.Adamax, "Adamax"),
        (optim.Nadam, "NAdam"),
        (optim.Adadelta, "Adadelta"),
    ]
    for ours, name in pairs:
        defaults = getattr(torch.optim, name)(q).defaults
        for key, value in ours([p]).hyperparameters().items():
            if key in defaults:
                assert value == pytest.approx(defaults[key]), (name, key)


# --------------------------------------------------------------------------- state_dict


@pytest.mark.parametrize("name, cls, ref, kwargs", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_reproduces_the_trajectory(xp, name, cls, ref, kwargs):
    grads = [on_backend(g) for g in gradient_sequence(seed=5, steps=16)]
    w0 = on_backend(np.random.default_rng(2).normal(size=SHAPE))
    p = param(w0)
    opt = cls([p], **kwargs)

    def advance(opt, p, gs):
        out = []
        for g in gs:
            opt.zero_grad()
            p.accumulate(cnn.backend.asarray(g))
            opt.step()
            out.append(snapshot(p))
        return np.array(out)

    advance(opt, p, grads[:8])
    saved = opt.state_dict()
    # plain values only: it survives numpy.savez / numpy.load without pickle
    buffer = io.BytesIO()
    np.savez(buffer, **saved)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as archive:
        reloaded = {key: archive[key] for key in archive.files}

    q = param(snapshot(p))
    kwargs_other = dict(kwargs, lr=kwargs.get("lr", 1.0) * 3.0)  # overwritten by the load
    other = cls([q], **kwargs_other)
    other.load_state_dict(reloaded)
    assert other.t == opt.t == 8
    assert other.hyperparameters() == opt.hyperparameters()
    np.testing.assert_array_equal(advance(other, q, grads[8:]), advance(opt, p, grads[8:]))


def test_load_state_dict_refuses_mismatch_and_changes_nothing(xp):
    p = Parameter(cnn.backend.asarray(np.zeros((2, 3))))
    opt = optim.Adam([p], lr=0.01)
    p.accumulate(cnn.backend.asarray(np.ones((2, 3))))
    opt.step()
    before = opt.state_dict()

    other_shape = optim.Adam([Parameter(cnn.backend.asarray(np.zeros((3, 2))))], lr=0.5)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(other_shape.state_dict())
    with pytest.raises(ValueError, match="Adamax"):
        opt.load_state_dict(optim.Adamax([p]).state_dict())
    with pytest.raises(ValueError, match="max_sq_grad_avg"):
        opt.load_state_dict(optim.Adam([p], amsgrad=True).state_dict())
    two = optim.Adam([p, Parameter(cnn.backend.asarray(np.zeros(2)))])
    with pytest.raises(ValueError, match="2 parameters"):
        opt.load_state_dict(two.state_dict())
    bad = dict(before, lr=-1.0)
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad)
    with pytest.raises(TypeError, match="state_dict"):
        opt.load_state_dict([1, 2])

    after = opt.state_dict()
    assert after.keys() == before.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_state_dict_with_lr_annealed_to_zero_loads(xp):
    """Cosine annealing to eta_min=0 leaves lr == 0.0 exactly; that checkpoint must load."""
    p = Parameter(cnn.backend.asarray(np.zeros(3)))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    schedule = optim.CosineAnnealingLR(opt, T_max=2)
    schedule.step()
    schedule.step()
    assert opt.lr == 0.0
    other = optim.SGD([p], lr=0.5, momentum=0.9)
    other.load_state_dict(opt.state_dict())
    assert other.lr == 0.0 and other.momentum == 0.9
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([p], lr=0.0)  # the constructor still wants a positive rate


def test_state_dict_is_a_copy(xp):
    p = Parameter(cnn.backend.asarray(np.zeros(3)))
    opt = optim.Momentum([p], lr=0.1)
    p.accumulate(cnn.backend.asarray(np.ones(3)))
    opt.step()
    saved = opt.state_dict()
    opt.step()
    np.testing.assert_allclose(saved["state.0.grad_avg"], np.full(3, 0.1))
    assert isinstance(saved["state.0.grad_avg"], np.ndarray)


# --------------------------------------------------------------------------- EWA


def test_ewa_matches_explicit_weights(xp):
    rng = np.random.default_rng(8)
    y = on_backend(rng.normal(size=(30, 3)))
    beta = 0.8
    raw = cnn.backend.to_numpy(optim.ewa(cnn.backend.asarray(y), beta, bias_correction=False))
    corrected = cnn.backend.to_numpy(optim.ewa(cnn.backend.asarray(y), beta))
    for t in range(1, 31):
        weights = (1 - beta) * beta ** np.arange(t - 1, -1, -1)  # weight of y_k is (1-β) β^{t-k}
        expected = weights @ y[:t]
        np.testing.assert_allclose(raw[t - 1], expected, **tolerances())
        np.testing.assert_allclose(corrected[t - 1], expected / (1 - beta**t), **tolerances())


def test_ewa_on_lists_and_constants():
    out = optim.ewa([2.0] * 10, 0.9)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_allclose(out, np.full(10, 2.0))  # bias correction removes the pull to v_0 = 0
    raw = optim.ewa([2.0] * 10, 0.9, bias_correction=False)
    np.testing.assert_allclose(raw, 2.0 * (1 - 0.9 ** np.arange(1, 11)))
    np.testing.assert_allclose(optim.ewa([1, 3], 0.5, bias_correction=False), [0.5, 1.75])
    assert optim.ewa([], 0.5).shape == (0,)
    with pytest.raises(ValueError, match="beta"):
        optim.ewa([1.0], 1.0)
    with pytest.raises(ValueError, match="values"):
        optim.ewa(3.0, 0.5)


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40),
    beta=st.floats(0.0, 0.99),
)
def test_ewa_bias_corrected_is_a_convex_combination(values, beta):
    out = optim.ewa(values, beta)
    lo = np.minimum.accumulate(values)
    hi = np.maximum.accumulate(values)
    slack = 1e-9 * (1 + np.abs(values).max())
    assert np.all(out >= lo - slack) and np.all(out <= hi + slack)
