"""Tests of coursenn.check: ✔ for correct student code on every backend, ✘ with a useful message otherwise."""

from __future__ import annotations

import math

import pytest

import coursenn as cnn
from coursenn import check


def _xp(a):
    return cnn.backend.namespace_of(a)


# ------------------------------------------------------------------------------ correct solutions
# Written as a student would, with the Array API only, so they run on every backend.
def relu_backward(dh, z):
    return _xp(z).where(z > 0, dh, 0.0)


def sigmoid_backward(dh, z):
    s = 1.0 / (1.0 + _xp(z).exp(-z))
    return dh * s * (1.0 - s)


def linear_forward(x, W, b):
    out = x @ W.T + b
    return out, (x, W, b)  # (out, cache) is accepted too


def linear_backward(dout, cache):
    x, W, _ = cache
    return dout @ W, dout.T @ x, _xp(dout).sum(dout, axis=0)


def softmax_cross_entropy(logits, y):
    xp = _xp(logits)
    n, c = logits.shape
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    log_p = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
    onehot = xp.astype(y[:, None] == cnn.backend.arange(c)[None, :], logits.dtype)
    return -xp.sum(onehot * log_p) / n, (xp.exp(log_p) - onehot) / n


def xavier_std(fan_in, fan_out):
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in, fan_out):
    return math.sqrt(2.0 / fan_in)


def leaky_relu_he_std(fan_in, alpha):
    return math.sqrt(2.0 / ((1.0 + alpha**2) * fan_in))


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    xp = _xp(w)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v


def batchnorm_forward(x, gamma, beta, eps):
    xp = _xp(x)
    x_hat = (x - xp.mean(x, axis=0)) / xp.sqrt(xp.var(x, axis=0) + eps)
    return gamma * x_hat + beta


def dropout_forward(x, p, rng):
    keep = _xp(x).astype(rng.random(tuple(x.shape)) >= p, x.dtype)
    return x * keep / (1.0 - p)


def minibatches(X, y, batch_size, rng):
    xp = _xp(X)
    n = X.shape[0]
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        idx = order[start : min(start + batch_size, n)]
        yield xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)


SOLUTIONS = {
    "relu_backward": (relu_backward, 5),
    "sigmoid_backward": (sigmoid_backward, 5),
    "linear_forward": (linear_forward, 5),
    "linear_backward": (linear_backward, 5),
    "softmax_cross_entropy": (softmax_cross_entropy, 5),
    "xavier_std": (xavier_std, 5),
    "he_std": (he_std, 5),
    "leaky_relu_he_std": (leaky_relu_he_std, 5),
    "adam_step": (adam_step, 6),
    "batchnorm_forward": (batchnorm_forward, 5),
    "dropout_forward": (dropout_forward, 4),
    "minibatches": (minibatches, 5),
}


def test_every_check_has_a_reference_solution_here():
    assert set(SOLUTIONS) == set(check.__all__)


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_correct_solutions_pass_on_every_backend(xp, capsys, name):
    fn, n_cases = SOLUTIONS[name]
    assert getattr(check, name)(fn) is True
    assert capsys.readouterr().out == f"✔ {name}: correcto ({n_cases} casos)\n"


# ------------------------------------------------------------------------------ wrong solutions
def _relu_uses_z(dh, z):
    return dh * z


def _linear_forgets_transpose(x, W, b):
    return x @ W + b


def _linear_backward_mean_db(dout, cache):
    x, W, _ = cache
    return dout @ W, dout.T @ x, _xp(dout).mean(dout, axis=0)


def _softmax_unstable(logits, y):
    xp = _xp(logits)
    n, c = logits.shape
    p = xp.exp(logits) / xp.sum(xp.exp(logits), axis=1, keepdims=True)
    onehot = xp.astype(y[:, None] == cnn.backend.arange(c)[None, :], logits.dtype)
    return -xp.sum(onehot * xp.log(p)) / n, (p - onehot) / n


