"""Tests of coursenn.plot (Agg backend): each helper draws the expected artists with Spanish labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import coursenn as cnn  # noqa: E402
from coursenn import data, landscapes, nn, optim, plot, train  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _history(classify=True, epochs=3):
    h = train.History()
    for e in range(epochs):
        h.train_loss.append(1.0 / (e + 1))
        h.val_loss.append(1.2 / (e + 1))
        if classify:
            h.train_acc.append(0.5 + 0.1 * e)
            h.val_acc.append(0.45 + 0.1 * e)
        h.lr.append(0.1)
    h.step_loss.extend([1.0, 0.8, 0.7, 0.6, 0.5, 0.45])
    return h


def _labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_training_curves_loss_and_accuracy():
    histories = {"SGD": _history(), "Adam": _history()}
    ax = plot.training_curves(histories, logy=True)
    assert len(ax.get_lines()) == 4
    assert ax.get_xlabel() == "época" and ax.get_ylabel() == "pérdida" and ax.get_yscale() == "log"
    assert _labels(ax) == [
        "SGD (entrenamiento)",
        "SGD (validación)",
        "Adam (entrenamiento)",
        "Adam (validación)",
    ]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert ax.get_lines()[1].get_linestyle() == "--"
    ax2 = plot.training_curves({"a": _history().as_dict()}, metric="acc")
    assert ax2.get_ylabel() == "exactitud" and len(ax2.get_lines()) == 2
    ax3 = plot.training_curves({"a": _history()}, metric="step_loss")
    assert ax3.get_xlabel() == "paso" and len(ax3.get_lines()[0].get_xdata()) == 6


def test_training_curves_errors():
    with pytest.raises(ValueError, match="no history has values"):
        plot.training_curves({"regresión": _history(classify=False)}, metric="acc")
    with pytest.raises(ValueError, match="metric"):
        plot.training_curves({"a": _history()}, metric="f1")
    with pytest.raises(ValueError, match="non-empty"):
        plot.training_curves({})


def test_history_plot_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    ax = _history().plot(ax=axes[1])
    assert ax is axes[1]
    assert _labels(ax) == ["entrenamiento", "validación"]


def test_contour_trajectories():
    fn = landscapes.Rosenbrock()
    path = landscapes.optimize(fn, optim.Adam, x0=(-1.5, 2.0), steps=50, lr=0.05)
    diverged = np.array([[0.0, 0.0], [1e6, 1e6]])
    ax = plot.contour_trajectories(fn, {"Adam": path, "diverge": diverged}, levels=15)
    assert len(ax.collections) >= 1  # the contour set
    labels = [line.get_label() for line in ax.get_lines()]
    assert "Adam" in labels and "diverge" in labels and "mínimo" in labels
    (x0, x1), (y0, y1) = fn.bounds
    assert ax.get_xlim() == (x0, x1) and ax.get_ylim() == (y0, y1)  # a diverging path keeps the window
    assert ax.get_xlabel() == "$w_1$"
    with pytest.raises(ValueError, match=r"shape \(T, 2\)"):
        plot.contour_trajectories(fn, {"malo": np.zeros((5, 3))})


def test_layer_variance_uses_log_scale():
    ax = plot.layer_variance(
        {"Xavier": [1.0, 0.9, 0.8], "N(0, 1)": [1.0, 10.0, 100.0]}, ylabel="varianza de z"
    )
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "capa" and ax.get_ylabel() == "varianza de z"
    assert len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [1, 2, 3])


def test_decision_boundary_multiclass_and_binary(xp):
    X, y = data.spirals(n_per_class=15, n_classes=3, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    ax = plot.decision_boundary(model, X, y, resolution=40)
    assert len(ax.collections) >= 2  # filled regions + points
    assert ax.get_xlabel() == "$x_1$"
    Xm, ym = data.moons(40, seed=0)
    binary = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    ax2 = plot.decision_boundary(binary, Xm, ym, resolution=30)
    assert len(ax2.collections) >= 2
    assert binary.training  # predict restored the mode


def test_regression_fit_band_and_truth(xp):
    x, y = data.gabor(n=30, seed=0)
    grid = cnn.backend.asarray(np.linspace(-5, 5, 50)[:, None])
    mean = data.gabor_function(grid)
    ax = plot.regression_fit(x, y, grid, mean, std=0.1 + 0 * mean, truth=mean)
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the ±2 std band
    assert set(_labels(ax)) == {"función verdadera", "predicción", "datos", "±2 desv. estándar"}
    with pytest.raises(ValueError, match="same number of points"):
        plot.regression_fit(x, y, grid, mean[:10, ...])
