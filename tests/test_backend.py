"""The backend switch: names, devices, dtypes, conversion, randomness, errors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import coursenn as cnn
from coursenn import backend


def test_default_backend_is_numpy_float32():
    # a fresh interpreter, no COURSENN_BACKEND: numpy + float32
    env = {k: v for k, v in os.environ.items() if k != "COURSENN_BACKEND"}
    code = "import coursenn as c; print(c.backend.name(), c.backend.dtype_name())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["numpy", "float32"]


def test_env_var_selects_backend():
    env = dict(os.environ, COURSENN_BACKEND="array_api_strict")
    code = "import coursenn as c; print(c.backend.name())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "array_api_strict"


def test_env_var_unknown_backend_is_clear():
    env = dict(os.environ, COURSENN_BACKEND="tensorflow")
    out = subprocess.run([sys.executable, "-c", "import coursenn"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "COURSENN_BACKEND" in out.stderr and "'numpy'" in out.stderr


def test_python_m_coursenn_reports_versions():
    out = subprocess.run([sys.executable, "-m", "coursenn"], capture_output=True, text=True, check=True)
    assert f"coursenn {cnn.__version__}" in out.stdout
    for key in ("backend:", "numpy:", "array_api_compat:", "gpus:"):
        assert key in out.stdout


def test_unknown_backend_lists_valid_ones_and_keeps_current():
    before = backend.name()
    with pytest.raises(ValueError, match=r"'numpy', 'cupy', 'array_api_strict'.*'tensorflow'"):
        backend.use("tensorflow")
    assert backend.name() == before


def test_cupy_unavailable_says_why_and_how_to_install():
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed here; this test covers machines without it")
    except ImportError:
        pass
    before = backend.name()
    with pytest.raises(RuntimeError, match=r'pip install "coursenn\[gpu\]"'):
        backend.use("cupy")
    assert backend.name() == before


def test_unknown_dtype_and_device_are_rejected():
    with pytest.raises(ValueError, match="'float32', 'float64'.*'float16'"):
        backend.set_default_dtype("float16")
    with pytest.raises(ValueError, match="device for array_api_strict"):
        backend.use("array_api_strict", device="gpu7")
    with pytest.raises(ValueError, match="device for the numpy backend"):
        backend.use("numpy", device="cuda:0")


def test_using_restores_everything():
    backend.seed(5)
    state = (backend.name(), backend.dtype_name(), backend.device())
    with backend.using("array_api_strict", device="device1", dtype="float64"):
        assert backend.name() == "array_api_strict"
        assert "device1" in str(backend.device())
        assert backend.default_dtype() == backend.xp().float64
        backend.seed(9)
    assert (backend.name(), backend.dtype_name(), backend.device()) == state
    assert backend.rng().seed == 5


def test_using_restores_after_an_exception():
    before = backend.name()
    with pytest.raises(KeyError):
        with backend.using("array_api_strict"):
            raise KeyError("boom")
    assert backend.name() == before


def test_asarray_default_dtype_and_device(xp):
    a = backend.asarray([1.0, 2.0, 3.0])
    assert a.dtype == backend.default_dtype()
    assert cnn.backend.namespace_of(a) is xp
    assert str(getattr(a, "device", "cpu")) == str(backend.device())
    ints = backend.asarray(np.array([1, 2, 3]))
    assert ints.dtype == xp.int64
    assert backend.asarray(a) is not None and backend.asarray(a).dtype == a.dtype


def test_asarray_explicit_dtype(xp):
    a = backend.asarray([1, 2], dtype="float64")
    assert a.dtype == xp.float64
    with pytest.raises(ValueError, match="dtype must be one of"):
        backend.asarray([1], dtype="complex64")


def test_to_numpy_round_trip(xp):
    x = np.arange(6.0).reshape(2, 3)
    back = backend.to_numpy(backend.asarray(x))
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, x.astype(backend.dtype_name()))


def test_creation_helpers_live_on_the_current_device(xp):
    for a in (backend.zeros((2, 3)), backend.ones(4), backend.full((2,), 3.5)):
        assert a.dtype == backend.default_dtype()
        # mixing with an asarray'd array must work (array_api_strict refuses cross-device ops)
        _ = a + backend.asarray(backend.to_numpy(a))
    assert backend.to_numpy(backend.arange(4)).tolist() == [0, 1, 2, 3]


def test_seed_makes_draws_reproducible(xp):
    backend.seed(123)
    a = backend.to_numpy(backend.rng().normal(size=(5,)))
    backend.seed(123)
    b = backend.to_numpy(backend.rng().normal(size=(5,)))
    np.testing.assert_array_equal(a, b)
    backend.seed(124)
    c = backend.to_numpy(backend.rng().normal(size=(5,)))
    assert not np.array_equal(a, c)


def test_rng_distributions(xp):
    r = backend.rng()
    z = backend.to_numpy(r.normal(2.0, 3.0, size=(200_000,)))
    # standard errors: mean 3/sqrt(n) = 0.0067, std about 3/sqrt(2n) = 0.0047
    assert abs(z.mean() - 2.0) < 5 * 3 / np.sqrt(z.size)
    assert abs(z.std() - 3.0) < 5 * 3 / np.sqrt(2 * z.size)
    u = backend.to_numpy(r.uniform(-1.0, 1.0, size=(100_000,)))
    assert u.min() >= -1.0 and u.max() < 1.0
    assert abs(u.var() - 1 / 3) < 0.01
    k = backend.to_numpy(r.integers(0, 5, size=(1000,)))
    assert set(k.tolist()) == {0, 1, 2, 3, 4}
    perm = backend.to_numpy(r.permutation(10))
    assert sorted(perm.tolist()) == list(range(10))
    mask = backend.to_numpy(r.bernoulli(0.3, size=(100_000,)))
    assert mask.dtype == bool and abs(mask.mean() - 0.3) < 5 * np.sqrt(0.21 / mask.size)
    assert r.normal(size=(3,)).dtype == backend.default_dtype()


def test_rng_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale must be >= 0"):
        backend.rng().normal(0.0, -1.0, size=3)
    with pytest.raises(ValueError, match="high must be >= low"):
        backend.rng().uniform(1.0, 0.0, size=3)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        backend.seed(-1)


def test_strict_device1_refuses_implicit_numpy_conversion():
    """The CuPy stand-in really behaves like CuPy: no silent host conversion."""
    with backend.using("array_api_strict", device="device1"):
        a = backend.asarray([1.0, 2.0])
        with pytest.raises((RuntimeError, TypeError)):
            np.asarray(a)
        assert backend.to_numpy(a).tolist() == [1.0, 2.0]


def test_mutable_only_for_numpy_like():
    assert backend.mutable(np.zeros(2))
    with backend.using("array_api_strict"):
        assert not backend.mutable(backend.zeros(2))
