"""``summary(model)``: a text table of the layers, their output features and parameter counts."""

from __future__ import annotations

from coursenn.nn.module import Module, Sequential


def _output_features(layer: Module, previous: int | None) -> int | None:
    """Features a layer outputs: its ``out_features``/``num_features``, else (elementwise) its input's."""
    for attr in ("out_features", "num_features"):
        value = getattr(layer, attr, None)
        if isinstance(value, int):
            return value
    return previous if not isinstance(layer, Sequential) else None


def summary(model: Module) -> str:
    """A table with one row per layer (index, type, output features, parameters) and the total.

    A :class:`~coursenn.nn.Sequential` lists its layers; any other module is one row.
    """
    layers = list(model) if isinstance(model, Sequential) else [model]
    rows = [("#", "Layer", "Output features", "Parameters")]
    features: int | None = None
    for i, layer in enumerate(layers):
        features = _output_features(layer, features)
        rows.append(
            (
                str(i),
                repr(layer).split("\n")[0].rstrip("("),
                "-" if features is None else str(features),
                f"{layer.num_parameters():,}",
            )
        )
    total = model.num_parameters()
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    align = ("<", "<", ">", ">")
    lines = ["  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths, strict=True)) for row in rows]
    rule = "-" * len(lines[0])
    return "\n".join([lines[0], rule, *lines[1:], rule, f"Total parameters: {total:,}"])
