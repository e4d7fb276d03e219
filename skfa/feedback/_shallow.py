"""The shallow control: only the output layer learns."""

from ._base import FeedbackRule


class Shallow(FeedbackRule, name="shallow"):
    """No feedback at all: the hidden deltas are zero (a control).

    ``delta_i = 0`` for every hidden layer, so only the output layer learns,
    from ``e``, on the fixed random features of the hidden layers (with
    ``alpha > 0`` the hidden weights still shrink under weight decay; with
    ``alpha=0`` they keep their initial values). Whatever a rule reaches
    beyond this floor, its hidden layers learnt: the control that the
    feedback-alignment papers compare against (Lillicrap et al. 2016 train
    "only the last layer"; Nøkland 2016 reports a network with fixed random
    hidden layers). No feedback matrices.

    References
    ----------
    Lillicrap, Cownden, Tweed and Akerman (2016), "Random synaptic feedback
    weights support error backpropagation for deep learning", Nature
    Communications 7.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> floor = FeedbackAlignmentClassifier(
    ...     (64,), feedback="shallow", alpha=0, max_iter=20, random_state=0
    ... ).fit(X / 16, y)
    >>> round(floor.score(X / 16, y), 2) < 1.0
    True
    """

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        xp = forward.xp
        return [xp.zeros_like(forward.h[i]) for i in range(1, forward.n_layers)]
