"""Learning-rate schedules: values against their formulas and against torch.optim.lr_scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest

import coursenn as cnn
from coursenn import optim
from coursenn.nn import Parameter


def make_optimizer(lr=0.1):
    return optim.SGD([Parameter(cnn.backend.asarray(np.zeros(2)))], lr=lr, momentum=0.9)


def lrs_after_steps(schedule, steps):
    """[lr used at step 0, lr after 1 step, ...] as read from the optimizer."""
    out = [schedule.optimizer.lr]
    for _ in range(steps):
        returned = schedule.step()
        assert returned == schedule.optimizer.lr == schedule.lr
        out.append(schedule.optimizer.lr)
    return np.array(out)


def test_step_lr_formula():
    s = optim.StepLR(make_optimizer(0.5), step_size=3, gamma=0.1)
    expected = [0.5 * 0.1 ** (t // 3) for t in range(10)]
    np.testing.assert_allclose(lrs_after_steps(s, 9), expected, rtol=1e-15)


def test_exponential_lr_formula():
    s = optim.ExponentialLR(make_optimizer(0.2), gamma=0.9)
    np.testing.assert_allclose(lrs_after_steps(s, 20), 0.2 * 0.9 ** np.arange(21), rtol=1e-14)


def test_cosine_annealing_formula_and_end_points():
    s = optim.CosineAnnealingLR(make_optimizer(0.1), T_max=10, eta_min=0.001)
    lrs = lrs_after_steps(s, 10)
    t = np.arange(11)
    np.testing.assert_allclose(lrs, 0.001 + 0.5 * (0.1 - 0.001) * (1 + np.cos(np.pi * t / 10)), rtol=1e-14)
    assert (
        lrs[0] == pytest.approx(0.1) and lrs[5] == pytest.approx(0.0505) and lrs[10] == pytest.approx(0.001)
    )
    assert np.all(np.diff(lrs) < 0)


def test_cyclic_cosine_restarts_and_marks_cycle_ends():
    # Huang et al. (2017): α(t) = α0/2 (cos(π mod(t−1, ⌈T/M⌉)/⌈T/M⌉) + 1), t = 1, 2, ...
    T, M, a0 = 20, 4, 0.2
    s = optim.CyclicCosineLR.from_budget(make_optimizer(a0), total_steps=T, cycles=M)
    assert s.cycle_length == 5
    lrs = [s.optimizer.lr]
    ends = []
    for _ in range(T):
        s.step()
        lrs.append(s.optimizer.lr)
        ends.append(s.cycle_end)
    huang = [
        a0 / 2 * (math.cos(math.pi * ((t - 1) % math.ceil(T / M)) / math.ceil(T / M)) + 1)
        for t in range(1, T + 1)
    ]
    np.testing.assert_allclose(lrs[:T], huang, rtol=1e-14)  # lrs[t-1] is used by iteration t
    # a snapshot is due after iterations 5, 10, 15, 20 (the lr has just restarted)
    assert [i + 1 for i, e in enumerate(ends) if e] == [5, 10, 15, 20]
    assert s.cycle == M
    assert lrs[5] == pytest.approx(a0) and lrs[4] < 0.1 * a0


def test_cyclic_cosine_with_eta_min_and_uneven_budget():
    s = optim.CyclicCosineLR.from_budget(make_optimizer(1.0), total_steps=10, cycles=3, eta_min=0.1)
    assert s.cycle_length == 4  # ⌈10/3⌉
    lrs = lrs_after_steps(s, 8)
    assert lrs.min() >= 0.1 and lrs[4] == pytest.approx(1.0) and lrs[8] == pytest.approx(1.0)
    assert lrs[2] == pytest.approx(0.1 + 0.9 * 0.5)


def test_lambda_lr():
    s = optim.LambdaLR(make_optimizer(0.3), lambda t: 1.0 / (t + 1))
    np.testing.assert_allclose(lrs_after_steps(s, 5), 0.3 / np.arange(1, 7), rtol=1e-15)
    bad = optim.LambdaLR(make_optimizer(0.3), lambda t: 1.0 - t)
    with pytest.raises(ValueError, match="lr_lambda"):
        bad.step()
        bad.step()


def test_schedule_drives_the_optimizer(xp):
    p = Parameter(cnn.backend.asarray([0.0]))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.zero_grad()
        p.accumulate(cnn.backend.asarray([1.0]))
        opt.step()
        sched.step()
    np.testing.assert_allclose(cnn.backend.to_numpy(p.data), [-(1.0 + 0.5 + 0.25)])


def test_lr_at_does_not_touch_the_optimizer():
    opt = make_optimizer(0.1)
    s = optim.ExponentialLR(opt, gamma=0.5)
    assert [s.lr_at(t) for t in range(3)] == [0.1, 0.05, 0.025]
    assert opt.lr == 0.1 and s.t == 0


def test_state_dict_round_trip():
    a = optim.CosineAnnealingLR(make_optimizer(0.1), T_max=10)
    for _ in range(4):
        a.step()
    b = optim.CosineAnnealingLR(make_optimizer(0.1), T_max=10)
    b.load_state_dict(a.state_dict())
    assert b.t == 4 and b.optimizer.lr == a.optimizer.lr
    assert [b.step() for _ in range(3)] == [a.step() for _ in range(3)]
    with pytest.raises(ValueError, match="t"):
        b.load_state_dict({"t": -1, "base_lr": 0.1})


def test_repr_names_the_schedule():
    text = repr(optim.CyclicCosineLR(make_optimizer(0.1), cycle_length=7))
    assert text.startswith("CyclicCosineLR(") and "cycle_length=7" in text and "base_lr=0.1" in text


@pytest.mark.parametrize(
    "build, argument",
    [
        (lambda o: optim.StepLR(o, step_size=0), "step_size"),
        (lambda o: optim.StepLR(o, step_size=2.5), "step_size"),
        (lambda o: optim.StepLR(o, step_size=2, gamma=0.0), "gamma"),
        (lambda o: optim.ExponentialLR(o, gamma=-0.5), "gamma"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=-1.0), "eta_min"),
        (lambda o: optim.CyclicCosineLR(o, cycle_length=0), "cycle_length"),
        (lambda o: optim.CyclicCosineLR.from_budget(o, total_steps=3, cycles=5), "cycles"),
        (lambda o: optim.CyclicCosineLR.from_budget(o, total_steps=0, cycles=1), "total_steps"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(build, argument):
    with pytest.raises(ValueError, match=argument):
        build(make_optimizer())


def test_bad_optimizer_and_lambda_raise_type_error():
    with pytest.raises(TypeError, match="optimizer"):
        optim.StepLR(object(), step_size=1)
    with pytest.raises(TypeError, match="lr_lambda"):
        optim.LambdaLR(make_optimizer(), lr_lambda=0.5)


# --------------------------------------------------------------------------- against torch


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda o: optim.StepLR(o, step_size=4, gamma=0.3),
            lambda t, o: t.optim.lr_scheduler.StepLR(o, 4, 0.3),
        ),
        (
            lambda o: optim.ExponentialLR(o, gamma=0.95),
            lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, 0.95),
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=12, eta_min=0.01),
            lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.01),
        ),
        (
            lambda o: optim.CyclicCosineLR(o, cycle_length=7, eta_min=0.005),
            lambda t, o: t.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=1, eta_min=0.005),
        ),
        (
            lambda o: optim.LambdaLR(o, lambda k: 0.9**k + 0.1),
            lambda t, o: t.optim.lr_scheduler.LambdaLR(o, lambda k: 0.9**k + 0.1),
        ),
    ],
    ids=["StepLR", "ExponentialLR", "CosineAnnealingLR", "CyclicCosineLR", "LambdaLR"],
)
def test_schedules_match_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    q = torch.zeros(2, requires_grad=True)
    ref_opt = torch.optim.SGD([q], lr=0.2)
    ref = theirs(torch, ref_opt)
    s = ours(make_optimizer(0.2))
    for _ in range(24):  # covers two cosine half-periods and several restarts
        assert s.optimizer.lr == pytest.approx(ref_opt.param_groups[0]["lr"], rel=1e-10, abs=1e-14)
        ref_opt.step()
        ref.step()
        s.step()
