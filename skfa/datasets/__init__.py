"""Data loaders: MNIST from its IDX files, or from OpenML when no path is given."""

from ._mnist import load_mnist

__all__ = ["load_mnist"]
