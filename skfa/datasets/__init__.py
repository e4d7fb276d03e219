"""Data loaders: MNIST and CIFAR-10 from their original files, or from OpenML."""

from ._cifar import load_cifar10
from ._mnist import load_mnist

__all__ = ["load_cifar10", "load_mnist"]
