"""coursenn: a small, explicit deep-learning library for the course
*Entrenamiento de redes neuronales profundas*.

Layers have explicit ``forward``/``backward`` methods (no autograd); arrays live on the
backend chosen with :func:`coursenn.backend.use` (NumPy, CuPy or array_api_strict).

Submodules load on first use (``cnn.optim`` imports :mod:`coursenn.optim`), so
``import coursenn`` stays fast and matplotlib is only imported by ``cnn.plot``.
"""

from __future__ import annotations

import importlib
from typing import Any

from coursenn import backend  # noqa: F401  (always loaded: it reads COURSENN_BACKEND)

__version__ = "0.1.0"

SUBMODULES = (
    "backend",
    "functional",
    "init",
    "nn",
    "gradcheck",
    "diagnostics",
    "optim",
    "landscapes",
    "train",
    "data",
    "plot",
    "check",
    "io",
)

__all__ = [*SUBMODULES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in SUBMODULES:
        module = importlib.import_module(f"coursenn.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'coursenn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
