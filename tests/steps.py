"""A fitted estimator's network and choices as the training step takes them."""

from types import SimpleNamespace

import numpy as np

from skfa.train.step import Model, forward_and_error, gradients, loss_and_gradients


def net_of(estimator):
    """The estimator's network and parameters, as a step reads them."""
    return SimpleNamespace(
        network=estimator._network,
        coefs=estimator.coefs_,
        intercepts=estimator.intercepts_,
    )


def model_of(estimator):
    """The estimator's output activation, loss and weight decays."""
    return Model(
        *estimator._output_spec(),
        estimator.alpha,
        estimator.weight_decay,
        estimator.decay_intercepts,
    )


def loss_and_grads(estimator, X, y, sample_weight, rule, feedback):
    """The batch loss and the gradients, weight decay added."""
    net, model = net_of(estimator), model_of(estimator)
    return loss_and_gradients(net, model, rule, feedback, (X, y, sample_weight), np)


def raw_gradients(estimator, X, y, sample_weight, rule, feedback, step=None):
    """The batch loss and the raw gradients, and the decay."""
    net, model = net_of(estimator), model_of(estimator)
    batch = (X, y, sample_weight)
    return gradients(net, model, rule, feedback, batch, np, step=step)


def forward_of(estimator, X, y, sample_weight, step=None):
    """The forward pass of a batch, its output error and size."""
    net, model = net_of(estimator), model_of(estimator)
    return forward_and_error(net, model, X, y, sample_weight, np, step)
