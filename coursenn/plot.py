"""Matplotlib helpers for the book's figures (Spanish labels). Each returns the ``Axes``.

Arrays of any backend are copied to the host with :func:`coursenn.backend.to_numpy`.
Pass ``ax=`` to draw into an existing subplot; otherwise a new figure is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coursenn import backend

METRICS = {"loss": "pérdida", "acc": "exactitud", "step_loss": "pérdida por paso"}


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Any, figsize: tuple[float, float] = (6.0, 4.0)) -> Any:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def _host(a: Any) -> np.ndarray:
    return np.asarray(backend.to_numpy(a), dtype=np.float64)


def _history_dict(history: Any) -> dict[str, Any]:
    if hasattr(history, "as_dict"):
        return history.as_dict()
    if isinstance(history, Mapping):
        return dict(history)
    raise TypeError(
        f"histories values must be train.History objects or their as_dict(); got {type(history).__name__}"
    )


def training_curves(
    histories: Mapping[str, Any], metric: str = "loss", ax: Any = None, logy: bool = False
) -> Any:
    """Training (solid) and validation (dashed, same color) curves of several runs.

    ``histories`` maps a label to a :class:`coursenn.train.History` (or its ``as_dict()``);
    an empty label gives the plain legend "entrenamiento"/"validación". ``metric`` is
    ``"loss"`` or ``"acc"`` (per epoch) or ``"step_loss"`` (per step, training only).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, METRICS))}; got {metric!r}")
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories must be a non-empty dict {label: History}")
    ax = _axes(ax)
    plotted = 0
    for i, (label, history) in enumerate(histories.items()):
        h = _history_dict(history)
        color = f"C{i % 10}"
        prefix = f"{label} " if label else ""
        if metric == "step_loss":
            values = h.get("step_loss", [])
            if len(values):
                ax.plot(
                    np.arange(1, len(values) + 1), values, color=color, lw=0.8, label=label or "entrenamiento"
                )
                plotted += 1
            continue
        for split, style, name in (("train", "-", "entrenamiento"), ("val", "--", "validación")):
            values = h.get(f"{split}_{metric}", [])
            if len(values):
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, color=color, label=f"{prefix}({name})" if label else name)
                plotted += 1
    if not plotted:
        raise ValueError(
            f"no history has values for metric {metric!r} (accuracy exists only for classification)"
        )
    ax.set_xlabel("paso" if metric == "step_loss" else "época")
    ax.set_ylabel(METRICS[metric])
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def _contour_levels(Z: np.ndarray, levels: Any, geometric: bool) -> Any:
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool):
        return levels
    finite = Z[np.isfinite(Z)]
    gap = finite - finite.min()
    positive = gap[gap > 0]
    if not geometric or len(positive) < 2:
        return int(levels)
    low = max(float(np.quantile(positive, 0.002)), float(gap.max()) * 1e-8)
    return finite.min() + np.geomspace(low, float(gap.max()), int(levels))


def contour_trajectories(
    fn: Any, trajectories: Mapping[str, Any], ax: Any = None, levels: Any = 30, resolution: int = 201
) -> Any:
    """Contour lines of a 2-D landscape (:mod:`coursenn.landscapes`) with optimizer paths on top.

    ``fn`` needs ``grid(n) -> (X, Y, Z)`` (or ``value(w)`` for ``w`` of shape (..., 2)) and
    ``bounds``; its ``minima`` are marked with a star. ``trajectories`` maps a label to an
    array (T, 2) of points (e.g. from ``landscapes.optimize``). An integer ``levels`` places
    that many contours: geometrically spaced above the smallest value of f in the window
    when ``fn`` has ``minima`` (dense near the minimum, as f usually spans orders of
    magnitude), evenly spaced otherwise (e.g. the unbounded saddle); a sequence is used as given. The axes
    keep the landscape's window even if a path diverges.
    """
    ax = _axes(ax, (6.0, 5.0))
    (x0, x1), (y0, y1) = fn.bounds
    if hasattr(fn, "grid"):
        X, Y, Z = fn.grid(resolution)
    else:
        X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
        Z = _host(fn.value(np.stack([X, Y], axis=-1)))
    minima = np.asarray(getattr(fn, "minima", np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
    levels = _contour_levels(np.asarray(Z, dtype=np.float64), levels, geometric=len(minima) > 0)
    ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.8)
    for i, (label, path) in enumerate(trajectories.items()):
        p = _host(path)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f"trajectory {label!r} must have shape (T, 2); got {p.shape}")
        color = f"C{(i + 1) % 10}"
        ax.plot(p[:, 0], p[:, 1], "-", color=color, lw=1.5, label=label)
        ax.plot(p[0, 0], p[0, 1], "o", color=color, ms=5)
        ax.plot(p[-1, 0], p[-1, 1], "s", color=color, ms=5)
    if len(minima):
        ax.plot(minima[:, 0], minima[:, 1], "*", color="k", ms=12, label="mínimo")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    if getattr(fn, "name", None):
        ax.set_title(str(fn.name))
    ax.legend(loc="best", fontsize="small")
    return ax


