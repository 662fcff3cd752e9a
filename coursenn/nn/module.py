"""`Parameter`, `Module` and `Sequential`: the containers every layer builds on.

Contract (as PyTorch, but without autograd):

* ``Module.forward(x)`` computes the output and keeps in ``self._cache`` what the
  backward pass needs;
* ``Module.backward(grad_out)`` returns ``∂L/∂x`` and **adds** ``∂L/∂θ`` to each
  parameter's ``.grad`` (call :meth:`Module.zero_grad` or ``optimizer.zero_grad()``
  before each backward pass);
* ``parameters()`` lists the trainable parameters in a fixed order (own ones in
  declaration order, then those of the children).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coursenn import backend


class Parameter:
    """A trainable array ``data`` with its gradient ``grad`` (same shape, same device).

    ``data`` is used as given, not copied (as ``torch.nn.Parameter``): optimizers update it
    in place, so pass a copy (``xp.asarray(a, copy=True)``) if the caller still needs ``a``.

    After :meth:`zero_grad` the gradient is *lazily* zero: the first :meth:`accumulate`
    takes the given array as the gradient instead of adding it to a buffer of zeros, which
    saves one pass over memory per parameter and step. Reading ``grad`` before any
    backward pass returns zeros.
    """

    def __init__(self, data: Any, name: str = "") -> None:
        self.data = data
        self.name = name
        self._grad: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data`` (and of ``grad``) as a tuple."""
        return tuple(self.data.shape)

    @property
    def grad(self) -> Any:
        """``∂L/∂data`` accumulated since the last :meth:`zero_grad`."""
        if self._grad is None:
            self._grad = backend.namespace_of(self.data).zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        self._check_shape(value)
        self._grad = value

    def zero_grad(self) -> None:
        """Reset the accumulated gradient to zero."""
        self._grad = None

    def accumulate(self, g: Any) -> None:
        """``grad += g`` (backward passes accumulate, as in PyTorch).

        The parameter takes ownership of ``g`` when its gradient is zero: pass a fresh array
        (as every backward formula produces) and do not modify it afterwards.
        """
        self._check_shape(g)
        if self._grad is None:
            self._grad = g
        elif backend.mutable(self._grad):
            self._grad += g
        else:
            self._grad = self._grad + g

    def _check_shape(self, g: Any) -> None:
        if g.shape != self.data.shape and tuple(g.shape) != self.shape:
            raise ValueError(
                f"gradient of shape {tuple(g.shape)} does not match parameter "
                f"{self.name or ''} of shape {self.shape}"
            )

    def __repr__(self) -> str:
        return f"Parameter({self.name or 'unnamed'}, shape={self.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of layers and models: ``forward``, ``backward``, ``parameters``, modes."""

    training: bool = True

    def __init__(self) -> None:
        self.training = True
        self._cache: Any = None

    # -- to override ---------------------------------------------------------------
    def forward(self, x: Any) -> Any:  # pragma: no cover - abstract
        """Output of the layer for input ``x``; saves in ``self._cache`` what ``backward`` needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_out: Any) -> Any:  # pragma: no cover - abstract
        """Given ``grad_out`` = ∂L/∂out, return ∂L/∂x and add ∂L/∂θ to every parameter's ``grad``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_out)")

    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr`` (e.g. ``"in_features=3, out_features=2"``)."""
        return ""

    def backward_params(self, grad_out: Any) -> None:
        """Accumulate the parameter gradients only; ``∂L/∂x`` is not needed.

        Training loops call this on the whole model, whose input is data: layers such as
        :class:`~coursenn.nn.Linear` then skip the product ``dout @ Ω`` of their input
        gradient. By default it is ``backward`` with the result discarded.
        """
        self.backward(grad_out)

    # -- common machinery ------------------------------------------------------------
    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def _require_cache(self) -> Any:
        """The cache saved by ``forward``; a clear error if ``backward`` comes first."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called before forward(): run a forward pass first"
            )
        return self._cache

    def children(self) -> Iterator[Module]:
        """Direct submodules: Module attributes and Modules inside list/tuple attributes."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def own_parameters(self) -> list[Parameter]:
        """Parameters held directly by this module (not by its children), in declaration order."""
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def has_parameters(self) -> bool:
        """Whether this module or a descendant holds a Parameter (stops at the first one found)."""
        return any(isinstance(v, Parameter) for v in vars(self).values()) or any(
            child.has_parameters() for child in self.children()
        )

    def parameters(self) -> list[Parameter]:
        """Trainable parameters: own ones first (declaration order), then children's."""
        params = list(self.own_parameters())
        for child in self.children():
            params.extend(child.parameters())
        return params

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """``(dotted_name, parameter)`` pairs, e.g. ``("0.weight", ...)`` in a Sequential."""
        out = [(prefix + k, v) for k, v in vars(self).items() if isinstance(v, Parameter)]
        for key, child in self.named_children():
            out.extend(child.named_parameters(prefix + key + "."))
        return out

    def named_children(self) -> list[tuple[str, Module]]:
        """``(name, submodule)`` pairs; submodules in a list/tuple are named by their index."""
        out = []
        for key, value in vars(self).items():
            if isinstance(value, Module):
                out.append((key, value))
            elif isinstance(value, (list, tuple)):
                out.extend((f"{i}", v) for i, v in enumerate(value) if isinstance(v, Module))
        return out

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, BN uses batch statistics); returns self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, BN uses running statistics); returns self."""
        return self.train(False)

    def num_parameters(self) -> int:
        r"""Total number of trainable scalars, :math:`\sum_\theta \text{size}(\theta)`."""
        return sum(int(_size(p.data)) for p in self.parameters())

    def __repr__(self) -> str:
        kids = self.named_children()
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not kids:
            return head + ")"
        lines = [head]
        for key, child in kids:
            lines.append("  (" + key + "): " + repr(child).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


def _size(a: Any) -> int:
    n = 1
    for d in a.shape:
        n *= int(d)
    return n


class Sequential(Module):
    """Layers applied in order; ``backward`` runs them in reverse."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential layer {i} must be a coursenn.nn.Module; got {type(layer).__name__}"
                )
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: Any) -> Any:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def backward_params(self, grad_out: Any) -> None:
        """Backward pass that stops at the first layer with parameters, whose input gradient
        (and those of the parameter-free layers before it) nobody needs."""
        first = next((i for i, layer in enumerate(self.layers) if layer.has_parameters()), None)
        if first is None:
            return
        for layer in reversed(self.layers[first + 1 :]):
            grad_out = layer.backward(grad_out)
        self.layers[first].backward_params(grad_out)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
