"""Layers with explicit forward/backward, losses and containers."""

from coursenn.nn.module import Module, Parameter, Sequential

__all__ = ["Module", "Parameter", "Sequential"]
