"""Tests of coursenn.train: minibatches, fit/History, evaluation, callbacks, and a real run on MNIST-1D."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import coursenn as cnn
from coursenn import data, nn, optim, train


def _np(a):
    return cnn.backend.to_numpy(a)


def _mlp(d_in=2, hidden=16, d_out=3, dropout=0.0):
    layers = [nn.Linear(d_in, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(hidden, d_out))


def _params(model):
    return [_np(p.data).copy() for p in model.parameters()]


# ------------------------------------------------------------------------------ minibatches
@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_minibatches_cover_every_sample_once(xp, n, batch_size):
    ids = np.arange(n)
    X = cnn.backend.asarray(np.stack([ids, 10 * ids], axis=1).astype(float))
    y = cnn.backend.asarray(ids)
    batches = list(train.minibatches(X, y, batch_size))
    sizes = [int(yb.shape[0]) for _, yb in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = np.concatenate([_np(yb) for _, yb in batches])
    assert sorted(seen.tolist()) == ids.tolist()
    for Xb, yb in batches:  # rows stay aligned with their labels
        np.testing.assert_array_equal(_np(Xb)[:, 0], _np(yb))


def test_minibatches_order_is_random_and_seeded(xp):
    X, y = cnn.backend.zeros((50, 2)), cnn.backend.arange(50)
    cnn.backend.seed(7)
    first = np.concatenate([_np(yb) for _, yb in train.minibatches(X, y, 8)])
    second = np.concatenate([_np(yb) for _, yb in train.minibatches(X, y, 8)])
    cnn.backend.seed(7)
    replay = np.concatenate([_np(yb) for _, yb in train.minibatches(X, y, 8)])
    given = np.concatenate([_np(yb) for _, yb in train.minibatches(X, y, 8, rng=cnn.backend.Rng(7))])
    assert not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new order each epoch
    np.testing.assert_array_equal(first, replay)
    np.testing.assert_array_equal(first, given)
    ordered = np.concatenate([_np(yb) for _, yb in train.minibatches(X, y, 8, shuffle=False)])
    np.testing.assert_array_equal(ordered, np.arange(50))


def test_minibatches_validate_arguments():
    X, y = cnn.backend.zeros((6, 2)), cnn.backend.arange(5)
    with pytest.raises(ValueError, match=r"len\(X\)=6.*len\(y\)=5"):
        next(train.minibatches(X, y, 2))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            next(train.minibatches(X, cnn.backend.arange(6), bad))


# ------------------------------------------------------------------------------ accuracy
def test_accuracy_multiclass_onehot_and_binary(xp):
    logits = cnn.backend.asarray([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]])
    labels = cnn.backend.asarray([0, 1, 0, 0])
    assert train.accuracy(logits, labels) == pytest.approx(0.75)
    onehot = xp.astype(labels[:, None] == cnn.backend.arange(3)[None, :], cnn.backend.default_dtype())
    assert train.accuracy(logits, onehot) == pytest.approx(0.75)
    single = cnn.backend.asarray([[1.5], [-0.2], [0.3], [-4.0]])
    assert train.accuracy(single, cnn.backend.asarray([[1.0], [0.0], [0.0], [0.0]])) == pytest.approx(0.75)
    assert train.accuracy(single[:, 0], cnn.backend.asarray([1, 1, 1, 1])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same number of samples"):
        train.accuracy(logits, cnn.backend.asarray([0, 1]))


# ------------------------------------------------------------------------------ fit
def test_fit_is_exactly_the_manual_training_loop(xp):
    X, y = data.spirals(n_per_class=20, n_classes=3, seed=0)
    cnn.backend.seed(1)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=3, batch_size=16, progress=False)

    cnn.backend.seed(1)
    manual = _mlp()
    opt2 = optim.SGD(manual.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(3):
        for Xb, yb in train.minibatches(X, y, 16):
            opt2.zero_grad()
            loss = loss_fn(manual(Xb), yb)
            manual.backward(loss_fn.backward())
            opt2.step()
            losses.append(float(_np(loss)))
    for a, b in zip(_params(model), _params(manual), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.step_loss == losses
    assert all(isinstance(v, float) for v in history.step_loss)


def test_history_records_epoch_means_and_validation(xp):
    X, y = data.spirals(n_per_class=20, n_classes=3, seed=0)  # 60 samples: batches 25, 25, 10
    cnn.backend.seed(0)
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    h = train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 4, 25, X_val=X, y_val=y, progress=False)
    assert h.epochs == 4 and len(h.step_loss) == 12
    for e in range(4):
        steps = h.step_loss[3 * e : 3 * e + 3]
        assert h.train_loss[e] == pytest.approx((25 * steps[0] + 25 * steps[1] + 10 * steps[2]) / 60)
    assert len(h.train_acc) == len(h.val_loss) == len(h.val_acc) == 4
    assert all(0.0 <= a <= 1.0 for a in h.train_acc + h.val_acc)
    assert h.lr == [0.01] * 4
    loss, acc = train.evaluate(model, nn.CrossEntropyLoss(), X, y)
    assert h.val_loss[-1] == pytest.approx(loss, rel=1e-6) and h.val_acc[-1] == pytest.approx(acc)
    d = h.as_dict()
    assert d["train_loss"] == h.train_loss and d["stopped_early"] is False
    d["train_loss"].append(0.0)
    assert len(h.train_loss) == 4  # as_dict returns copies
    assert model.training


def test_regression_history_has_no_accuracy(xp):
    x, y = data.gabor(n=40, seed=0)
    cnn.backend.seed(0)
    model = _mlp(d_in=1, d_out=1)
    h = train.fit(
        model,
        nn.MSELoss(),
        optim.Adam(model.parameters(), lr=0.01),
        x,
        y,
        2,
        10,
        X_val=x,
        y_val=y,
        progress=False,
    )
    assert h.train_acc == [] and h.val_acc == [] and len(h.val_loss) == 2
    loss, acc = train.evaluate(model, nn.MSELoss(), x, y, batch_size=7)
    assert acc is None and loss == pytest.approx(h.val_loss[-1], rel=1e-5)


def test_nan_loss_stops_training_naming_epoch_and_step(xp):
    X, y = data.spirals(n_per_class=20, n_classes=3, seed=0)
    Xh = _np(X).copy()
    Xh[25, 0] = np.nan  # row 25 is in the 3rd batch of 10 (no shuffling)
    X = cnn.backend.asarray(Xh)
    cnn.backend.seed(0)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 1, step 3") as info:
        train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 2, 10, progress=False, shuffle=False)
    err = info.value
    assert isinstance(err, train.TrainingDivergedError)
    assert (err.epoch, err.step, err.global_step) == (1, 3, 3)
    assert len(err.history.step_loss) == 3 and math.isnan(err.history.step_loss[-1])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_exploding_training_stops_with_a_clear_error(xp):
    x, y = data.gabor(n=64, seed=0)
    cnn.backend.seed(0)
    model = _mlp(d_in=1, d_out=1)
    opt = optim.SGD(model.parameters(), lr=1e3)
    with pytest.raises(FloatingPointError, match=r"loss became (nan|inf) at epoch \d+, step \d+") as info:
        train.fit(model, nn.MSELoss(), opt, x, y, 50, 8, progress=False)
    assert info.value.global_step == len(info.value.history.step_loss)


def test_fit_validates_arguments():
    X, y = cnn.backend.zeros((6, 2)), cnn.backend.arange(6)
    model = _mlp(d_out=6)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, loss, opt, X, y, 0, 2, progress=False)
    with pytest.raises(ValueError, match=r"len\(X\)=6.*len\(y\)=5"):
        train.fit(model, loss, opt, X, y[:5], 1, 2, progress=False)
    with pytest.raises(ValueError, match="X_val and y_val"):
        train.fit(model, loss, opt, X, y, 1, 2, X_val=X, progress=False)
    with pytest.raises(TypeError, match=r"callbacks\[0\]"):
        train.fit(model, loss, opt, X, y, 1, 2, callbacks=[42], progress=False)
    with pytest.raises(TypeError, match="Module"):
        train.fit(lambda x: x, loss, opt, X, y, 1, 2, progress=False)


def test_progress_bar_goes_to_stderr(capsys):
    X, y = data.spirals(n_per_class=5, n_classes=3, seed=0)
    model = _mlp()
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, 2, 5)
    assert "entrenamiento" in capsys.readouterr().err
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, 2, 5, progress=False)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------------ evaluate / predict
def test_evaluate_and_predict_use_eval_mode_and_restore_modes(xp):
    X, y = data.spirals(n_per_class=20, n_classes=3, seed=0)
    cnn.backend.seed(0)
    model = _mlp(dropout=0.5)
    model.train()
    first = train.evaluate(model, nn.CrossEntropyLoss(), X, y)
    assert first == train.evaluate(model, nn.CrossEntropyLoss(), X, y)  # no dropout noise
    assert model.training and all(layer.training for layer in model)
    model[2].eval()  # a mixed state is restored exactly
    out = train.predict(model, X)
    assert model.training and not model[2].training
    np.testing.assert_allclose(_np(train.predict(model, X, batch_size=7)), _np(out), rtol=1e-6)
    assert out.shape == (60, 3)


# ------------------------------------------------------------------------------ callbacks
def test_plain_callable_and_stop_training():
    X, y = data.spirals(n_per_class=5, n_classes=3, seed=0)
    model = _mlp()
    seen = []

    def stop_after_two(model_, optimizer, epoch, history):
        seen.append((epoch, history.epochs))
        if epoch == 2:
            raise train.StopTraining

    opt = optim.SGD(model.parameters(), lr=0.1)
    h = train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 10, 5, callbacks=stop_after_two, progress=False)
    assert seen == [(1, 1), (2, 2)] and h.epochs == 2 and h.stopped_early


def test_maxnorm_projects_each_unit_row(xp):
    cnn.backend.seed(0)
    model = _mlp(hidden=32)
    layer = model[0]
    W = _np(layer.weight.data).copy()
    norms = np.linalg.norm(W, axis=1)
    c = float(np.median(norms))
    train.MaxNorm(c, layers=[layer]).apply(model)
    new = _np(layer.weight.data)
    new_norms = np.linalg.norm(new, axis=1)
    small = norms <= c
    np.testing.assert_array_equal(new[small], W[small])  # rows inside the ball are untouched
    np.testing.assert_allclose(new_norms[~small], c, rtol=1e-5)  # the others land on the sphere
    np.testing.assert_allclose(
        new[~small] / new_norms[~small, None], W[~small] / norms[~small, None], rtol=1e-5
    )

    X, y = data.spirals(n_per_class=10, n_classes=3, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.5)
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 3, 10, callbacks=[train.MaxNorm(0.3)], progress=False)
    for linear in train.linear_layers(model):
        assert np.linalg.norm(_np(linear.weight.data), axis=1).max() <= 0.3 * (1 + 1e-5)
    with pytest.raises(ValueError, match="max_norm"):
        train.MaxNorm(0.0)


def test_lr_schedule_per_epoch_and_per_step():
    X, y = data.spirals(n_per_class=10, n_classes=3, seed=0)  # 30 samples, 3 steps/epoch
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.4)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    h = train.fit(
        model, nn.CrossEntropyLoss(), opt, X, y, 5, 10, callbacks=[train.LRSchedule(sched)], progress=False
    )
    assert h.lr == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1])

    opt2 = optim.SGD(model.parameters(), lr=1.0)
    per_step = train.LRSchedule(lambda t: 1.0 / (1 + t), per="step")
    h2 = train.fit(model, nn.CrossEntropyLoss(), opt2, X, y, 2, 10, callbacks=[per_step], progress=False)
    assert h2.lr == pytest.approx([1.0, 1.0 / 4]) and opt2.lr == pytest.approx(1.0 / 7)

    with pytest.raises(ValueError, match="different optimizer"):
        train.fit(
            model,
            nn.CrossEntropyLoss(),
            opt2,
            X,
            y,
            1,
            10,
            callbacks=[train.LRSchedule(sched)],
            progress=False,
        )
    with pytest.raises(ValueError, match="per"):
        train.LRSchedule(sched, per="batch")


def test_snapshots_every_k_epochs_and_ensemble_prediction(xp):
    X, y = data.spirals(n_per_class=10, n_classes=3, seed=0)
    cnn.backend.seed(0)
    model = _mlp()
    snaps = train.Snapshots(every=2)
    opt = optim.SGD(model.parameters(), lr=0.5)
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 5, 10, callbacks=[snaps], progress=False)
    assert len(snaps) == 2 and snaps.epochs == [2, 4] and snaps.steps == [6, 12]
    final = _params(model)
    first = _np(snaps.snapshots[0]["param:0.weight"])
    assert not np.array_equal(first, final[0])  # copies, not views of the live weights

    probs = snaps.predict(model, X)
    for a, b in zip(_params(model), final, strict=True):  # the model is restored after predicting
        np.testing.assert_array_equal(a, b)
    members = []
    for i in range(2):
        snaps.load(model, i)
        members.append(_np(train.probabilities(train.predict(model, X))))
    np.testing.assert_allclose(_np(probs), np.mean(members, axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(probs).sum(axis=1), 1.0, rtol=1e-5)


def test_snapshots_at_the_end_of_each_cosine_cycle():
    X, y = data.spirals(n_per_class=10, n_classes=3, seed=0)  # 3 steps per epoch
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.2)
    sched = optim.CyclicCosineLR(opt, cycle_length=6)
    snaps = train.Snapshots(schedule=sched)
    callbacks = [train.LRSchedule(sched, per="step"), snaps]
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 6, 10, callbacks=callbacks, progress=False)
    assert snaps.steps == [6, 12, 18] and snaps.epochs == [1, 3, 5]
    with pytest.raises(ValueError, match="every=k"):
        train.Snapshots()


def test_layer_stats_logger_records_per_epoch():
    X, y = data.spirals(n_per_class=10, n_classes=3, seed=0)
    model = _mlp()
    logger = train.LayerStatsLogger(X, y, nn.CrossEntropyLoss(), every=2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 4, 10, callbacks=[logger], progress=False)
    assert logger.epochs == [0, 2, 4]
    series = logger.series("grad_var")
    assert list(series) == ["0: Linear", "1: ReLU", "2: Linear"]
    assert all(len(v) == 3 and all(math.isfinite(x) and x > 0 for x in v) for v in series.values())
    with pytest.raises(ValueError, match="unknown statistic"):
        logger.series("nope")


# ------------------------------------------------------------------------------ MNIST-1D
def test_mlp_on_mnist1d_reaches_60_percent_test_accuracy():
    """The course's reference run: 40-100-100-10 ReLU MLP, Adam (lr 1e-2), batch 100, NumPy float32."""
    with cnn.backend.using("numpy", dtype="float32"):
        split = data.mnist1d()
        cnn.backend.seed(0)
        model = nn.Sequential(
            nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)
        )
        opt = optim.Adam(model.parameters(), lr=1e-2)
        start = time.perf_counter()
        h = train.fit(
            model,
            nn.CrossEntropyLoss(),
            opt,
            split.X_train,
            split.y_train,
            epochs=50,
            batch_size=100,
            X_val=split.X_test,
            y_val=split.y_test,
            progress=False,
        )
        elapsed = time.perf_counter() - start
        _, test_acc = train.evaluate(model, nn.CrossEntropyLoss(), split.X_test, split.y_test)
    print(f"MNIST-1D MLP: test accuracy {test_acc:.3f} after 50 epochs in {elapsed:.1f} s")
    assert model.parameters()[0].data.dtype == np.float32
    assert test_acc >= 0.60
    assert h.train_acc[-1] > test_acc  # it fits the training set better than it generalizes


def test_clip_grad_norm_callback_clips_before_each_step(xp):
    """on_backward_end runs between backward and step: the step sees the clipped gradient."""
    cnn.backend.seed(0)
    X = cnn.backend.rng().normal(size=(40, 3))
    y = cnn.backend.rng().integers(0, 2, size=(40,))
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    seen = []

    class Spy:
        def on_backward_end(self, model, optimizer, step):
            squares = [float(np.sum(cnn.backend.to_numpy(p.grad) ** 2)) for p in optimizer.params]
            seen.append(sum(squares) ** 0.5)

    clip = train.ClipGradNorm(1e-3)
    opt = cnn.optim.SGD(model.parameters(), lr=0.1)
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, 2, 10, callbacks=[clip, Spy()], progress=False)
    assert len(clip.norms) == len(seen) == 8
    assert all(n > 1e-3 for n in clip.norms)  # every raw gradient was larger than the bound...
    np.testing.assert_allclose(seen, 1e-3, rtol=1e-3)  # ...and the spy, after it, saw norm = bound
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        train.ClipGradNorm(-1.0)