def _adam_without_bias_correction(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (_xp(w).sqrt(v) + eps), m, v


def _batchnorm_unbiased(x, gamma, beta, eps):
    xp = _xp(x)
    return gamma * (x - xp.mean(x, axis=0)) / xp.sqrt(xp.var(x, axis=0, correction=1) + eps) + beta


def _dropout_keep_prob(x, p, rng):  # treats p as the probability of keeping
    keep = _xp(x).astype(rng.random(tuple(x.shape)) < p, x.dtype)
    return x * keep / p if p > 0 else x


def _minibatches_drop_last(X, y, batch_size, rng):
    xp = _xp(X)
    n = X.shape[0]
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        idx = order[start : start + batch_size]
        yield xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)


def _minibatches_in_order(X, y, batch_size, rng):
    n = X.shape[0]
    for start in range(0, n, batch_size):
        yield X[start : min(start + batch_size, n), ...], y[start : min(start + batch_size, n)]


WRONG = [
    ("relu_backward", _relu_uses_z, "caso 1 (entrada de forma (3, 4))", "no por z"),
    ("relu_backward", lambda dh, z: None, "dz es None", "return"),
    (
        "relu_backward",
        lambda dh, z: 1 / 0,
        "su función lanzó ZeroDivisionError: division by zero",
        "1[z > 0]",
    ),
    ("sigmoid_backward", lambda dh, z: dh * z * (1 - z), "esperado dz[", "no con z"),
    (
        "linear_forward",
        _linear_forgets_transpose,
        "caso 1 (x de forma (4, 3), W de forma (2, 3)):\n  su función lanzó",
        "x @ W.T + b",
    ),
    ("linear_forward", lambda x, W, b: x @ W.T, "esperado out[", "falta sumar el sesgo"),
    ("linear_backward", _linear_backward_mean_db, "esperado db[", "SUMA"),
    (
        "linear_backward",
        lambda dout, cache: (dout, dout),
        "se esperaba una tupla (dx, dW, db)",
        "return dx, dW, db",
    ),
    (
        "softmax_cross_entropy",
        _softmax_unstable,
        "caso 5 (logits de forma (3, 4) grandes",
        "máximo de cada fila",
    ),
    ("xavier_std", lambda fi, fo: 2.0 / (fi + fo), "esperado std = 0.1, obtenido 0.01", "varianza"),
    ("he_std", lambda fi, fo: math.sqrt(2.0 / (fi + fo)), "caso 1 (fan_in=100, fan_out=100)", "Xavier"),
    ("leaky_relu_he_std", lambda fi, a: math.sqrt(2.0 / ((1 + a) * fi)), "esperado std", "α²"),
    ("adam_step", _adam_without_bias_correction, "caso 1 (paso t=1", "corrección de sesgo"),
    ("batchnorm_forward", _batchnorm_unbiased, "esperado out[", "N − 1"),
    ("dropout_forward", _dropout_keep_prob, "fracción de ceros ≈ 0.2", "APAGAR"),
    ("dropout_forward", lambda x, p, rng: x, "caso 2 (p = 0.2", "rng.random(x.shape) >= p"),
    ("minibatches", _minibatches_drop_last, "esperados minilotes de tamaños [3, 3, 3, 1]", "n mod B"),
    ("minibatches", _minibatches_in_order, "orden original", "rng.permutation(n)"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the unstable softmax overflows, on purpose
@pytest.mark.parametrize("name, fn, detail, hint", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_solutions_fail_with_a_useful_message(xp, capsys, name, fn, detail, hint):
    assert getattr(check, name)(fn) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {name}: falla en el caso ")
    assert detail in out
    assert "Pista: " in out and hint in out.split("Pista: ", 1)[1]
    lines = out.splitlines()  # a verdict line, then the indented detail and hint
    assert len(lines) == 3 and all(line.startswith("  ") for line in lines[1:])


def test_not_a_function(capsys):
    assert check.he_std(he_std(100, 100)) is False
    assert "✘ he_std: se esperaba una función" in capsys.readouterr().out


def test_checks_do_not_touch_the_global_generator(xp):
    cnn.backend.seed(3)
    expected = cnn.backend.to_numpy(cnn.backend.rng().random(5))
    cnn.backend.seed(3)
    check.dropout_forward(dropout_forward)
    check.minibatches(minibatches)
    assert (cnn.backend.to_numpy(cnn.backend.rng().random(5)) == expected).all()
