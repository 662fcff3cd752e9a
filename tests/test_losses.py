"""Losses: gradient checks, PyTorch as oracle, stability, targets, errors."""

from __future__ import annotations

import numpy as np
import pytest

import coursenn as cnn
from coursenn import functional as F
from coursenn import nn
from coursenn.gradcheck import check_loss

to_np = cnn.backend.to_numpy
TOL = 1e-6


def _normal(*shape, scale=1.0):
    return cnn.backend.rng().normal(0.0, scale, shape)


def _targets(kind):
    rng = cnn.backend.rng()
    if kind == "labels":
        return rng.integers(0, 4, (6,))
    if kind == "onehot":
        return cnn.backend.xp().astype(
            rng.integers(0, 4, (6,))[:, None] == cnn.backend.arange(4)[None, :], cnn.backend.default_dtype()
        )
    if kind == "binary":
        return cnn.backend.xp().astype(rng.random((6, 4)) < 0.5, cnn.backend.default_dtype())
    return rng.normal(0.0, 1.0, (6, 4))


CASES = [
    (nn.CrossEntropyLoss, "labels"),
    (nn.CrossEntropyLoss, "onehot"),
    (nn.MSELoss, "real"),
    (nn.BCEWithLogitsLoss, "binary"),
]


@pytest.mark.parametrize("loss_cls, kind", CASES, ids=["ce-labels", "ce-onehot", "mse", "bce"])
def test_loss_objects_gradcheck(xp64, loss_cls, kind):
    assert check_loss(loss_cls(), _normal(6, 4, scale=2.0), _targets(kind)) < TOL


@pytest.mark.parametrize(
    "fn, kind",
    [(F.softmax_cross_entropy, "labels"), (F.mse, "real"), (F.bce_with_logits, "binary")],
    ids=["ce", "mse", "bce"],
)
def test_functional_losses_gradcheck(xp64, fn, kind):
    assert check_loss(fn, _normal(6, 4), _targets(kind)) < TOL


def test_cross_entropy_with_probability_targets_gradcheck(xp64):
    soft = cnn.backend.rng().random((6, 4))
    soft = soft / cnn.backend.xp().sum(soft, axis=1, keepdims=True)
    assert check_loss(nn.CrossEntropyLoss(), _normal(6, 4), soft) < TOL


@pytest.mark.parametrize(
    "loss_cls, kind, torch_name",
    [
        (nn.CrossEntropyLoss, "labels", "CrossEntropyLoss"),
        (nn.CrossEntropyLoss, "onehot", "CrossEntropyLoss"),
        (nn.MSELoss, "real", "MSELoss"),
        (nn.BCEWithLogitsLoss, "binary", "BCEWithLogitsLoss"),
    ],
    ids=["ce-labels", "ce-onehot", "mse", "bce"],
)
def test_losses_match_torch(xp64, loss_cls, kind, torch_name):
    torch = pytest.importorskip("torch")
    pred, target = _normal(6, 4, scale=3.0), _targets(kind)
    loss_fn = loss_cls()
    loss = loss_fn(pred, target)
    pt = torch.from_numpy(to_np(pred).copy()).requires_grad_()
    ref = getattr(torch.nn, torch_name)()(pt, torch.from_numpy(to_np(target).copy()))
    ref.backward()
    assert loss.shape == ()
    np.testing.assert_allclose(float(to_np(loss)), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(to_np(loss_fn.backward()), pt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_int_labels_and_onehot_agree(xp):
    logits = _normal(5, 3)
    y = cnn.backend.asarray([0, 2, 1, 1, 0])
    onehot = cnn.backend.xp().astype(y[:, None] == cnn.backend.arange(3)[None, :], logits.dtype)
    a, da = F.softmax_cross_entropy(logits, y)
    b, db = F.softmax_cross_entropy(logits, onehot)
    np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-6)
    np.testing.assert_allclose(to_np(da), to_np(db), rtol=1e-5, atol=1e-7)


def test_cross_entropy_is_stable_for_huge_logits(xp):
    logits = cnn.backend.asarray([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]])
    loss, grad = F.softmax_cross_entropy(logits, cnn.backend.asarray([0, 1]))
    # row 1: p = (1, 0, 0) -> 0; row 2: p = (0, .5, .5) -> log 2
    np.testing.assert_allclose(float(to_np(loss)), np.log(2) / 2, rtol=1e-6)
    np.testing.assert_allclose(to_np(grad), [[0, 0, 0], [0, -0.25, 0.25]], atol=1e-7)


def test_bce_is_stable_for_huge_logits(xp):
    logits = cnn.backend.asarray([[1e4, -1e4, 1e4, 0.0]])
    loss, grad = F.bce_with_logits(logits, cnn.backend.asarray([[1.0, 0.0, 0.0, 1.0]]))
    np.testing.assert_allclose(float(to_np(loss)), (1e4 + np.log(2)) / 4, rtol=1e-6)
    np.testing.assert_allclose(to_np(grad), [[0, 0, 0.25, -0.125]], atol=1e-7)


def test_mse_is_mean_over_all_elements(xp):
    pred = cnn.backend.asarray([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    target = cnn.backend.zeros((3, 2))
    loss_fn = nn.MSELoss()
    np.testing.assert_allclose(float(to_np(loss_fn(pred, target))), 30 / 6, rtol=1e-6)
    np.testing.assert_allclose(to_np(loss_fn.backward()), to_np(pred) / 3, rtol=1e-6)


def test_losses_keep_dtype_and_return_0d(xp):
    with cnn.backend.using(dtype="float32"):
        pred = _normal(4, 3)
        for loss_fn, target in (
            (nn.MSELoss(), _normal(4, 3)),
            (nn.CrossEntropyLoss(), cnn.backend.asarray([0, 1, 2, 0])),
            (nn.BCEWithLogitsLoss(), cnn.backend.ones((4, 3))),
        ):
            loss = loss_fn(pred, target)
            assert loss.shape == () and loss.dtype == xp.float32
            assert loss_fn.backward().dtype == xp.float32


@pytest.mark.parametrize("loss_cls", [nn.MSELoss, nn.CrossEntropyLoss, nn.BCEWithLogitsLoss])
def test_backward_before_call_raises(loss_cls):
    with pytest.raises(RuntimeError, match="before forward"):
        loss_cls().backward()


def test_bad_targets_raise(xp):
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        nn.MSELoss()(_normal(4, 3), _normal(4, 2))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        nn.BCEWithLogitsLoss()(_normal(4, 3), _normal(3, 4))
    with pytest.raises(ValueError, match=r"labels y.*\[0, 3\)"):
        nn.CrossEntropyLoss()(_normal(2, 3), cnn.backend.asarray([0, 3]))
    with pytest.raises(ValueError, match=r"labels y.*\[0, 3\)"):
        nn.CrossEntropyLoss()(_normal(2, 3), cnn.backend.asarray([-1, 2]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        nn.CrossEntropyLoss()(_normal(2, 3), cnn.backend.asarray([0, 1, 2]))


def test_backward_scales_by_upstream(xp):
    loss_fn = nn.MSELoss()
    loss_fn(_normal(3, 2), _normal(3, 2))
    np.testing.assert_allclose(to_np(loss_fn.backward(2.0)), 2 * to_np(loss_fn.backward()), rtol=1e-6)
