r"""Training loop: minibatches, :func:`fit` with callbacks, evaluation and prediction.

One step of :func:`fit` is exactly the loop the book writes by hand::

    optimizer.zero_grad()
    out = model(Xb)
    loss = loss_fn(out, yb)
    model.backward(loss_fn.backward())   # fit() calls model.backward_params(...), which
    optimizer.step()                     # skips the unused gradient w.r.t. the input

Callbacks are objects with any of the optional methods

* ``on_train_begin(model, optimizer)`` — once, before the first step;
* ``on_backward_end(model, optimizer, step)`` — after the backward pass, before
  ``optimizer.step()`` (gradient clipping: :class:`ClipGradNorm`);
* ``on_step_end(model, optimizer, step, loss)`` — after each ``optimizer.step()``;
  ``step`` counts the steps taken so far (1, 2, ...), ``loss`` is a Python float;
* ``on_epoch_end(model, optimizer, epoch, history)`` — after each epoch's metrics are in
  ``history``; ``epoch`` counts the epochs done (1, 2, ...);
* ``on_train_end(model, optimizer, history)`` — once, when training ends normally,

or plain callables, which are called as ``on_epoch_end``. A callback may raise
:class:`StopTraining` to end training early (``fit`` returns the history so far).
Provided: :class:`ClipGradNorm`, :class:`MaxNorm`, :class:`LRSchedule`, :class:`Snapshots`,
:class:`LayerStatsLogger`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import array_api_compat

from coursenn import backend, io
from coursenn._common import positive_int as _positive_int
from coursenn._common import positive_number
from coursenn._common import to_float as _item
from coursenn.nn.module import Module
from coursenn.optim import clip_grad_norm


# ------------------------------------------------------------------------------ checks
def _length(a: Any, argument: str) -> int:
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"{argument} must be an array with a first (sample) axis; got {type(a).__name__}")
    return int(shape[0])


def _same_length(X: Any, y: Any, x_name: str = "X", y_name: str = "y") -> int:
    n, m = _length(X, x_name), _length(y, y_name)
    if n != m:
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of samples; got len({x_name})={n} "
            f"(shape {tuple(X.shape)}) and len({y_name})={m} (shape {tuple(y.shape)})"
        )
    return n


# ------------------------------------------------------------------------------ minibatches
def _batch_indices(n: int, batch_size: int, shuffle: bool, rng: Any) -> Iterator[Any]:
    """Index arrays (or slices) of consecutive minibatches covering ``range(n)`` once."""
    if not shuffle:
        for start in range(0, n, batch_size):
            yield slice(start, min(start + batch_size, n))
        return
    order = (rng if rng is not None else backend.rng()).permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : min(start + batch_size, n)]


def _take(a: Any, index: Any) -> Any:
    if isinstance(index, slice):
        return a[index, ...]
    return array_api_compat.array_namespace(a).take(a, index, axis=0)


def minibatches(
    X: Any, y: Any, batch_size: int, shuffle: bool = True, rng: Any = None
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(Xb, yb)`` minibatches that cover every sample exactly once (one epoch).

    With ``shuffle=True`` the order is a random permutation drawn from ``rng`` (default
    :func:`coursenn.backend.rng`, so ``cnn.backend.seed(...)`` makes it reproducible); rows
    are gathered with ``xp.take(X, idx, axis=0)``. The last batch keeps the remaining
    ``len(X) % batch_size`` samples when that is not zero.
    """
    batch_size = _positive_int(batch_size, "batch_size")
    n = _same_length(X, y)
    for index in _batch_indices(n, batch_size, shuffle, rng):
        yield _take(X, index), _take(y, index)


# ------------------------------------------------------------------------------ metrics
def _is_classification(loss_fn: Any) -> bool:
    from coursenn import nn

    return isinstance(loss_fn, (nn.CrossEntropyLoss, nn.BCEWithLogitsLoss))


