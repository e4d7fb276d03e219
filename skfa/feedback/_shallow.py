"""The shallow control: only the output layer learns."""

from array_api_compat import device

from ._base import FeedbackRule


class Shallow(FeedbackRule, name="shallow"):
    """No feedback at all: the hidden deltas are zero (a control).

    ``delta_i = 0`` for every hidden layer, so only the output layer learns,
    from ``e``, on the fixed random features of the hidden layers, which
    keep their initial values under every solver: weight decay does not
    reach them (under Adam a gradient of decay alone would be normalised
    into steps of ``learning_rate * sign(W)``). Whatever a rule reaches
    beyond this floor, its hidden layers learnt: the control that the
    feedback-alignment papers compare against (Lillicrap et al. 2016 train
    "only the last layer"; Nøkland 2016 reports a network with fixed random
    hidden layers). No feedback matrices.

    Read more in the :ref:`User Guide <rule-shallow>`.

    References
    ----------
    Lillicrap, Cownden, Tweed and Akerman (2016), "Random synaptic feedback
    weights support error backpropagation for deep learning", Nature
    Communications 7.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> params = dict(hidden_layer_sizes=(64,), random_state=0)
    >>> one, ten = (
    ...     FeedbackAlignmentClassifier(feedback="shallow", max_iter=n, **params)
    ...     .fit(X / 16, y)
    ...     for n in (1, 10)
    ... )
    >>> np.array_equal(one.coefs_[0], ten.coefs_[0])  # the hidden layer stays
    True
    >>> np.array_equal(one.coefs_[1], ten.coefs_[1])  # the output layer learns
    False
    """

    trains_hidden = False
    #: the output layer's update is the exact gradient of the loss in the
    #: output layer's parameters, the only ones it trains: so
    #: ``solver='lbfgs'`` minimises the loss over them, the hidden layers
    #: left out of the search (a logistic or linear regression on the fixed
    #: random features)
    exact_gradient = True

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        xp = forward.xp
        return [
            xp.zeros(forward.delta_shape(i), dtype=error.dtype, device=device(error))
            for i in range(1, forward.n_layers)
        ]
