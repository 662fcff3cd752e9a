"""Offline self-checks for the book's coding exercises (verdicts in Spanish).

``check.<name>(student_fn)`` runs the student's function on seeded reference cases on the
current backend, compares each result with the reference implementation in ``coursenn``
(:mod:`~coursenn.functional`, :mod:`~coursenn.init`, :mod:`~coursenn.optim`,
:mod:`~coursenn.train`), prints one verdict line and returns ``True``/``False``::

    ✔ relu_backward: correcto (5 casos)
    ✘ relu_backward: falla en el caso 2 (entrada de forma (1, 5)):
      esperado dz[0, 3] = 0, obtenido 0.7 (máx. |diferencia| = 0.7).
      Pista: ...

An exception raised by the student's code is reported as a failure with its message (it
is not re-raised). Inputs are created with :func:`coursenn.backend.asarray` in the default
dtype; results may be arrays of any backend (or NumPy) and are compared on the host with
a tolerance suited to the dtype. The documented signature of each student function is in
the docstring of its check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from coursenn import backend
from coursenn import functional as F
from coursenn import init as initializers

# ------------------------------------------------------------------------------ machinery


class _Mismatch(Exception):
    """A wrong result: ``detail`` says what differs, ``hint`` (optional) overrides the check's hint."""

    def __init__(self, detail: str, hint: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.hint = detail, hint


class _StudentError(Exception):
    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # the student's bug, reported in the verdict
        raise _StudentError(exc) from exc


def _tolerances() -> tuple[float, float]:
    return (1e-4, 1e-5) if backend.dtype_name() == "float32" else (1e-6, 1e-9)


def _fmt(v: Any) -> str:
    return f"{float(v):.6g}"


def _host(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise _Mismatch(f"{name} es None", "¿falta el return al final de su función?")
    try:
        out = np.asarray(backend.to_numpy(value), dtype=np.float64)
    except Exception:
        raise _Mismatch(
            f"{name} no es un arreglo ni un número (obtenido {type(value).__name__})",
            "devuelva un arreglo (o un número) con el resultado",
        ) from None
    return out


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    rtol, atol = _tolerances()
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _compare(
    name: str,
    got: Any,
    expected: Any,
    variants: Iterable[tuple[Any, str]] = (),
    nonfinite_hint: str | None = None,
) -> None:
    """Raise :class:`_Mismatch` unless ``got`` ≈ ``expected``; ``variants`` are known wrong
    answers ``(value, hint)`` whose hint is given when ``got`` matches them;
    ``nonfinite_hint`` is given when ``got`` has NaN/inf and ``expected`` does not."""
    exp = _host(expected, name)
    g = _host(got, name)
    if nonfinite_hint and g.shape == exp.shape and not np.all(np.isfinite(g)) and np.all(np.isfinite(exp)):
        where = "" if g.ndim == 0 else " (en algunos elementos)"
        raise _Mismatch(f"{name} tiene valores nan/inf{where}; esperado un resultado finito", nonfinite_hint)
    if g.shape != exp.shape:
        for value, hint in variants:
            if g.shape == _host(value, name).shape and _close(g, _host(value, name)):
                raise _Mismatch(f"esperado {name} de forma {exp.shape}, obtenido forma {g.shape}", hint)
        raise _Mismatch(f"esperado {name} de forma {exp.shape}, obtenido forma {g.shape}")
    if _close(g, exp):
        return
    hint = next((h for value, h in variants if _close(g, _host(value, name))), None)
    if exp.ndim == 0:
        raise _Mismatch(f"esperado {name} = {_fmt(exp)}, obtenido {_fmt(g)}", hint)
    diff = np.abs(g - exp)
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), exp.shape)
    where = ", ".join(str(int(i)) for i in idx)
    raise _Mismatch(
        f"esperado {name}[{where}] = {_fmt(exp[idx])}, obtenido {_fmt(g[idx])} "
        f"(máx. |diferencia| = {_fmt(diff.max())})",
        hint,
    )