def _correct(logits: Any, y: Any) -> Any:
    """Number of correct predictions (0-d backend array); see :func:`accuracy`."""
    xp = array_api_compat.array_namespace(logits)
    n = _same_length(logits, y, "logits", "y")
    if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
        pred = xp.reshape(logits, (n,)) > 0
        target = xp.reshape(y, (n,))
        if xp.isdtype(target.dtype, "real floating"):
            target = target > 0.5
        elif not xp.isdtype(target.dtype, "bool"):
            target = target != 0
        return xp.count_nonzero(pred == target)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N,), (N, 1) or (N, C); got {tuple(logits.shape)}")
    pred = xp.argmax(logits, axis=1)
    if y.ndim == 2:
        if tuple(y.shape) != tuple(logits.shape):
            raise ValueError(
                f"one-hot y of shape {tuple(y.shape)} must match logits of shape {tuple(logits.shape)}"
            )
        target = xp.argmax(y, axis=1)
    elif y.ndim == 1:
        target = xp.astype(y, pred.dtype)
    else:
        raise ValueError(f"y must be labels (N,) or one-hot (N, C); got shape {tuple(y.shape)}")
    return xp.count_nonzero(pred == target)


def accuracy(logits: Any, y: Any) -> float:
    """Fraction of correct predictions, a Python float in [0, 1].

    Multi-class logits (N, C): the prediction is ``argmax`` over classes, compared with
    integer labels (N,) or with the argmax of one-hot rows (N, C). A single logit per
    sample, (N,) or (N, 1): the prediction is ``logit > 0`` (probability > 1/2), compared
    with 0/1 targets (floats are thresholded at 0.5).
    """
    n = _same_length(logits, y, "logits", "y")
    return _item(_correct(logits, y)) / n


# ------------------------------------------------------------------------------ modes
def _modes(model: Module) -> list[tuple[Module, bool]]:
    return [(m, m.training) for _, m in io.named_modules(model)]


def _restore(modes: list[tuple[Module, bool]]) -> None:
    for m, flag in modes:
        m.training = flag


def _forward_batches(model: Module, X: Any, batch_size: int | None) -> Iterator[tuple[Any, Any]]:
    n = _length(X, "X")
    size = n if batch_size is None else _positive_int(batch_size, "batch_size")
    for start in range(0, n, size):
        index = slice(start, min(start + size, n))
        yield index, model(X[index, ...])


def predict(model: Module, X: Any, batch_size: int | None = None) -> Any:
    """Model outputs on ``X`` in evaluation mode (in batches of ``batch_size`` if given).

    The previous train/eval mode of every submodule is restored afterwards.
    """
    modes = _modes(model)
    model.eval()
    try:
        outs = [out for _, out in _forward_batches(model, X, batch_size)]
    finally:
        _restore(modes)
    if len(outs) == 1:
        return outs[0]
    return array_api_compat.array_namespace(outs[0]).concat(outs, axis=0)


