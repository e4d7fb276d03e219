"""Data loaders: MNIST from its IDX files."""

from ._mnist import load_mnist

__all__ = ["load_mnist"]
