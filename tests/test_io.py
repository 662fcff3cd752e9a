"""Tests of coursenn.io: .npz round trips, atomic writes, and refusing bad checkpoints untouched."""

from __future__ import annotations

import os

import numpy as np
import pytest

import coursenn as cnn
from coursenn import io, nn, optim, train


def _np(a):
    return cnn.backend.to_numpy(a)


def _model(hidden=8):
    return nn.Sequential(
        nn.Linear(4, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden, 3)
    )


def _state(model):
    return {k: _np(v).copy() for k, v in io.model_state(model).items()}


def _assert_same_state(model, expected):
    now = _state(model)
    assert now.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(now[key], expected[key], err_msg=key)


def _train(model, opt, epochs=2, seed=0):
    gen = np.random.default_rng(seed)
    X = cnn.backend.asarray(gen.standard_normal((32, 4)))
    y = cnn.backend.asarray(gen.integers(0, 3, 32))
    train.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs, 8, progress=False)
    return X


def test_round_trip_gives_bit_identical_predictions_and_optimizer_state(xp, tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    X = _train(model, opt)
    before = _np(train.predict(model, X)).copy()
    saved_state, saved_opt = _state(model), opt.state_dict()
    path = tmp_path / "mlp.npz"
    io.save(model, path, opt)

    _train(model, opt, seed=1)  # move everything away, running statistics included
    assert not np.array_equal(_np(train.predict(model, X)), before)
    io.load(model, path, opt)
    _assert_same_state(model, saved_state)
    np.testing.assert_array_equal(_np(train.predict(model, X)), before)
    restored = opt.state_dict()
    assert restored["t"] == saved_opt["t"] and restored["lr"] == saved_opt["lr"]
    np.testing.assert_array_equal(restored["state.0.grad_avg"], saved_opt["state.0.grad_avg"])

    fresh = _model()  # a new instance of the same architecture loads too
    io.load(fresh, path)
    np.testing.assert_array_equal(_np(train.predict(fresh, X)), before)


def test_file_is_plain_npz_without_pickle(tmp_path):
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    path = tmp_path / "ckpt.npz"
    io.save(model, path, opt)
    with np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        assert all(npz[k].dtype != object for k in keys)
    assert {"param:0.weight", "param:1.gamma", "buffer:1.running_mean", "buffer:1.running_var"} <= keys
    assert "optim:lr" in keys and "meta:format" in keys
    assert [k for k in os.listdir(tmp_path)] == ["ckpt.npz"]  # no temporary file left behind


def test_save_is_atomic_when_it_fails(tmp_path):
    model = _model()
    path = tmp_path / "ckpt.npz"
    io.save(model, path)
    original = path.read_bytes()

    class BadOptimizer:
        def state_dict(self):
            return {"lr": 0.1, "closure": object()}

        def load_state_dict(self, state):
            raise AssertionError("not called")

    with pytest.raises(ValueError, match="without pickle"):
        io.save(model, path, BadOptimizer())
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.parametrize(
    "other, message",
    [
        (lambda: _model(hidden=16), r"'param:0.weight': checkpoint shape \(8, 4\), model shape \(16, 4\)"),
        (lambda: nn.Sequential(_model(), nn.ReLU(), nn.Linear(3, 2)), "missing 'param:0.0.weight'"),
        (
            lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)),
            r"missing 'param:2.weight'.*unexpected 'param:1.gamma'.*\(and 3 more\)",
        ),
    ],
)
def test_mismatched_checkpoint_is_refused_and_model_untouched(xp, tmp_path, other, message):
    path = tmp_path / "ckpt.npz"
    io.save(_model(), path)
    target = other()
    before = _state(target)
    with pytest.raises(ValueError, match=message):
        io.load(target, path)
    _assert_same_state(target, before)


def test_dtype_mismatch_is_refused(tmp_path):
    with cnn.backend.using("numpy", dtype="float64"):
        model64 = _model()
        io.save(model64, tmp_path / "f64.npz")
    model32 = _model()
    before = _state(model32)
    with pytest.raises(ValueError, match="checkpoint dtype float64, model dtype float32"):
        io.load(model32, tmp_path / "f64.npz")
    _assert_same_state(model32, before)


def test_truncated_or_foreign_files_are_refused(xp, tmp_path):
    model = _model()
    path = tmp_path / "ckpt.npz"
    io.save(model, path)
    data = path.read_bytes()
    target = _model()
    before = _state(target)
    for name, content in [("half.npz", data[: len(data) // 2]), ("garbage.npz", b"not a zip file at all")]:
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="truncated or corrupt"):
            io.load(target, bad)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a coursenn checkpoint"):
        io.load(target, tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError):
        io.load(target, tmp_path / "missing.npz")
    _assert_same_state(target, before)


def test_optimizer_mismatch_leaves_model_untouched(tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt)
    io.save(model, tmp_path / "adam.npz", opt)
    io.save(model, tmp_path / "no_opt.npz")
    target = _model()
    sgd = optim.SGD(target.parameters(), lr=0.1)
    before = _state(target)
    with pytest.raises(ValueError, match="Adam"):
        io.load(target, tmp_path / "adam.npz", sgd)
    with pytest.raises(ValueError, match="no optimizer state"):
        io.load(target, tmp_path / "no_opt.npz", sgd)
    _assert_same_state(target, before)
    assert sgd.t == 0


def test_model_state_copies_and_load_state(xp):
    model = _model()
    state = io.model_state(model)
    other = _model()
    io.load_state(other, state)
    _assert_same_state(other, {k: _np(v) for k, v in state.items()})
    with pytest.raises(ValueError, match="does not match"):
        io.load_state(_model(hidden=4), state)
    with pytest.raises(TypeError, match="path"):
        io.save(model, 42)