def evaluate(
    model: Module, loss_fn: Any, X: Any, y: Any, batch_size: int | None = None
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of ``model`` on ``(X, y)`` in evaluation mode (modes restored after).

    The loss is the mean over all samples (batch losses weighted by batch size); the
    accuracy is ``None`` unless ``loss_fn`` is a classification loss
    (``CrossEntropyLoss`` or ``BCEWithLogitsLoss``).
    """
    n = _same_length(X, y)
    classify = _is_classification(loss_fn)
    modes = _modes(model)
    model.eval()
    total, correct = 0.0, 0.0
    try:
        for index, out in _forward_batches(model, X, batch_size):
            yb = y[index, ...]
            total += _item(loss_fn(out, yb)) * _length(yb, "y")
            if classify:
                correct += _item(_correct(out, yb))
    finally:
        _restore(modes)
    return total / n, (correct / n if classify else None)


# ------------------------------------------------------------------------------ history
@dataclass
class History:
    """What :func:`fit` records.

    Per epoch: ``train_loss`` (the mean of the per-sample losses seen *during* the epoch,
    i.e. the step losses weighted by batch size — the weights change within the epoch, so
    it differs slightly from the loss of the final weights), ``train_acc`` (likewise, from
    the training-mode outputs), ``val_loss``/``val_acc`` (evaluation mode, after the
    epoch; empty without validation data), ``lr`` (the learning rate of the epoch's first
    step). Per step: ``step_loss``. Accuracies are recorded only for classification losses
    (``CrossEntropyLoss``, ``BCEWithLogitsLoss``); for regression those lists stay empty.
    All values are Python floats.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    def as_dict(self) -> dict[str, Any]:
        """The recorded lists (copies) and ``stopped_early``, as a plain dict."""
        return {
            "train_loss": list(self.train_loss),
            "train_acc": list(self.train_acc),
            "val_loss": list(self.val_loss),
            "val_acc": list(self.val_acc),
            "step_loss": list(self.step_loss),
            "lr": list(self.lr),
            "stopped_early": self.stopped_early,
        }

    def plot(self, ax: Any = None, metric: str = "loss", logy: bool = False) -> Any:
        """Training (and validation) curves against the epoch; see :func:`coursenn.plot.training_curves`."""
        from coursenn import plot

        return plot.training_curves({"": self}, metric=metric, ax=ax, logy=logy)


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite; ``epoch``/``step`` (1-based) say where.

    ``history`` holds what was recorded until then (``step_loss`` ends with the bad value).
    """

    def __init__(self, loss: float, epoch: int, step: int, global_step: int, history: History) -> None:
        self.loss, self.epoch, self.step, self.global_step, self.history = (
            loss,
            epoch,
            step,
            global_step,
            history,
        )
        super().__init__(
            f"loss became {loss} at epoch {epoch}, step {step} of the epoch (global step {global_step}); "
            "training stopped. Try a smaller learning rate, gradient clipping or another initialization."
        )


class StopTraining(Exception):
    """Raise from a callback to end :func:`fit` early; ``fit`` returns the history so far."""


# ------------------------------------------------------------------------------ fit
_HOOKS = ("on_train_begin", "on_backward_end", "on_step_end", "on_epoch_end", "on_train_end")


def _hook(callback: Any, name: str) -> Callable[..., Any] | None:
    method = getattr(callback, name, None)
    if callable(method):
        return method
    if (
        name == "on_epoch_end"
        and callable(callback)
        and not any(callable(getattr(callback, n, None)) for n in _HOOKS)
    ):
        return callback
    return None


def _check_callbacks(callbacks: Any) -> list[Any]:
    if callbacks is None:
        return []
    if callable(callbacks) or any(callable(getattr(callbacks, n, None)) for n in _HOOKS):
        callbacks = [callbacks]  # a single callback
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not callable(cb) and not any(callable(getattr(cb, n, None)) for n in _HOOKS):
            raise TypeError(
                f"callbacks[{i}] must be callable or define one of {', '.join(_HOOKS)}; "
                f"got {type(cb).__name__}"
            )
    return callbacks


def _progress_bar(epochs: int, enabled: bool) -> Any:
    if not enabled:
        return None
    with warnings.catch_warnings():  # tqdm.auto warns in notebooks without ipywidgets
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm(total=epochs, desc="entrenamiento", unit="época")


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Any,
    X: Any,
    y: Any,
    epochs: int,
    batch_size: int,
    X_val: Any = None,
    y_val: Any = None,
    callbacks: Iterable[Any] = (),
    progress: bool = True,
    shuffle: bool = True,
) -> History:
    """Train ``model`` with minibatch ``optimizer`` steps for ``epochs`` epochs; return a :class:`History`.

    Each epoch visits every sample once (:func:`minibatches`, shuffled with
    :func:`coursenn.backend.rng` unless ``shuffle=False``) and takes one step per batch:
    ``zero_grad``, forward, loss, ``model.backward(loss_fn.backward())``, ``step``, then the
    callbacks' ``on_step_end``. After the epoch, validation metrics (if ``X_val``/``y_val``
    are given, in evaluation mode) and ``on_epoch_end``. The model is left in training mode.

    A NaN or infinite loss stops training with :class:`TrainingDivergedError` (a
    ``FloatingPointError``) naming the epoch and step. ``progress=True`` shows a ``tqdm``
    bar over epochs.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a coursenn.nn.Module; got {type(model).__name__}")
    epochs = _positive_int(epochs, "epochs")
    batch_size = _positive_int(batch_size, "batch_size")
    n = _same_length(X, y)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (or both left as None)")
    if X_val is not None:
        _same_length(X_val, y_val, "X_val", "y_val")
    callbacks = _check_callbacks(callbacks)
    begin_hooks, backward_hooks, step_hooks, epoch_hooks, end_hooks = (
        [h for h in (_hook(cb, name) for cb in callbacks) if h] for name in _HOOKS
    )
    classify = _is_classification(loss_fn)

    history = History()
    model.train()
    for hook in begin_hooks:
        hook(model, optimizer)
    bar = _progress_bar(epochs, progress)
    global_step = 0
    try:
        for epoch in range(1, epochs + 1):
            history.lr.append(float(optimizer.lr))
            loss_sum, correct = 0.0, None
            for step, index in enumerate(_batch_indices(n, batch_size, shuffle, None), start=1):
                Xb, yb = _take(X, index), _take(y, index)
                optimizer.zero_grad()
                out = model(Xb)
                loss = _item(loss_fn(out, yb))
                global_step += 1
                history.step_loss.append(loss)
                if not math.isfinite(loss):
                    raise TrainingDivergedError(loss, epoch, step, global_step, history)
                model.backward_params(loss_fn.backward())  # the input gradient is not needed
                for hook in backward_hooks:
                    hook(model, optimizer, global_step)
                optimizer.step()
                loss_sum += loss * _length(yb, "y")
                if classify:
                    c = _correct(out, yb)
                    correct = c if correct is None else correct + c
                for hook in step_hooks:
                    hook(model, optimizer, global_step, loss)
            history.train_loss.append(loss_sum / n)
            if classify:
                history.train_acc.append(_item(correct) / n)
            if X_val is not None:
                val_loss, val_acc = evaluate(model, loss_fn, X_val, y_val)
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_acc.append(val_acc)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(_postfix(history), refresh=False)
            for hook in epoch_hooks:
                hook(model, optimizer, epoch, history)
    except StopTraining:
        history.stopped_early = True
    finally:
        if bar is not None:
            bar.close()
    for hook in end_hooks:
        hook(model, optimizer, history)
    return history


