"""Shared fixtures: the ``xp`` fixture runs a library test on every available backend.

Backends (DESIGN §3): ``numpy`` (float64); ``array_api_strict`` on its default device in
float64 and on ``device1`` in float32 (a strict, non-NumPy library whose second device
refuses implicit conversion to NumPy, as CuPy does); ``cupy`` (float32) only when CuPy
imports and sees a GPU, skipped otherwise with the reason.
"""

from __future__ import annotations

import pytest

import coursenn as cnn


def _cupy_skip_reason() -> str | None:
    try:
        import cupy
    except ImportError:
        return 'CuPy is not installed (pip install "coursenn[gpu]")'
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver
        return f"CuPy is installed but CUDA is unusable: {exc}"
    return None if n > 0 else "CuPy is installed but no GPU was found"


_CUPY_SKIP = _cupy_skip_reason()

BACKEND_PARAMS = [
    pytest.param(("numpy", None, "float64"), id="numpy-f64"),
    pytest.param(("array_api_strict", "CPU_DEVICE", "float64"), id="strict-cpu-f64"),
    pytest.param(("array_api_strict", "device1", "float32"), id="strict-device1-f32"),
    pytest.param(
        ("cupy", None, "float32"),
        id="cupy-f32",
        marks=pytest.mark.skipif(_CUPY_SKIP is not None, reason=str(_CUPY_SKIP)),
    ),
]


@pytest.fixture(params=BACKEND_PARAMS)
def xp(request):
    """Switch coursenn to one backend (seeded with 0) for the test; yields its namespace."""
    name, device, dtype = request.param
    with cnn.backend.using(name, device=device, dtype=dtype) as namespace:
        cnn.backend.seed(0)
        yield namespace


@pytest.fixture
def xp64(xp):
    """Same backends as ``xp`` but with float64 as default dtype (for gradient checks)."""
    with cnn.backend.using(dtype="float64"):
        yield xp
