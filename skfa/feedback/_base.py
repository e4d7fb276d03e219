"""The protocol every feedback rule follows, and the registry of rules."""

from sklearn.base import BaseEstimator

FEEDBACK_RULES = {}


class FeedbackRule(BaseEstimator):
    """Base class of the feedback rules: how the output error reaches the hidden layers.

    A rule is a parameter object (``get_params``, ``set_params``, ``clone``)
    that holds no fitted state. The training loop calls it once per batch; it
    returns the hidden deltas ``delta_1 .. delta_{L-1}``, and the loop turns
    them, for every rule alike, into ``grad W_i = h_{i-1}.T @ delta_i`` (plus
    weight decay) and ``grad b_i = delta_i.sum(0)``.

    Layers are numbered as in METHODS.md: ``i = 1 .. L-1`` are hidden, ``L``
    is the output, ``W_i`` has shape ``(n_{i-1}, n_i)``.

    Subclasses pass ``name="..."`` in their class statement to be selectable
    as ``feedback="..."`` in the estimators, and implement
    :meth:`hidden_deltas`; those that use fixed random feedback matrices also
    implement :meth:`feedback_shapes`.
    """

    #: Whether the hidden deltas are the exact gradient of the loss, which is
    #: what ``solver="lbfgs"`` requires.
    exact_gradient = False

    def __init_subclass__(cls, name=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if name is not None:
            FEEDBACK_RULES[name] = cls

    def feedback_shapes(self, layer_units):
        """Shapes of the feedback matrices, keyed by the layer that owns each.

        The matrices are drawn in this order (layer by layer, bottom up) and
        stored in that order in the estimator's ``feedback_weights_``.

        Parameters
        ----------
        layer_units : list of int
            ``[n_0, n_1, ..., n_L]``: input, hidden and output widths.

        Returns
        -------
        shapes : dict of {int: tuple of int}
        """
        return {}

    def prepare_feedback(self, feedback, xp):
        """Arrange the drawn matrices for :meth:`hidden_deltas` (once per fit).

        Parameters
        ----------
        feedback : dict of {int: array}
            The matrices of :meth:`feedback_shapes`, keyed the same way.
        xp : namespace
            The array namespace of the training arrays.

        Returns
        -------
        feedback : object
            What :meth:`hidden_deltas` receives as ``feedback``; by default the
            dictionary itself.
        """
        return feedback

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        """Map the forward pass and the output error to the hidden deltas.

        Parameters
        ----------
        forward : ForwardPass
            ``forward.h[i]`` is ``h_i`` (``h_0 = X``); ``forward.fprime(i, d)``
            returns ``d * f'(a_i)``, computed in place in ``d``.
        error : array of shape (m, n_L)
            The output error ``e = dLoss/da_L``, already divided by the
            batch's (weighted) size. It must not be modified.
        targets : array of shape (m, n_L)
            The batch's targets (one-hot for classification).
        weights : dict of {int: array}
            The forward weights ``W_1 .. W_L``, keyed by layer.
        feedback : object
            What :meth:`prepare_feedback` returned.

        Returns
        -------
        deltas : list of arrays
            ``[delta_1, ..., delta_{L-1}]``, ``delta_i`` of shape (m, n_i).
        """
        raise NotImplementedError


def carry_down(forward, delta, carriers, top, bottom=1):
    """Carry a delta down a chain of matrices: the shared step of BP and FA.

    ``delta_i = (delta_{i+1} @ carriers[i+1]) * f'(a_i)`` for
    ``i = top-1, ..., bottom``, starting from ``delta_top = delta``.

    Returns
    -------
    deltas : dict of {int: array}
        ``delta_bottom .. delta_{top-1}``, keyed by layer.
    """
    deltas = {}
    for i in range(top - 1, bottom - 1, -1):
        delta = forward.fprime(i, delta @ carriers[i + 1])
        deltas[i] = delta
    return deltas


def resolve_feedback(feedback):
    """Return a fresh rule for a name in ``FEEDBACK_RULES`` or a rule instance."""
    if isinstance(feedback, str):
        try:
            return FEEDBACK_RULES[feedback]()
        except KeyError:
            raise ValueError(
                f"Unknown feedback {feedback!r}; valid names are "
                f"{sorted(FEEDBACK_RULES)} or a FeedbackRule instance."
            ) from None
    return feedback
