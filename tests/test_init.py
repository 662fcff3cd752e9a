"""cnn.init: empirical statistics of every scheme against the closed forms; names and gains."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coursenn as cnn
from coursenn import init

to_np = cnn.backend.to_numpy
SCHEMES = ["xavier_normal", "xavier_uniform", "he_normal", "he_uniform", "lecun_normal"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_empirical_std_matches_closed_form(xp, scheme, mode):
    """A 1000 x 1000 draw (fan_in=800, fan_out=1250 so the three modes differ): std within 2 %."""
    fan_in, fan_out = 800, 1250
    W = getattr(init, scheme)(fan_in, fan_out, mode=mode)
    assert W.shape == (fan_out, fan_in) and W.dtype == cnn.backend.default_dtype()
    w = to_np(W).astype(np.float64)
    expected = init.std(scheme, fan_in, fan_out, mode=mode)
    assert abs(w.std() / expected - 1) < 0.02
    assert abs(w.mean()) < 5 * expected / math.sqrt(w.size)
    if scheme.endswith("uniform"):
        assert np.abs(w).max() <= init.bound(scheme, fan_in, fan_out, mode=mode)
        assert np.abs(w).max() > 0.99 * init.bound(scheme, fan_in, fan_out, mode=mode)


def test_closed_forms_of_the_book():
    d_in, d_out = 100, 300
    assert init.std("xavier_normal", d_in, d_out) == pytest.approx(math.sqrt(2 / (d_in + d_out)))
    assert init.std("xavier_uniform", d_in, d_out) == pytest.approx(math.sqrt(2 / (d_in + d_out)))
    assert init.bound("xavier_uniform", d_in, d_out) == pytest.approx(math.sqrt(6 / (d_in + d_out)))
    assert init.std("he_normal", d_in, d_out) == pytest.approx(math.sqrt(2 / d_in))
    assert init.std("he_normal", d_in, d_out, mode="fan_out") == pytest.approx(math.sqrt(2 / d_out))
    assert init.std("he_uniform", d_in, d_out, mode="fan_avg") == pytest.approx(math.sqrt(4 / (d_in + d_out)))
    assert init.bound("he_uniform", d_in, d_out) == pytest.approx(math.sqrt(6 / d_in))
    assert init.std("lecun_normal", d_in, d_out) == pytest.approx(math.sqrt(1 / d_in))
    assert init.std("he_normal", d_in, d_out, gain=0.5) == pytest.approx(0.5 * math.sqrt(2 / d_in))


def test_gain_scales_the_draw(xp):
    w = to_np(init.xavier_normal(500, 500, gain=init.gain("tanh"))).astype(np.float64)
    assert abs(w.std() / (5 / 3 * math.sqrt(2 / 1000)) - 1) < 0.02


def test_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "selu", "conv2d"):
        assert init.gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    for slope in (None, 0.2):
        assert init.gain("leaky_relu", slope) == pytest.approx(
            torch.nn.init.calculate_gain("leaky_relu", slope)
        )


def test_he_uniform_matches_torch_kaiming_bound():
    torch = pytest.importorskip("torch")
    W = torch.empty(300, 200)
    torch.nn.init.kaiming_uniform_(W, a=0, mode="fan_in", nonlinearity="relu")
    assert W.abs().max().item() <= init.bound("he_uniform", 200, 300)
    assert W.std().item() == pytest.approx(init.std("he_uniform", 200, 300), rel=0.03)


def test_generic_draws(xp):
    np.testing.assert_array_equal(to_np(init.zeros((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(to_np(init.constant((2, 2), 0.5)), np.full((2, 2), 0.5))
    w = to_np(init.normal((400, 500), mean=1.0, std=0.5)).astype(np.float64)
    assert abs(w.mean() - 1.0) < 5 * 0.5 / math.sqrt(w.size) and abs(w.std() / 0.5 - 1) < 0.02
    u = to_np(init.uniform((400, 500), -2.0, 2.0)).astype(np.float64)
    assert u.min() >= -2.0 and u.max() < 2.0 and abs(u.std() / (4 / math.sqrt(12)) - 1) < 0.02
    np.testing.assert_array_equal(to_np(init.zeros_init(3, 2)), np.zeros((2, 3)))


def test_draws_are_reproducible_with_seed(xp):
    cnn.backend.seed(3)
    a = to_np(init.he_normal(20, 10))
    cnn.backend.seed(3)
    np.testing.assert_array_equal(a, to_np(init.he_normal(20, 10)))


def test_get_resolves_names_and_callables():
    assert init.get("he_normal") is init.he_normal

    def custom(fan_in, fan_out):
        return init.zeros((fan_out, fan_in))

    assert init.get(custom) is custom
    with pytest.raises(ValueError, match="unknown init 'kaiming'.*xavier_normal.*he_uniform.*lecun_normal"):
        init.get("kaiming")


@pytest.mark.parametrize("fans", [(0, 3), (3, -1), (2.5, 3), (True, 3), ("3", 3)])
def test_fans_must_be_positive_ints(fans):
    with pytest.raises(ValueError, match="fan_in|fan_out"):
        init.he_normal(*fans)


def test_bad_scheme_mode_and_nonlinearity():
    with pytest.raises(ValueError, match="valid schemes: xavier_normal"):
        init.std("glorot", 3, 3)
    with pytest.raises(ValueError, match="fan_avg"):
        init.std("he_normal", 3, 3, mode="average")
    with pytest.raises(ValueError, match="uniform scheme"):
        init.bound("he_normal", 3, 3)
    with pytest.raises(ValueError, match="valid names: .*relu"):
        init.gain("swish")


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    scheme=st.sampled_from(SCHEMES),
    fan_in=st.integers(20, 120),
    fan_out=st.integers(20, 120),
    seed=st.integers(0, 10_000),
)
def test_init_distributions_are_symmetric(scheme, fan_in, fan_out, seed):
    """P(w > 0) = 1/2 and E[w] = 0, within 5 standard errors."""
    with cnn.backend.using("numpy", dtype="float64"):
        cnn.backend.seed(seed)
        w = getattr(init, scheme)(fan_in, fan_out)
        n = w.size
        assert abs(np.mean(w > 0) - 0.5) < 5 * 0.5 / math.sqrt(n)
        assert abs(w.mean()) < 5 * init.std(scheme, fan_in, fan_out) / math.sqrt(n)