def _postfix(history: History) -> dict[str, str]:
    out = {"pérdida": f"{history.train_loss[-1]:.4g}"}
    if history.val_loss:
        out["val"] = f"{history.val_loss[-1]:.4g}"
    if history.val_acc:
        out["val_acc"] = f"{history.val_acc[-1]:.3f}"
    return out


# ------------------------------------------------------------------------------ callbacks
def linear_layers(model: Module) -> list[Module]:
    """Every :class:`coursenn.nn.Linear` in ``model`` (in order)."""
    from coursenn.nn import Linear

    return [m for _, m in io.named_modules(model) if isinstance(m, Linear)]


class ClipGradNorm:
    r"""Gradient clipping by norm before every step (:func:`coursenn.optim.clip_grad_norm`):
    if :math:`\|g\|_2 > c` over all parameters, :math:`g \leftarrow g \cdot c / \|g\|_2`.

    ``norms`` records the norm of every step before clipping.
    """

    def __init__(self, max_norm: float) -> None:
        self.max_norm = positive_number(max_norm, "max_norm")
        self.norms: list[float] = []

    def on_backward_end(self, model: Module, optimizer: Any, step: int) -> None:
        self.norms.append(clip_grad_norm(optimizer.params, self.max_norm))

    def __repr__(self) -> str:
        return f"ClipGradNorm(max_norm={self.max_norm})"


class MaxNorm:
    r"""Max-norm constraint (Srivastava et al., 2014): after every step, each unit's
    incoming weight vector (a row :math:`\omega_j` of :math:`\Omega`) is projected onto the
    ball :math:`\|\omega_j\|_2 \le c`:

    .. math:: \omega_j \leftarrow \omega_j \cdot \min\!\left(1, \frac{c}{\|\omega_j\|_2}\right)

    ``layers`` defaults to every ``Linear`` of the model; biases are not constrained.
    """

    def __init__(self, max_norm: float, layers: Iterable[Module] | None = None) -> None:
        self.max_norm = positive_number(max_norm, "max_norm")
        self.layers = None if layers is None else list(layers)
        if self.layers is not None:
            for i, layer in enumerate(self.layers):
                if not hasattr(layer, "weight"):
                    raise TypeError(f"layers[{i}] must have a .weight Parameter; got {type(layer).__name__}")

    def apply(self, model: Module) -> None:
        """Project the weights of ``model`` (or of ``layers``) now."""
        for layer in self.layers if self.layers is not None else linear_layers(model):
            W = layer.weight.data
            xp = array_api_compat.array_namespace(W)
            norms = xp.sqrt(xp.sum(W * W, axis=1, keepdims=True))
            scale = self.max_norm / xp.maximum(norms, self.max_norm)
            if backend.mutable(W):
                W *= scale
            else:
                layer.weight.data = W * scale

    def on_step_end(self, model: Module, optimizer: Any, step: int, loss: float) -> None:
        self.apply(model)

    def __repr__(self) -> str:
        return f"MaxNorm(max_norm={self.max_norm})"