def layer_variance(
    values_per_layer: Mapping[str, Sequence[float]], ax: Any = None, ylabel: str = "varianza"
) -> Any:
    """One curve per label of a per-layer quantity (e.g. activation variance) on a log scale.

    ``values_per_layer`` maps a label (e.g. an init scheme) to the values of layers 1..L.
    """
    if not isinstance(values_per_layer, Mapping) or not values_per_layer:
        raise ValueError("values_per_layer must be a non-empty dict {label: values per layer}")
    ax = _axes(ax)
    for label, values in values_per_layer.items():
        v = np.asarray([float(backend.to_numpy(x)) for x in values], dtype=np.float64)
        ax.plot(np.arange(1, len(v) + 1), v, "o-", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("capa")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax


def decision_boundary(model: Any, X: Any, y: Any, ax: Any = None, resolution: int = 200) -> Any:
    """Regions a classifier assigns to each class over the plane, with the data points.

    ``model`` maps (N, 2) inputs to logits (N, C) (argmax) or (N, 1) (``logit > 0``); it is
    evaluated in eval mode on a ``resolution`` × ``resolution`` grid around ``X``.
    """
    from coursenn import train

    Xh, yh = _host(X), backend.to_numpy(y).reshape(-1)
    if Xh.ndim != 2 or Xh.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) for a decision-boundary plot; got {Xh.shape}")
    ax = _axes(ax, (5.0, 5.0))
    lo, hi = Xh.min(axis=0), Xh.max(axis=0)
    pad = 0.1 * (hi - lo) + 1e-9
    g0, g1 = np.meshgrid(
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution),
    )
    grid = backend.asarray(np.stack([g0.ravel(), g1.ravel()], axis=1))
    out = _host(train.predict(model, grid))
    pred = (out.reshape(-1) > 0).astype(int) if out.ndim == 1 or out.shape[1] == 1 else out.argmax(axis=1)
    n_classes = int(max(pred.max(), np.max(yh) if yh.size else 0)) + 1
    cmap, top = ("tab10", 9.5) if n_classes <= 10 else ("tab20", 19.5)  # class k -> color k
    ax.contourf(
        g0,
        g1,
        pred.reshape(g0.shape),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=cmap,
        vmin=-0.5,
        vmax=top,
        alpha=0.3,
    )
    ax.scatter(
        Xh[:, 0],
        Xh[:, 1],
        c=yh.astype(float),
        cmap=cmap,
        vmin=-0.5,
        vmax=top,
        s=12,
        edgecolors="k",
        linewidths=0.3,
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def regression_fit(
    x: Any, y: Any, x_grid: Any, mean: Any, std: Any = None, ax: Any = None, truth: Any = None
) -> Any:
    """Data points, a fitted curve ``mean`` on ``x_grid`` and, if ``std`` is given, the band
    mean ± 2 std; ``truth`` (values on ``x_grid``) draws the true function dashed."""
    ax = _axes(ax)
    xg, m = _host(x_grid).reshape(-1), _host(mean).reshape(-1)
    if xg.shape != m.shape:
        raise ValueError(f"x_grid and mean must have the same number of points; got {xg.shape} and {m.shape}")
    order = np.argsort(xg)
    xg, m = xg[order], m[order]
    ax.scatter(_host(x).reshape(-1), _host(y).reshape(-1), s=12, color="k", alpha=0.6, label="datos")
    if truth is not None:
        ax.plot(xg, _host(truth).reshape(-1)[order], "--", color="C2", label="función verdadera")
    ax.plot(xg, m, color="C0", label="predicción")
    if std is not None:
        s = _host(std).reshape(-1)[order]
        ax.fill_between(xg, m - 2 * s, m + 2 * s, color="C0", alpha=0.2, label="±2 desv. estándar")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.legend()
    return ax


__all__ = [
    "METRICS",
    "contour_trajectories",
    "decision_boundary",
    "layer_variance",
    "regression_fit",
    "training_curves",
]
