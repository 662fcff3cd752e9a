"""Repository-wide pytest setup (loaded before any test or notebook runs).

Notebook kernels (nbval) and the book build run in subprocesses that inherit these
variables: one BLAS thread per process keeps the small matrix products of the course fast
on shared CI machines and makes every chapter's numbers bit-for-bit reproducible.
A variable already set by the user wins.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