class LRSchedule:
    """Advance a learning-rate schedule once per epoch (default) or once per step.

    ``schedule`` is a :mod:`coursenn.optim` schedule (``StepLR``, ``CosineAnnealingLR``,
    ``CyclicCosineLR``, ...) built on the same optimizer: its ``step()`` is called after each
    epoch (``per="epoch"``) or each optimizer step (``per="step"``). A plain callable
    ``t -> lr`` works too: ``optimizer.lr = schedule(t)`` with ``t`` = epochs (or steps) done,
    ``schedule(0)`` being set when training starts. The count continues across ``fit`` calls.
    """

    def __init__(self, schedule: Any, per: str = "epoch") -> None:
        if per not in ("epoch", "step"):
            raise ValueError(f"per must be 'epoch' or 'step'; got {per!r}")
        self.is_scheduler = callable(getattr(schedule, "step", None))
        if not self.is_scheduler and not callable(schedule):
            raise TypeError(
                f"schedule must be a coursenn.optim schedule (with step()) or a callable t -> lr; "
                f"got {type(schedule).__name__}"
            )
        self.schedule, self.per = schedule, per
        self.t = 0

    def _advance(self, optimizer: Any) -> None:
        if self.is_scheduler:
            self.schedule.step()
            return
        self.t += 1
        self._set(optimizer)

    def _set(self, optimizer: Any) -> None:
        lr = float(self.schedule(self.t))
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"schedule({self.t}) must be a finite learning rate >= 0; got {lr!r}")
        optimizer.lr = lr

    def on_train_begin(self, model: Module, optimizer: Any) -> None:
        if self.is_scheduler:
            owner = getattr(self.schedule, "optimizer", optimizer)
            if owner is not optimizer:
                raise ValueError("the schedule was built on a different optimizer than the one given to fit")
        else:
            self._set(optimizer)

    def on_step_end(self, model: Module, optimizer: Any, step: int, loss: float) -> None:
        if self.per == "step":
            self._advance(optimizer)

    def on_epoch_end(self, model: Module, optimizer: Any, epoch: int, history: History) -> None:
        if self.per == "epoch":
            self._advance(optimizer)

    def __repr__(self) -> str:
        return f"LRSchedule({self.schedule!r}, per={self.per!r})"


