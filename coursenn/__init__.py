"""coursenn: a small, explicit deep-learning library for the course
*Entrenamiento de redes neuronales profundas*.

Layers have explicit ``forward``/``backward`` methods (no autograd); arrays live on the
backend chosen with :func:`coursenn.backend.use` (NumPy, CuPy or array_api_strict).
"""

__version__ = "0.1.0"

from coursenn import backend  # noqa: E402

__all__ = ["backend", "__version__"]
