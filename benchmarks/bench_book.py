"""Wall time of every book chapter executed headless, and of the whole book.

Each notebook listed in ``book/_toc.yml`` is executed top to bottom with ``nbclient`` in a fresh
kernel (working directory: the notebook's folder, as in the build and in nbval), one after the
other, with the thread count fixed before the kernels start. Nothing is written back.

    python benchmarks/bench_book.py                  # table + results/bench_book.json
    python benchmarks/bench_book.py --threads 2 book/sgd/sgd.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LIMIT_CHAPTER_S = 90.0
LIMIT_BOOK_S = 600.0


def toc_notebooks() -> list[Path]:
    import yaml

    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [BOOK / f"{f}.ipynb" for f in files if (BOOK / f"{f}.ipynb").is_file()]


def run_notebook(path: Path, timeout: int) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter of the toc")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads of the kernels (default 1)")
    p.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds")
    p.add_argument("--json", default=str(Path(__file__).parent / "results" / "bench_book.json"))
    args = p.parse_args()
    if args.threads < 1:
        p.error(f"--threads must be >= 1; got {args.threads}")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    notebooks = [n.resolve() for n in args.notebooks] or toc_notebooks()
    times = {}
    for nb in notebooks:
        name = str(nb.relative_to(ROOT))
        times[name] = run_notebook(nb, args.timeout)
        print(f"{times[name]:7.1f} s  {name}", flush=True)
    total = sum(times.values())
    where = f"{len(times)} chapters, {os.cpu_count()} cores, {args.threads} thread(s)"
    print(f"{total:7.1f} s  whole book ({where})")
    slow = [k for k, v in times.items() if v > LIMIT_CHAPTER_S]
    if slow:
        print(f"over the {LIMIT_CHAPTER_S:.0f} s per-chapter budget: {', '.join(slow)}")
    if total > LIMIT_BOOK_S:
        print(f"over the {LIMIT_BOOK_S:.0f} s budget for the whole book")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"threads": args.threads, "chapters_s": times, "total_s": total}, indent=2))


if __name__ == "__main__":
    main()