def _first(result: Any) -> Any:
    """``out`` from ``out`` or ``(out, cache)``."""
    return result[0] if isinstance(result, tuple) and len(result) == 2 else result


def _tuple(result: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (
            f"una tupla de {len(result)} elementos"
            if isinstance(result, (tuple, list))
            else type(result).__name__
        )
        raise _Mismatch(
            f"se esperaba una tupla ({', '.join(names)}), obtenido {got}",
            f"termine con `return {', '.join(names)}`",
        )
    return tuple(result)


def _verdict(name: str, student_fn: Any, cases: list[tuple[str, Callable[[], None]]], hint: str) -> bool:
    if not callable(student_fn):
        print(
            f"✘ {name}: se esperaba una función, obtenido {type(student_fn).__name__}.\n"
            f"  Pista: pase la función sin llamarla, p. ej. check.{name}({name})."
        )
        return False
    for i, (description, run) in enumerate(cases, start=1):
        try:
            run()
        except _Mismatch as m:
            print(
                f"✘ {name}: falla en el caso {i} ({description}):\n  {m.detail}.\n  Pista: {m.hint or hint}"
            )
            return False
        except _StudentError as e:
            print(
                f"✘ {name}: falla en el caso {i} ({description}):\n"
                f"  su función lanzó {type(e.exc).__name__}: {e.exc}.\n  Pista: {hint}"
            )
            return False
    print(f"✔ {name}: correcto ({len(cases)} casos)")
    return True


def _gen(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _arr(a: Any) -> Any:
    return backend.asarray(np.asarray(a, dtype=np.float64))


def _copy(a: Any) -> Any:
    return backend.xp().asarray(a, copy=True)


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"entrada de forma {tuple(shape)}"


# ------------------------------------------------------------------------------ activations
_ACT_SHAPES = [(3, 4), (1, 5), (8, 3), (6,), (2, 7)]


def relu_backward(student_fn: Callable[[Any, Any], Any]) -> bool:
    r"""Check ``relu_backward(dh, z) -> dz``.

    ``dh`` = :math:`\partial L/\partial h` and ``z`` (the preactivation, ReLU's input) have
    the same shape; return :math:`\partial L/\partial z = dh \odot \mathbb 1[z > 0]`.
    """
    cases = []
    for k, shape in enumerate(_ACT_SHAPES):

        def run(shape: tuple[int, ...] = shape, k: int = k) -> None:
            gen = _gen(100 + k)
            z, dh = _arr(gen.standard_normal(shape)), _arr(gen.standard_normal(shape))
            _, cache = F.relu_forward(z)
            expected = F.relu_backward(dh, cache)
            got = _call(student_fn, _copy(dh), _copy(z))
            _compare(
                "dz",
                got,
                expected,
                [
                    (dh, "devolvió dh sin anular los lugares donde z ≤ 0"),
                    (dh * z, "multiplique por la indicadora 1[z > 0], no por z"),
                ],
            )

        cases.append((_shape_text(shape), run))
    return _verdict(
        "relu_backward",
        student_fn,
        cases,
        "ReLU'(z) = 1 si z > 0 y 0 si no: dz = dh · 1[z > 0] (p. ej. xp.where(z > 0, dh, 0.0)).",
    )


def sigmoid_backward(student_fn: Callable[[Any, Any], Any]) -> bool:
    r"""Check ``sigmoid_backward(dh, z) -> dz``.

    ``z`` is the sigmoid's input (same shape as ``dh``); return
    :math:`dz = dh \odot \sigma(z)(1 - \sigma(z))`.
    """
    cases = []
    for k, shape in enumerate(_ACT_SHAPES):

        def run(shape: tuple[int, ...] = shape, k: int = k) -> None:
            gen = _gen(200 + k)
            z, dh = _arr(2.0 * gen.standard_normal(shape)), _arr(gen.standard_normal(shape))
            h, cache = F.sigmoid_forward(z)
            expected = F.sigmoid_backward(dh, cache)
            got = _call(student_fn, _copy(dh), _copy(z))
            _compare(
                "dz",
                got,
                expected,
                [
                    (dh * h, "falta el factor (1 − σ(z))"),
                    (dh * z * (1.0 - z), "la fórmula va con σ(z), no con z: σ'(z) = σ(z)(1 − σ(z))"),
                ],
            )

        cases.append((_shape_text(shape), run))
    return _verdict(
        "sigmoid_backward",
        student_fn,
        cases,
        "σ'(z) = σ(z)(1 − σ(z)), con σ(z) = 1/(1 + e^{−z}); multiplique por dh elemento a elemento.",
    )


# ------------------------------------------------------------------------------ linear layer
_LINEAR_SHAPES = [(4, 3, 2), (1, 5, 3), (10, 8, 4), (3, 1, 1), (6, 4, 7)]


def _linear_inputs(seed: int, n: int, d_in: int, d_out: int) -> tuple[Any, Any, Any]:
    gen = _gen(seed)
    return (
        _arr(gen.standard_normal((n, d_in))),
        _arr(gen.standard_normal((d_out, d_in))),
        _arr(gen.standard_normal(d_out)),
    )


def linear_forward(student_fn: Callable[[Any, Any, Any], Any]) -> bool:
    r"""Check ``linear_forward(x, W, b) -> out`` (or ``(out, cache)``).

    ``x``: (N, D_in); ``W`` = Ω: (D_out, D_in); ``b`` = β: (D_out,). Return
    ``out = x Wᵀ + b`` of shape (N, D_out), i.e. :math:`z = \Omega h + \beta` for each row.
    """
    cases = []
    for k, (n, d_in, d_out) in enumerate(_LINEAR_SHAPES):

        def run(n: int = n, d_in: int = d_in, d_out: int = d_out, k: int = k) -> None:
            x, W, b = _linear_inputs(300 + k, n, d_in, d_out)
            expected, _ = F.linear_forward(x, W, b)
            got = _first(_call(student_fn, _copy(x), _copy(W), _copy(b)))
            _compare("out", got, expected, [(x @ W.T, "falta sumar el sesgo b")])

        cases.append((f"x de forma {(n, d_in)}, W de forma {(d_out, d_in)}", run))
    return _verdict(
        "linear_forward",
        student_fn,
        cases,
        "W tiene forma (D_out, D_in), así que out = x @ W.T + b (forma (N, D_out)).",
    )


def linear_backward(student_fn: Callable[[Any, Any], Any]) -> bool:
    r"""Check ``linear_backward(dout, cache) -> (dx, dW, db)``.

    ``cache = (x, W, b)`` as saved by the forward pass ``out = x Wᵀ + b``; ``dout`` =
    :math:`\partial L/\partial\,\text{out}` (N, D_out). Return ``dx = dout W`` (N, D_in),
    ``dW = doutᵀ x`` (D_out, D_in) and ``db`` = the sum of ``dout`` over the batch (D_out,).
    """
    cases = []
    for k, (n, d_in, d_out) in enumerate(_LINEAR_SHAPES):

        def run(n: int = n, d_in: int = d_in, d_out: int = d_out, k: int = k) -> None:
            x, W, b = _linear_inputs(400 + k, n, d_in, d_out)
            dout = _arr(_gen(450 + k).standard_normal((n, d_out)))
            _, cache = F.linear_forward(x, W, b)
            dx, dW, db = F.linear_backward(dout, cache)
            xp = backend.xp()
            got = _tuple(_call(student_fn, _copy(dout), (_copy(x), _copy(W), _copy(b))), ("dx", "dW", "db"))
            _compare("dx", got[0], dx)
            _compare(
                "dW", got[1], dW, [(x.T @ dout, "dW debe tener la forma de W (D_out, D_in): dW = dout.T @ x")]
            )
            _compare(
                "db",
                got[2],
                db,
                [(xp.mean(dout, axis=0), "db es la SUMA de dout sobre el minilote, no el promedio")],
            )

        cases.append((f"x de forma {(n, d_in)}, W de forma {(d_out, d_in)}", run))
    return _verdict(
        "linear_backward",
        student_fn,
        cases,
        "con out = x Wᵀ + b: dx = dout @ W, dW = dout.T @ x, db = suma de dout sobre el eje 0.",
    )


# ------------------------------------------------------------------------------ loss
def softmax_cross_entropy(student_fn: Callable[[Any, Any], Any]) -> bool:
    r"""Check ``softmax_cross_entropy(logits, y) -> (loss, dlogits)``.

    ``logits``: (N, C); ``y``: integer labels (N,). Return the mean cross-entropy
    :math:`L = -\frac1N\sum_n \log p_{n,y_n}` with :math:`p = \mathrm{softmax}(\text{logits})`
    (a scalar) and :math:`\partial L/\partial\,\text{logits} = (p - \text{onehot}(y))/N`.
    The last case has large logits: subtract each row's maximum before ``exp``.
    """
    shapes = [(4, 3, 1.0), (1, 5, 1.0), (10, 10, 1.0), (6, 2, 1.0), (3, 4, 300.0)]
    cases = []
    for k, (n, c, scale) in enumerate(shapes):

        def run(n: int = n, c: int = c, scale: float = scale, k: int = k) -> None:
            gen = _gen(500 + k)
            logits = _arr(scale * gen.standard_normal((n, c)))
            y = backend.asarray(gen.integers(0, c, n), dtype="int64")
            loss, dlogits = F.softmax_cross_entropy(logits, y)
            got = _tuple(_call(student_fn, _copy(logits), _copy(y)), ("loss", "dlogits"))
            unstable = "exp desborda con logits grandes: reste el máximo de cada fila antes de exp"
            _compare(
                "loss",
                got[0],
                loss,
                [(loss * n, "promedie sobre el minilote: divida la suma por N")],
                unstable,
            )
            _compare(
                "dlogits",
                got[1],
                dlogits,
                [(dlogits * n, "el gradiente del promedio lleva el factor 1/N")],
                unstable,
            )

        description = f"logits de forma {(n, c)}" + (" grandes (estabilidad numérica)" if scale > 1 else "")
        cases.append((description, run))
    return _verdict(
        "softmax_cross_entropy",
        student_fn,
        cases,
        "p = softmax(z) restando el máximo de cada fila antes de exp; L = −promedio de log p[n, y_n]; "
        "dL/dz = (p − onehot(y)) / N.",
    )


# ------------------------------------------------------------------------------ initialization
_FANS = [(100, 100), (784, 256), (3, 1000), (50, 10), (1, 1)]


def _std_cases(
    student_fn: Callable[..., Any],
    args_list: list[tuple[Any, ...]],
    reference: Callable[..., float],
    variants: Callable[..., list[tuple[float, str]]],
    describe: Callable[..., str],
) -> list[Any]:
    cases = []
    for args in args_list:

        def run(args: tuple[Any, ...] = args) -> None:
            expected = reference(*args)
            got = _call(student_fn, *args)
            known = [(expected**2, "devolvió la varianza: la desviación estándar es su raíz cuadrada")]
            _compare("std", got, expected, known + variants(*args))

        cases.append((describe(*args), run))
    return cases


def xavier_std(student_fn: Callable[[int, int], float]) -> bool:
    r"""Check ``xavier_std(fan_in, fan_out) -> float``: Glorot & Bengio's
    :math:`\sigma_\Omega = \sqrt{2/(D_h + D_{h'})}` (fan_in = :math:`D_h`, fan_out = :math:`D_{h'}`)."""
    cases = _std_cases(
        student_fn,
        _FANS,
        lambda fi, fo: initializers.std("xavier_normal", fi, fo),
        lambda fi, fo: [
            (math.sqrt(1.0 / fi), "esa es la de LeCun (solo fan_in); Xavier promedia fan_in y fan_out"),
            (math.sqrt(2.0 / fi), "esa es la de He; Xavier usa 2/(fan_in + fan_out)"),
            (math.sqrt(1.0 / (fi + fo)), "el numerador es 2: σ² = 2/(fan_in + fan_out)"),
        ],
        lambda fi, fo: f"fan_in={fi}, fan_out={fo}",
    )
    return _verdict(
        "xavier_std",
        student_fn,
        cases,
        "Xavier/Glorot: σ² = 2/(fan_in + fan_out); devuelva σ = sqrt(2/(fan_in + fan_out)).",
    )


def he_std(student_fn: Callable[[int, int], float]) -> bool:
    r"""Check ``he_std(fan_in, fan_out) -> float``: He et al.'s :math:`\sigma_\Omega = \sqrt{2/D_h}`
    (mode fan_in; ``fan_out`` is accepted and ignored)."""
    cases = _std_cases(
        student_fn,
        _FANS,
        lambda fi, fo: initializers.std("he_normal", fi, fo),
        lambda fi, fo: [
            (math.sqrt(2.0 / (fi + fo)), "esa es la de Xavier; He usa solo fan_in: 2/fan_in"),
            (math.sqrt(1.0 / fi), "falta el factor 2 que compensa la mitad anulada por ReLU"),
            (math.sqrt(2.0 / fo), "use fan_in (las entradas de cada unidad), no fan_out"),
        ],
        lambda fi, fo: f"fan_in={fi}, fan_out={fo}",
    )
    return _verdict(
        "he_std", student_fn, cases, "He/Kaiming para ReLU: σ² = 2/fan_in; devuelva σ = sqrt(2/fan_in)."
    )


def leaky_relu_he_std(student_fn: Callable[[int, float], float]) -> bool:
    r"""Check ``leaky_relu_he_std(fan_in, alpha) -> float``: He init. for leaky ReLU of slope α,
    :math:`\sigma_\Omega = \sqrt{2/((1+\alpha^2) D_h)}`."""
    args = [(100, 0.01), (256, 0.2), (10, 0.0), (1000, 0.5), (3, 1.0)]
    cases = _std_cases(
        student_fn,
        args,
        lambda fi, a: initializers.std("lecun_normal", fi, 1, gain=initializers.gain("leaky_relu", a)),
        lambda fi, a: [
            (math.sqrt(2.0 / ((1.0 + a) * fi)), "el denominador lleva α²: (1 + α²)·fan_in"),
            (math.sqrt(2.0 / fi), "falta el factor 1/(1 + α²) de la pendiente negativa α"),
        ],
        lambda fi, a: f"fan_in={fi}, alpha={a}",
    )
    return _verdict(
        "leaky_relu_he_std",
        student_fn,
        cases,
        "con pendiente α, E[a(z)²] = (1 + α²)/2 · Var(z): σ² = 2/((1 + α²)·fan_in).",
    )


# ------------------------------------------------------------------------------ Adam
def _adam_reference(
    w: Any, g: Any, m: Any, v: Any, t: int, lr: float, beta1: float, beta2: float, eps: float
) -> tuple[Any, Any, Any]:
    from coursenn import optim
    from coursenn.nn.module import Parameter

    p = Parameter(_copy(w), "w")
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    state = opt.state_dict()
    state.update(
        {"t": t - 1, "state.0.grad_avg": backend.to_numpy(m), "state.0.sq_grad_avg": backend.to_numpy(v)}
    )
    opt.load_state_dict(state)
    p.zero_grad()
    p.accumulate(g)
    opt.step()
    return p.data, opt.state[0]["grad_avg"], opt.state[0]["sq_grad_avg"]


def adam_step(student_fn: Callable[..., tuple[Any, Any, Any]]) -> bool:
    r"""Check ``adam_step(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)``: one Adam step.

    ``t`` is the step number (1 for the first step); ``m``, ``v`` the moments after step
    ``t - 1`` (zeros before the first). Return the new parameters and moments:

    .. math:: m_t = \beta_1 m + (1-\beta_1) g,\quad v_t = \beta_2 v + (1-\beta_2) g^2,\quad
              w_t = w - \alpha\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    The cases feed the reference moments at every step, so each step is checked alone.
    """
    settings = [((3, 4), 1e-3, 0.9, 0.999, 1e-8, 1.0), ((5,), 0.1, 0.8, 0.99, 1e-3, 1e-2)]
    cases = []
    for k, (shape, lr, b1, b2, eps, scale) in enumerate(settings):
        gen = _gen(600 + k)
        w = _arr(gen.standard_normal(shape))
        m, v = backend.zeros(shape), backend.zeros(shape)
        for t in range(1, 4):
            g = _arr(scale * gen.standard_normal(shape))

            def run(
                w: Any = w,
                g: Any = g,
                m: Any = m,
                v: Any = v,
                t: int = t,
                lr: float = lr,
                b1: float = b1,
                b2: float = b2,
                eps: float = eps,
            ) -> None:
                xp = backend.xp()
                w_ref, m_ref, v_ref = _adam_reference(w, g, m, v, t, lr, b1, b2, eps)
                got = _tuple(
                    _call(student_fn, _copy(w), _copy(g), _copy(m), _copy(v), t, lr, b1, b2, eps),
                    ("w", "m", "v"),
                )
                _compare("m", got[1], m_ref, [(g, "m es un promedio exponencial: β1·m + (1 − β1)·g")])
                _compare("v", got[2], v_ref, [(b2 * v + (1 - b2) * xp.abs(g), "v promedia g², no |g|")])
                m_hat, v_hat = m_ref / (1 - b1**t), v_ref / (1 - b2**t)
                _compare(
                    "w",
                    got[0],
                    w_ref,
                    [
                        (
                            w - lr * m_ref / (xp.sqrt(v_ref) + eps),
                            "falta la corrección de sesgo m/(1−β1^t), v/(1−β2^t)",
                        ),
                        (w - lr * m_hat / xp.sqrt(v_hat + eps), "ε va fuera de la raíz: sqrt(v̂) + ε"),
                        (
                            w + lr * m_hat / (xp.sqrt(v_hat) + eps),
                            "el paso va en contra del gradiente: w − α·…",
                        ),
                    ],
                )

            cases.append((f"paso t={t}, w de forma {shape}, lr={lr}, betas=({b1}, {b2}), eps={eps}", run))
            w, m, v = _adam_reference(w, g, m, v, t, lr, b1, b2, eps)
    return _verdict(
        "adam_step",
        student_fn,
        cases,
        "m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t); "
        "w = w − lr·m̂/(sqrt(v̂) + eps).",
    )


# ------------------------------------------------------------------------------ batch norm
def batchnorm_forward(student_fn: Callable[..., Any]) -> bool:
    r"""Check ``batchnorm_forward(x, gamma, beta, eps) -> out`` (or ``(out, cache)``), training mode.

    ``x``: (N, D); ``gamma``, ``beta``: (D,). Normalize each feature with the batch mean and
    the *biased* batch variance (divide by N): :math:`\hat x = (x - \mu_B)/\sqrt{\sigma^2_B + \epsilon}`,
    then ``out = gamma * x̂ + beta``.
    """
    shapes = [(8, 3, 1e-5), (16, 5, 1e-5), (4, 1, 1e-5), (32, 10, 1e-5), (6, 4, 0.5)]
    cases = []
    for k, (n, d, eps) in enumerate(shapes):

        def run(n: int = n, d: int = d, eps: float = eps, k: int = k) -> None:
            xp = backend.xp()
            gen = _gen(700 + k)
            x = _arr(3.0 * gen.standard_normal((n, d)) + gen.normal(0.0, 2.0, d))
            gamma, beta = _arr(gen.uniform(0.5, 2.0, d)), _arr(gen.standard_normal(d))
            expected, _ = F.batchnorm_forward(x, gamma, beta, eps)
            got = _first(_call(student_fn, _copy(x), _copy(gamma), _copy(beta), eps))
            mu = xp.mean(x, axis=0)
            unbiased = (x - mu) / xp.sqrt(xp.var(x, axis=0, correction=1) + eps) * gamma + beta
            eps_out = (x - mu) / (xp.sqrt(xp.var(x, axis=0)) + eps) * gamma + beta
            _compare(
                "out",
                got,
                expected,
                [
                    (unbiased, "use la varianza sesgada del minilote (divida por N, no por N − 1)"),
                    (eps_out, "ε va dentro de la raíz: sqrt(σ² + ε)"),
                    (
                        (x - mu) / xp.sqrt(xp.var(x, axis=0) + eps),
                        "falta escalar y desplazar: gamma * x̂ + beta",
                    ),
                ],
            )

        cases.append((f"x de forma {(n, d)}, eps={eps}", run))
    return _verdict(
        "batchnorm_forward",
        student_fn,
        cases,
        "por columna (axis=0): mu = media, var = varianza sesgada; x̂ = (x − mu)/sqrt(var + eps); "
        "out = gamma·x̂ + beta.",
    )


# ------------------------------------------------------------------------------ dropout
def dropout_forward(student_fn: Callable[[Any, float, Any], Any]) -> bool:
    r"""Check ``dropout_forward(x, p, rng) -> out`` (or ``(out, cache)``), inverted dropout in training.

    ``p`` is the probability of **dropping** a unit; ``rng`` is a :class:`coursenn.backend.Rng`
    (``rng.random(shape)``, ``rng.bernoulli(q, shape)``, ...): use it for the mask. Each
    entry is set to 0 with probability ``p`` and the kept ones are divided by :math:`1-p`,
    so :math:`\mathbb E[\text{out}] = x`. Checked: shape, fraction of zeros ≈ p, kept entries
    = x/(1−p), mean ≈ mean of x, different masks for different ``rng``.
    """
    shape = (200, 250)
    size = shape[0] * shape[1]
    cases = []
    for k, p in enumerate([0.0, 0.2, 0.5, 0.8]):

        def run(p: float = p, k: int = k) -> None:
            gen = _gen(800 + k)
            x = _arr(1.0 + 0.1 * gen.standard_normal(shape))
            xh = backend.to_numpy(x).astype(np.float64)
            out = _host(_first(_call(student_fn, _copy(x), p, backend.Rng(900 + k))), "out")
            if out.shape != shape:
                raise _Mismatch(f"esperado out de forma {shape}, obtenido forma {out.shape}")
            zeros = float(np.mean(out == 0.0))
            tol = 5.0 * math.sqrt(max(p * (1 - p), 1e-12) / size) + 1e-9
            if abs(zeros - p) > tol:
                hint = (
                    "p es la probabilidad de APAGAR: conserve cada unidad con probabilidad 1 − p"
                    if abs(zeros - (1 - p)) <= tol
                    else None
                )
                raise _Mismatch(f"esperada una fracción de ceros ≈ {p:.3g}, obtenida {zeros:.4g}", hint)
            kept = out != 0.0
            ratio = out[kept] / xh[kept]
            if not np.allclose(ratio, 1.0 / (1.0 - p), rtol=1e-4):
                hint = (
                    "dropout invertido: divida las unidades conservadas por 1 − p"
                    if np.allclose(ratio, 1.0)
                    else None
                )
                raise _Mismatch(
                    f"esperadas las unidades conservadas = x/(1 − p) = x·{_fmt(1 / (1 - p))}, "
                    f"obtenido x·{_fmt(np.median(ratio))}",
                    hint,
                )
            mean_tol = 5.0 * math.sqrt(p / (1 - p) / size) + 1e-6
            if abs(out.mean() - xh.mean()) > mean_tol:
                raise _Mismatch(f"esperada media ≈ {_fmt(xh.mean())}, obtenida {_fmt(out.mean())}")
            if p > 0:
                again = _host(_first(_call(student_fn, _copy(x), p, backend.Rng(950 + k))), "out")
                if np.array_equal(again == 0.0, out == 0.0):
                    raise _Mismatch(
                        "dos generadores distintos dieron la misma máscara",
                        "sortee la máscara con el rng recibido, p. ej. rng.random(x.shape) >= p",
                    )

        cases.append((f"p = {p}, x de forma {shape}", run))
    return _verdict(
        "dropout_forward",
        student_fn,
        cases,
        "mask = rng.random(x.shape) >= p (conserva con probabilidad 1 − p); out = x·mask/(1 − p).",
    )


# ------------------------------------------------------------------------------ minibatches
def minibatches(student_fn: Callable[..., Iterable[tuple[Any, Any]]]) -> bool:
    r"""Check ``minibatches(X, y, batch_size, rng)`` -> an iterable (generator or list) of ``(Xb, yb)``.

    One epoch: every sample exactly once, in the order of a random permutation drawn from
    ``rng`` (a :class:`coursenn.backend.Rng`: ``rng.permutation(n)``), in batches of
    ``batch_size`` except the last, which keeps the ``n mod batch_size`` remaining samples.
    """
    settings = [(10, 3), (12, 4), (7, 7), (5, 10), (100, 32)]
    cases = []
    for k, (n, b) in enumerate(settings):

        def run(n: int = n, b: int = b, k: int = k) -> None:
            ids = np.arange(n)
            X = _arr(np.stack([ids, -ids], axis=1))
            y = backend.asarray(ids, dtype="int64")
            order = _collect(student_fn, X, y, b, 1000 + k, n)
            if n >= 7 and np.array_equal(order, ids):
                raise _Mismatch(
                    "las muestras salen en el orden original",
                    "mezcle: idx = rng.permutation(n) y tome xp.take(X, idx[i:min(i + B, n)], axis=0)",
                )
            again = _collect(student_fn, X, y, b, 1000 + k, n)
            if not np.array_equal(order, again):
                raise _Mismatch(
                    "el mismo rng (misma semilla) dio órdenes distintos",
                    "use solo el rng recibido para sortear el orden",
                )

        cases.append((f"n={n}, batch_size={b}", run))
    return _verdict(
        "minibatches",
        student_fn,
        cases,
        "idx = rng.permutation(n); para i en range(0, n, B): idx_b = idx[i:min(i + B, n)]; "
        "devuelva (xp.take(X, idx_b, axis=0), xp.take(y, idx_b, axis=0)).",
    )


def _collect(student_fn: Callable[..., Any], X: Any, y: Any, b: int, seed: int, n: int) -> np.ndarray:
    batches = _call(lambda: list(student_fn(X, y, b, backend.Rng(seed))))
    sizes = []
    seen = []
    for j, pair in enumerate(batches):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise _Mismatch(f"el minilote {j} no es un par (Xb, yb)", "use `yield Xb, yb`")
        xb, yb = _host(pair[0], "Xb"), _host(pair[1], "yb")
        if xb.ndim != 2 or xb.shape[1] != 2 or yb.shape != (xb.shape[0],):
            raise _Mismatch(
                f"el minilote {j} tiene Xb de forma {xb.shape} e yb de forma {yb.shape}",
                "tome filas completas: Xb de forma (B, D) e yb de forma (B,)",
            )
        if not np.array_equal(xb[:, 0], yb):
            raise _Mismatch(
                f"en el minilote {j} las filas de Xb no corresponden a las etiquetas yb",
                "use los mismos índices para X y para y",
            )
        sizes.append(len(yb))
        seen.extend(yb.astype(int).tolist())
    expected_sizes = [b] * (n // b) + ([n % b] if n % b else [])
    if sizes != expected_sizes:
        raise _Mismatch(
            f"esperados minilotes de tamaños {expected_sizes}, obtenidos {sizes}",
            "todos de tamaño B salvo el último, que conserva las n mod B muestras restantes",
        )
    if sorted(seen) != list(range(n)):
        raise _Mismatch(
            "alguna muestra falta o se repite en la época",
            "recorra una permutación de range(n): cada muestra exactamente una vez",
        )
    return np.asarray(seen)


__all__ = [
    "adam_step",
    "batchnorm_forward",
    "dropout_forward",
    "he_std",
    "leaky_relu_he_std",
    "linear_backward",
    "linear_forward",
    "minibatches",
    "relu_backward",
    "sigmoid_backward",
    "softmax_cross_entropy",
    "xavier_std",
]