class Snapshots:
    """Collect copies of the model state for a snapshot ensemble (Huang et al., 2017).

    * ``every=k``: a snapshot after every ``k`` epochs (``per="epoch"``) or steps (``per="step"``).
    * ``every=None, schedule=s``: a snapshot at the end of each cycle of a cyclic schedule
      ``s`` (e.g. ``cnn.optim.CyclicCosineLR``, whose ``cycle`` counts completed cycles),
      checked after every step and epoch. List this callback *after* the
      :class:`LRSchedule` that advances ``s``, so the copy is taken right at the cycle end.

    Each snapshot is a dict of copies (:func:`coursenn.io.model_state`); ``steps`` and
    ``epochs`` record when each was taken. :meth:`predict` averages the members.
    """

    def __init__(self, every: int | None = None, schedule: Any = None, per: str = "epoch") -> None:
        if per not in ("epoch", "step"):
            raise ValueError(f"per must be 'epoch' or 'step'; got {per!r}")
        if every is None and schedule is None:
            raise ValueError(
                "give every=k (a snapshot every k epochs/steps) or schedule= (a cyclic LR schedule)"
            )
        if every is None and not hasattr(schedule, "cycle"):
            raise TypeError(
                "schedule must count its completed cycles in .cycle (e.g. CyclicCosineLR); "
                f"got {type(schedule).__name__}"
            )
        self.every = None if every is None else _positive_int(every, "every")
        self.schedule, self.per = schedule, per
        self.snapshots: list[dict[str, Any]] = []
        self.steps: list[int] = []
        self.epochs: list[int] = []
        self._step, self._epoch, self._cycles = 0, 0, None

    def __len__(self) -> int:
        return len(self.snapshots)

    def _take(self, model: Module) -> None:
        self.snapshots.append(io.model_state(model))
        self.steps.append(self._step)
        self.epochs.append(self._epoch)

    def _check_cycle(self, model: Module) -> None:
        cycles = int(self.schedule.cycle)
        if cycles > self._cycles:
            self._take(model)
        self._cycles = cycles

    def on_train_begin(self, model: Module, optimizer: Any) -> None:
        if self.every is None:
            self._cycles = int(self.schedule.cycle)

    def on_step_end(self, model: Module, optimizer: Any, step: int, loss: float) -> None:
        self._step += 1
        if self.every is None:
            self._check_cycle(model)
        elif self.per == "step" and self._step % self.every == 0:
            self._take(model)

    def on_epoch_end(self, model: Module, optimizer: Any, epoch: int, history: History) -> None:
        self._epoch += 1
        if self.every is None:
            self._check_cycle(model)
        elif self.per == "epoch" and self._epoch % self.every == 0:
            self._take(model)

    def load(self, model: Module, i: int) -> None:
        """Copy snapshot ``i`` into ``model``."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"snapshot index {i} out of range for {len(self)} snapshots")
        io.load_state(model, self.snapshots[i])

    def predict(self, model: Module, X: Any, batch_size: int | None = None, average: str = "probs") -> Any:
        """Ensemble prediction: the mean over snapshots of each member's output on ``X``.

        ``average="probs"`` averages class probabilities (:func:`probabilities`), as Huang
        et al.; ``"outputs"`` averages raw outputs (regression). The model's own state is
        restored afterwards.
        """
        if average not in ("probs", "outputs"):
            raise ValueError(f"average must be 'probs' or 'outputs'; got {average!r}")
        if not self.snapshots:
            raise ValueError("no snapshots were taken yet (train with this callback first)")
        saved = io.model_state(model)
        try:
            total = None
            for state in self.snapshots:
                io.load_state(model, state)
                out = predict(model, X, batch_size)
                if average == "probs":
                    out = probabilities(out)
                total = out if total is None else total + out
        finally:
            io.load_state(model, saved)
        return total / len(self.snapshots)

    def __repr__(self) -> str:
        how = (
            f"every={self.every}, per={self.per!r}"
            if self.every is not None
            else f"schedule={self.schedule!r}"
        )
        return f"Snapshots({how}, taken={len(self)})"


def probabilities(logits: Any) -> Any:
    r"""Class probabilities: softmax over axis 1 for (N, C) logits, :math:`\sigma(z)` for (N,) or (N, 1)."""
    xp = array_api_compat.array_namespace(logits)
    if logits.ndim == 1 or logits.shape[1] == 1:
        return 1.0 / (1.0 + xp.exp(-logits))
    e = xp.exp(logits - xp.max(logits, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


class LayerStatsLogger:
    """Record :func:`coursenn.diagnostics.layer_stats` on a fixed probe batch ``(X, y)``.

    Records when training starts (``at_start=True``, epoch 0) and after every ``every``
    epochs. ``records`` is a list of ``(epoch, stats)`` with ``stats`` the list of per-layer
    dicts of ``layer_stats``; :meth:`series` regroups one statistic per layer over time.
    """

    def __init__(self, X: Any, y: Any, loss_fn: Any, every: int = 1, at_start: bool = True) -> None:
        _same_length(X, y)
        self.X, self.y, self.loss_fn = X, y, loss_fn
        self.every = _positive_int(every, "every")
        self.at_start = bool(at_start)
        self.records: list[tuple[int, list[dict[str, Any]]]] = []
        self._epoch = 0

    def record(self, model: Module) -> None:
        """Append ``(epoch, layer_stats(model, X, y, loss_fn))`` now."""
        from coursenn import diagnostics

        self.records.append((self._epoch, diagnostics.layer_stats(model, self.X, self.y, self.loss_fn)))

    def on_train_begin(self, model: Module, optimizer: Any) -> None:
        if self.at_start and not self.records:
            self.record(model)

    def on_epoch_end(self, model: Module, optimizer: Any, epoch: int, history: History) -> None:
        self._epoch += 1
        if self._epoch % self.every == 0:
            self.record(model)

    @property
    def epochs(self) -> list[int]:
        """The epochs at which the records were taken."""
        return [epoch for epoch, _ in self.records]

    def series(self, key: str) -> dict[str, list[float]]:
        """``{"<index>: <Layer>": [value at each record]}`` for one statistic (e.g. ``"grad_var"``)."""
        if not self.records:
            return {}
        first = self.records[0][1]
        if first and key not in first[0]:
            raise ValueError(f"unknown statistic {key!r}; valid keys: {', '.join(first[0])}")
        out: dict[str, list[float]] = {}
        for _, stats in self.records:
            for row in stats:
                out.setdefault(f"{row['index']}: {row['layer']}", []).append(row[key])
        return out


__all__ = [
    "History",
    "LRSchedule",
    "LayerStatsLogger",
    "MaxNorm",
    "Snapshots",
    "StopTraining",
    "TrainingDivergedError",
    "accuracy",
    "evaluate",
    "fit",
    "linear_layers",
    "minibatches",
    "predict",
    "probabilities",
]
