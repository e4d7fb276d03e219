"""The forward pass, and what a feedback rule may read from it."""

from .._activations import ACTIVATIONS
from .._threads import splitting
from .dense import as_rows
from .dropout import Dropout
from .losses import OUTPUT_ERRORS
from .network import Step


class ForwardPass:
    """Activations of every block for one batch, numbered as in the user guide.

    ``h[0]`` is the input batch ``X`` (after any input stage); ``h[i]`` is
    block ``i``'s output, for the hidden blocks ``f(a_i)`` after its pool,
    dropout and flatten, as the next layer received it; ``h[L]`` is the
    network output (after the output activation). ``a_i =
    layers[i].forward(h[i-1], W_i, b_i)`` is ``h[i-1] @ W_i + b_i`` for dense
    layers, and ``delta_i``, what the rules return, has ``a_i``'s shape.

    Parameters
    ----------
    network : Network
    h : list of arrays
        ``h_0 .. h_L``.
    contexts : list
        Each block's stage contexts, from :meth:`Network.forward`.
    xp : namespace
        The array namespace of the activations.
    coefs, intercepts : lists of arrays, optional
        The pass's ``W_1 .. W_L`` and ``b_1 .. b_L``, for :meth:`run`.

    Attributes
    ----------
    layers : dict of {int: Block}
        The blocks ``1 .. L``.
    output_error : OutputError or None
        Set by the training loop: turns outputs or logits into output errors
        like ``e``, for rules that compute errors of their own.
    """

    output_error = None

    def __init__(self, network, h, contexts, xp, coefs=None, intercepts=None):
        self.network = network
        self.layers = network.layers
        self.h = h
        self.contexts = contexts
        self.xp = xp
        self.coefs = coefs
        self.intercepts = intercepts

    @property
    def n_layers(self):
        """L, the number of weight layers (the output layer is layer L)."""
        return len(self.h) - 1

    def fprime(self, i, delta, where="output"):
        """A delta at block ``i``'s output carried to ``a_i``: across the
        block's stages backwards (dropout's factors, a pool's transpose,
        ``f'(a_i)``, a BatchNorm's backward), in place where it can.

        ``where="before_pool"`` takes a delta at the map before the block's
        pool (Frenkel's placement), which crosses only the stages before it.
        """
        return self.layers[i].backward(delta, self.contexts[i - 1], True, where)

    def drop(self, i, delta, where="output"):
        """:meth:`fprime` with ``f'`` replaced by 1 (the rules' ``derivative=
        False``): dropped units still get no delta, a pool still routes it."""
        return self.layers[i].backward(delta, self.contexts[i - 1], False, where)

    def up(self, i, delta):
        """``delta_i`` carried up to block ``i``'s output by the stages'
        linearisations (a max pool's values at the winners), for the next
        layer's ``linear``: indirect FA's path up."""
        return self.layers[i].up(delta, self.contexts[i - 1])

    def tangent(self, i, x):
        """A tangent at ``a_i`` (for a dense block, ``t_{i-1} @ W_i``) carried
        to block ``i``'s output by the linearisation of its stages, ``f'(a_i)``
        included (a max pool's values at the winners, dropout's factors, a
        BatchNorm's Jacobian): forward-mode differentiation of the block, as
        :class:`~skfa.feedback.FDFA` runs it. ``x`` is overwritten."""
        return self.layers[i].tangent(x, self.contexts[i - 1])

    def rows(self, i):
        """``h_i`` as rows of ``n_i`` values (itself for dense layers)."""
        return as_rows(self.h[i])

    def shaped(self, i, rows, where="output"):
        """``rows`` (one per sample) in the shape of block ``i`` at ``where``."""
        shape = self.layers[i].shape_at(where)
        return (
            self.xp.reshape(rows, (rows.shape[0], *shape)) if len(shape) > 1 else rows
        )

    def run(self, x, first, last=None, activation=True):
        """Blocks ``first .. last`` (by default up to the output) applied to
        ``x``, block ``first``'s input, with this pass's weights and
        intercepts, as a probe runs them (no dropout; BatchNorm's running
        statistics): for rules that send activations of their own through
        the network (target propagation's noisy copies). With
        ``activation=False`` the last block stops at its weighted map,
        ``a_last`` (the logits, for the output block)."""
        last = self.n_layers if last is None else last
        for i in range(first, last + 1):
            block, W, b = self.layers[i], self.coefs[i - 1], self.intercepts[i - 1]
            if i == last and not activation:
                return block.weighted.forward(x, W, b)
            x = block.forward(x, W, b, None)[0]
        return x

    def delta_shape(self, i):
        """The shape of ``delta_i`` (``a_i``'s) on this batch."""
        return (self.h[i].shape[0], *self.layers[i].weighted.out_shape)

    @property
    def masks(self):
        """``{i: factors}``: the dropout factors (0 or ``1 / (1 - p)``) of
        the blocks that dropped units in this pass."""
        return {
            i: context
            for (i, block), contexts in zip(self.layers.items(), self.contexts)
            for stage, context in zip(block.stages, contexts)
            if isinstance(stage, Dropout) and context is not None
        }

    def stage_gradients(self):
        """The gradients of the stages' parameters (BatchNorm's ``gamma``,
        ``beta``), in :meth:`Network.stage_parameters`' order, from the
        deltas that crossed them in this pass (zeros where none did)."""
        grads = []
        for block, contexts in zip(self.layers.values(), self.contexts):
            for k in block.stateful:
                grads += block.stages[k].gradients(contexts[k])
        return grads


