"""Time one MLP training step: coursenn (NumPy backend) vs hand-written NumPy vs PyTorch CPU.

A second hand-written step, "two-phase", keeps every gradient until the backward pass ends and
then updates (the structure of any library with ``backward()`` + ``optimizer.step()``); it is
reported to show what that structure costs, not as a target.

A step is forward + softmax cross-entropy + backward + plain SGD update, in float32, on the
same data and thread count for every implementation. Each implementation is warmed up, then
timed in interleaved rounds (so a slow patch of the machine hits all of them alike); the
reported figure is the median time per step. The script also measures the machine's SGEMM
rate through NumPy and the fraction of it the wide net reaches.

    python benchmarks/bench_step.py                    # all shapes, table + results/bench_step.json
    python benchmarks/bench_step.py --shapes small --threads 1
    python benchmarks/bench_step.py --smoke            # seconds; what the test suite runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", default="small,deep,wide", help="comma-separated: small, deep, wide")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="BLAS/torch threads")
    p.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    p.add_argument("--smoke", action="store_true", help="tiny shapes and few steps (for the test suite)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--json", default=str(Path(__file__).parent / "results" / "bench_step.json"))
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error(f"--threads must be >= 1; got {args.threads}")
    return args


# Thread counts must be fixed before NumPy (and its BLAS) is imported.
_ARGS = _parse_args(sys.argv[1:] if __name__ == "__main__" else [])
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_ARGS.threads)

import numpy as np  # noqa: E402

import coursenn as cnn  # noqa: E402

SHAPES = {
    # name: (layer widths, batch size, timed steps per round)
    "small": ([40, 100, 100, 10], 100, 200),
    "deep": ([100] + [100] * 50 + [10], 100, 30),
    "wide": ([1024, 1024, 1024, 10], 1024, 4),
}
SMOKE_SHAPES = {
    "small": ([8, 16, 4], 8, 5),
    "deep": ([8] + [8] * 5 + [4], 8, 5),
    "wide": ([32, 32, 4], 16, 3),
}
LR = 0.01


def make_data(widths: list[int], batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, widths[0]), dtype=np.float32)
    y = rng.integers(0, widths[-1], size=batch)
    return X, y


def he_weights(widths: list[int], seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for d_in, d_out in zip(widths[:-1], widths[1:], strict=False):
        W = (rng.standard_normal((d_out, d_in)) * np.sqrt(2.0 / d_in)).astype(np.float32)
        out.append((W, np.zeros(d_out, dtype=np.float32)))
    return out


# ----------------------------------------------------------------------------- hand-written NumPy
class HandNumpy:
    """The floor: a plain NumPy MLP step with no abstraction at all."""

    name = "hand-numpy"
    fused = True

    def __init__(self, widths, X, y):
        self.params = [(W.copy(), b.copy()) for W, b in he_weights(widths)]
        self.X, self.y = X, y
        self.eye = np.eye(widths[-1], dtype=np.float32)

    def step(self) -> float:
        onehot = self.eye[self.y]  # labels -> one-hot rows, as every new minibatch needs
        hs = [self.X]
        h = self.X
        last = len(self.params) - 1
        for i, (W, b) in enumerate(self.params):
            z = h @ W.T
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
            hs.append(z)
            h = z
        logits = hs[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        n = logits.shape[0]
        loss = float(np.log(s).sum() / n - (shifted * onehot).sum() / n)
        g = e / s
        g -= onehot
        g /= n
        pending = []
        for i in range(last, -1, -1):
            W, b = self.params[i]
            h_in = hs[i]
            dW = g.T @ h_in
            db = g.sum(axis=0)
            if i > 0:
                g = g @ W
                g *= h_in > 0
            if self.fused:  # update while dW and W are still in cache
                W -= LR * dW
                b -= LR * db
            else:
                pending.append((W, b, dW, db))
        for W, b, dW, db in pending:  # two-phase: all gradients first, then the update
            W -= LR * dW
            b -= LR * db
        return loss


class HandNumpyTwoPhase(HandNumpy):
    """The same plain step, but in two phases like every library with ``backward()`` and
    ``optimizer.step()`` (PyTorch too): all gradients are kept until the backward pass ends,
    then the parameters are updated. Not a target; it shows what that structure costs."""

    name = "two-phase"
    fused = False


# ----------------------------------------------------------------------------- coursenn
class Coursenn:
    name = "coursenn"

    def __init__(self, widths, X, y):
        layers = []
        for i, (W, b) in enumerate(he_weights(widths)):
            lin = cnn.nn.Linear(W.shape[1], W.shape[0])
            lin.weight.data[...] = W
            lin.bias.data[...] = b
            layers.append(lin)
            if i < len(widths) - 2:
                layers.append(cnn.nn.ReLU())
        self.model = cnn.nn.Sequential(*layers)
        self.loss_fn = cnn.nn.CrossEntropyLoss()
        self.opt = cnn.optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = cnn.backend.asarray(X), cnn.backend.asarray(y)

    def step(self) -> float:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.X), self.y)
        self.model.backward_params(self.loss_fn.backward())
        self.opt.step()
        return float(loss)


# ----------------------------------------------------------------------------- PyTorch
class Torch:
    name = "pytorch"

    def __init__(self, widths, X, y):
        import torch

        self.torch = torch
        layers = []
        for i, (W, b) in enumerate(he_weights(widths)):
            lin = torch.nn.Linear(W.shape[1], W.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def step(self) -> float:
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


# ----------------------------------------------------------------------------- measurement
def time_steps(impl, steps: int) -> list[float]:
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        impl.step()
        out.append(time.perf_counter() - t0)
    return out


def describe(widths: list[int]) -> str:
    """``40-100-100-10``, or ``100-(100 x 50)-10`` for long stacks of equal hidden layers."""
    hidden = widths[1:-1]
    if len(hidden) > 4 and len(set(hidden)) == 1:
        return f"{widths[0]}-({hidden[0]} x {len(hidden)})-{widths[-1]}"
    return "-".join(map(str, widths))


def step_flops(widths: list[int], batch: int) -> float:
    """Useful GEMM flops of one step: forward, dW for every layer, dX for all but the first."""
    pairs = list(zip(widths[:-1], widths[1:], strict=False))
    fwd = sum(2.0 * batch * a * b for a, b in pairs)
    dx = sum(2.0 * batch * a * b for a, b in pairs[1:])
    return fwd + fwd + dx


def sgemm_rate(n: int = 1024, repeats: int = 15) -> float:
    """Median float32 GEMM rate (flop/s) of NumPy's BLAS for (n×n)·(n×n)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n), dtype=np.float32)
    B = rng.standard_normal((n, n), dtype=np.float32)
    C = np.empty((n, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(A, B, out=C)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(A, B, out=C)
        times.append(time.perf_counter() - t0)
    return 2.0 * n**3 / statistics.median(times)


class Sgemm:
    """One (n×n)·(n×n) float32 product per ``step``: timed in the same interleaved rounds as the
    wide net, so the "fraction of SGEMM" compares rates measured in the same machine state."""

    name = "sgemm"

    def __init__(self, n: int) -> None:
        rng = np.random.default_rng(0)
        self.n = n
        self.A = rng.standard_normal((n, n), dtype=np.float32)
        self.B = rng.standard_normal((n, n), dtype=np.float32)
        self.C = np.empty((n, n), dtype=np.float32)

    def step(self) -> None:
        np.matmul(self.A, self.B, out=self.C)


def check_agreement(impls, steps: int = 3) -> float:
    """All implementations start from the same weights: their first losses must agree."""
    losses = {impl.name: [impl.step() for _ in range(steps)] for impl in impls}
    ref = np.array(losses["hand-numpy"])
    worst = 0.0
    for _name, vals in losses.items():
        worst = max(worst, float(np.max(np.abs(np.array(vals) - ref) / np.maximum(1e-6, np.abs(ref)))))
    if worst > 1e-3:
        raise AssertionError(f"implementations disagree on the loss of the first steps: {losses}")
    return worst


def bench_shape(name, widths, batch, steps, rounds, use_torch, sgemm_n=None) -> dict:
    X, y = make_data(widths, batch)
    impls = [HandNumpy(widths, X, y), HandNumpyTwoPhase(widths, X, y), Coursenn(widths, X, y)]
    if use_torch:
        impls.append(Torch(widths, X, y))
    agreement = check_agreement(impls)
    timed = impls + ([Sgemm(sgemm_n)] if sgemm_n else [])
    for impl in timed:  # warm-up
        time_steps(impl, max(2, steps // 5))
    samples: dict[str, list[float]] = {impl.name: [] for impl in timed}
    for _ in range(rounds):
        for impl in timed:
            samples[impl.name] += time_steps(impl, steps)
    med = {k: statistics.median(v) for k, v in samples.items()}
    sgemm_time = med.pop("sgemm", None)
    res = {
        "shape": name,
        "widths": describe(widths),
        "batch": batch,
        "median_step_ms": {k: 1e3 * v for k, v in med.items()},
        "coursenn/hand-numpy": med["coursenn"] / med["hand-numpy"],
        "coursenn/two-phase": med["coursenn"] / med["two-phase"],
        "two-phase/hand-numpy": med["two-phase"] / med["hand-numpy"],
        "first-loss max rel. difference": agreement,
        "gflops": {k: step_flops(widths, batch) / v / 1e9 for k, v in med.items()},
    }
    if "pytorch" in med:
        res["coursenn/pytorch"] = med["coursenn"] / med["pytorch"]
    if sgemm_time is not None:
        res["sgemm_gflops_same_rounds"] = 2.0 * sgemm_n**3 / sgemm_time / 1e9
        res["wide coursenn fraction of sgemm"] = res["gflops"]["coursenn"] / res["sgemm_gflops_same_rounds"]
    return res


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def machine_info(threads: int) -> dict:
    info = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "coursenn": cnn.__version__,
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info


def main(args: argparse.Namespace) -> dict:
    cnn.backend.use("numpy")
    cnn.backend.set_default_dtype("float32")
    use_torch = torch_available() and not args.no_torch
    if use_torch:
        import torch

        torch.set_num_threads(args.threads)
    table = SMOKE_SHAPES if args.smoke else SHAPES
    rounds = 1 if args.smoke else args.rounds
    names = [s.strip() for s in args.shapes.split(",") if s.strip()]
    for s in names:
        if s not in table:
            raise SystemExit(f"--shapes: unknown shape {s!r}; valid: {', '.join(table)}")
    report = {"machine": machine_info(args.threads), "torch": use_torch, "results": []}
    if use_torch:
        report["machine"]["torch"] = torch.__version__
    report["sgemm_gflops"] = sgemm_rate(64 if args.smoke else 1024) / 1e9
    for s in names:
        widths, batch, steps = table[s]
        sgemm_n = (64 if args.smoke else 1024) if s == "wide" else None
        res = bench_shape(s, widths, batch, steps, rounds, use_torch, sgemm_n)
        report["results"].append(res)
    print_table(report)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {path}")
    return report


def print_table(report: dict) -> None:
    m = report["machine"]
    print(f"CPU: {m['cpu']} | cores: {m['cores']} | threads: {m['threads']} | numpy {m['numpy']}"
          + (f" | torch {m['torch']}" if report["torch"] else " | torch not installed"))
    print(f"NumPy SGEMM rate (1024³, measured once before the shapes): {report['sgemm_gflops']:.1f} GFLOP/s")
    head = (f"{'shape':<7}{'hand-numpy ms':>15}{'two-phase ms':>14}{'coursenn ms':>13}{'pytorch ms':>12}"
            f"{'cnn/numpy':>11}{'cnn/2-phase':>13}{'cnn/torch':>11}")
    print(head)
    for r in report["results"]:
        ms = r["median_step_ms"]
        torch_ms = f"{ms['pytorch']:12.3f}" if "pytorch" in ms else f"{'-':>12}"
        ratio_t = f"{r['coursenn/pytorch']:11.2f}" if "coursenn/pytorch" in r else f"{'-':>11}"
        print(f"{r['shape']:<7}{ms['hand-numpy']:15.3f}{ms['two-phase']:14.3f}{ms['coursenn']:13.3f}{torch_ms}"
              f"{r['coursenn/hand-numpy']:11.2f}{r['coursenn/two-phase']:13.2f}{ratio_t}")
        if "wide coursenn fraction of sgemm" in r:
            g = r["gflops"]
            print(f"        wide net: coursenn {g['coursenn']:.1f} GFLOP/s = "
                  f"{100 * r['wide coursenn fraction of sgemm']:.0f} % of the SGEMM rate measured in the "
                  f"same rounds ({r['sgemm_gflops_same_rounds']:.1f} GFLOP/s); "
                  f"hand-numpy {g['hand-numpy']:.1f}"
                  + (f"; pytorch {g['pytorch']:.1f}" if "pytorch" in g else ""))


if __name__ == "__main__":
    main(_ARGS)
