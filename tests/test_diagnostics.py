"""cnn.diagnostics: per-layer variances, saturation and dead units; the model is left as found."""

from __future__ import annotations

import math

import numpy as np
import pytest

import coursenn as cnn
from coursenn import nn
from coursenn.diagnostics import layer_stats, variance_per_layer

to_np = cnn.backend.to_numpy


def _approx(value):
    return pytest.approx(value, rel=1e-4, abs=1e-9)


def _data(n=64, d=10, classes=3):
    rng = cnn.backend.rng()
    return rng.normal(0.0, 1.0, (n, d)), rng.integers(0, classes, (n,))


def test_layer_stats_values_match_a_manual_pass(xp):
    X, y = _data()
    model = nn.Sequential(nn.Linear(10, 8), nn.Tanh(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    stats = layer_stats(model, X, y, nn.CrossEntropyLoss())
    assert [s["layer"] for s in stats] == ["Linear", "Tanh", "Linear", "ReLU", "Linear"]
    assert [s["index"] for s in stats] == list(range(5))
    for s in stats:
        assert all(isinstance(s[k], float) for k in ("act_var", "grad_var", "saturated", "dead"))
    outputs, h = [], X
    for layer in model:
        h = layer(h)
        outputs.append(to_np(h).astype(np.float64))
    for s, out in zip(stats, outputs, strict=True):
        assert s["act_var"] == _approx(out.var())
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(h, y)
    assert stats[-1]["grad_var"] == _approx(to_np(loss_fn.backward()).astype(np.float64).var())
    assert math.isnan(stats[0]["saturated"]) and math.isnan(stats[0]["dead"])
    assert 0.0 <= stats[1]["saturated"] <= 1.0 and math.isnan(stats[1]["dead"])
    assert 0.0 <= stats[3]["dead"] <= 1.0 and math.isnan(stats[3]["saturated"])


def test_saturation_of_tanh_and_sigmoid_with_huge_weights(xp):
    X, y = _data()

    def huge(fan_in, fan_out):
        return cnn.init.normal((fan_out, fan_in), std=100.0)

    for act in (nn.Tanh, nn.Sigmoid):
        model = nn.Sequential(nn.Linear(10, 50, init=huge), act(), nn.Linear(50, 3))
        assert layer_stats(model, X, y, nn.CrossEntropyLoss())[1]["saturated"] > 0.95
        small = nn.Sequential(nn.Linear(10, 50, init="xavier_normal"), act(), nn.Linear(50, 3))
        assert layer_stats(small, X, y, nn.CrossEntropyLoss())[1]["saturated"] < 0.1


def test_dead_relus_are_counted_per_unit(xp):
    X, y = _data()
    first = nn.Linear(10, 4)
    bias = np.array([-1e3, -1e3, 0.0, 0.0])  # units 0 and 1 can never fire
    first.bias.data = cnn.backend.asarray(bias)
    model = nn.Sequential(first, nn.ReLU(), nn.Linear(4, 3))
    assert layer_stats(model, X, y, nn.CrossEntropyLoss())[1]["dead"] == 0.5


def test_layer_stats_leaves_grads_and_running_stats_unchanged(xp):
    X, y = _data()
    model = nn.Sequential(nn.Linear(10, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 3))
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    grads = [to_np(p.grad).copy() for p in model.parameters()]
    running = to_np(model[1].running_var).copy()
    layer_stats(model, X, y, loss_fn)
    variance_per_layer(model, X)
    for p, g in zip(model.parameters(), grads, strict=True):
        np.testing.assert_array_equal(to_np(p.grad), g)
    np.testing.assert_array_equal(to_np(model[1].running_var), running)


def test_variance_per_layer_shows_vanishing_signal(xp):
    """With σ_Ω = 0.1 / sqrt(D_h) the variance shrinks by ~100x per linear layer."""
    X, _ = _data(n=256, d=50)

    def tiny(fan_in, fan_out):
        return cnn.init.normal((fan_out, fan_in), std=0.1 / math.sqrt(fan_in))

    model = nn.Sequential(*[nn.Linear(50, 50, init=tiny) for _ in range(3)])
    variances = variance_per_layer(model, X)
    assert len(variances) == 3 and all(isinstance(v, float) for v in variances)
    for before, after in zip(variances, variances[1:], strict=False):
        assert 0.005 < after / before < 0.02
