"""Layers with explicit forward/backward, losses and containers."""

from coursenn.nn.activations import ELU, Identity, LeakyReLU, Maxout, ReLU, Sigmoid, Tanh
from coursenn.nn.dropout import Dropout
from coursenn.nn.linear import Linear
from coursenn.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from coursenn.nn.module import Module, Parameter, Sequential
from coursenn.nn.normalization import BatchNorm1d
from coursenn.nn.summary import summary

__all__ = [
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "Identity",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "Maxout",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "summary",
]