class OutputError:
    """The output error of a batch, ``e = dLoss/da_L``, as the loss table defines it.

    ``error(out)`` is ``OUTPUT_ERRORS[(out_activation, loss)](targets, out)``
    with each row multiplied by its sample weight and the whole divided by
    the batch's (weighted) size ``n``: the rules' ``e``.

    Parameters
    ----------
    out_activation, loss : str
        Keys of the activation and output-error tables.
    targets : array of shape (m, n_L)
    sample_weight : array of shape (m,) or None
    n : float or 0-d array
        The batch's size, or its total sample weight.
    xp : namespace
    """

    def __init__(self, out_activation, loss, targets, sample_weight, n, xp):
        self.out_activation = out_activation
        self.loss = loss
        self.targets = targets
        self.sample_weight = sample_weight
        self.n = n
        self.xp = xp

    def __call__(self, out):
        """The error of an output ``out`` (after the output activation); a new array."""
        error = OUTPUT_ERRORS[(self.out_activation, self.loss)](
            self.targets, out, self.xp
        )
        return self.weigh(error)

    def from_logits(self, logits):
        """The error of pre-activations ``logits`` (overwritten by the activation)."""
        return self(ACTIVATIONS[self.out_activation](logits, self.xp))

    def weigh(self, rows):
        """``rows`` times the sample weights, divided by ``n``, in place."""
        if self.sample_weight is not None:
            rows *= self.sample_weight[:, None]
        rows /= self.n
        return rows


def forward_pass(network, X, coefs, intercepts, xp, step=None):
    """Run the network on ``X`` and keep every block's activations.

    Parameters
    ----------
    network : Network
    X : array or sparse matrix of shape (n_samples, n_features)
        The input batch.
    coefs, intercepts : lists of arrays
        ``W_1 .. W_L`` and ``b_1 .. b_L``.
    xp : namespace
        The array namespace of the weights.
    step : Step or None, default=None
        The training step (its dropout masks, whether BatchNorm's running
        statistics follow the batch); None: a probe, which drops nothing and
        moves no statistics.

    Returns
    -------
    forward : ForwardPass
    """
    h, contexts = network.forward(X, coefs, intercepts, step or Step())
    return ForwardPass(network, h, contexts, xp, coefs, intercepts)


#: Rows per forward pass when predicting with convolutions or pooling, whose
#: im2col columns hold ``kh * kw`` values per input value.
PREDICT_CHUNK = 512


def predict_output(network, X, coefs, intercepts, xp, first=1, last=None):
    """The output of blocks ``first .. last`` (all by default) for ``X``,
    the input of block ``first``, keeping one layer in memory at a time
    (and, in a network beyond dense layers, ``PREDICT_CHUNK`` rows at a
    time)."""
    last = network.n_layers if last is None else last
    blocks = [network.layers[i] for i in range(first, last + 1)]
    weights = list(zip(coefs[first - 1 : last], intercepts[first - 1 : last]))

    def output(rows):
        h = network.enter(rows, None) if first == 1 else rows
        for block, (W, b) in zip(blocks, weights):
            h = block.forward(h, W, b, None)[0]
        return h

    n = X.shape[0]
    with splitting(network, xp):  # a convolution's batch over the cores
        if n <= PREDICT_CHUNK or not network.kinds():
            out = output(X)
        else:
            chunks = range(0, n, PREDICT_CHUNK)
            out = xp.concat(
                [output(X[start : start + PREDICT_CHUNK]) for start in chunks]
            )
    network.release()  # a fitted model keeps nothing of the data it predicted
    return out
