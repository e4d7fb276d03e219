"""The general feedback-alignment update rule: each hidden delta mixes several terms."""

from .._compat import StrOptions
from ..nn.dense import as_rows
from ._base import FeedbackRule, _register
from ._direct import auxiliary_error, direct_shapes
from ._math import fprime, pack


class GeneralRule(FeedbackRule):
    """The general feedback-alignment update rule, strategies s1, s2 and s3.

    ``delta_i = F(terms) * f'(a_i)``, F the element-wise mean of the terms a
    layer uses, from three kinds:

    - direct: ``u_i = e @ B_i``, the output error through ``B_i`` of shape
      ``(n_L, n_i)`` (as in DFA);
    - from above: ``delta_{i+1} @ Bt_i``, through ``Bt_i`` of shape
      ``(n_{i+1}, n_i)`` (as in FA);
    - from below: ``delta_{i-1} @ Bb_i``, through ``Bb_i`` of shape
      ``(n_{i-1}, n_i)``.

    The strategies:

    - ``"s1"`` (top-down): the top hidden layer uses the direct term only;
      each lower layer ``mean(u_i, delta_{i+1} @ Bt_i)``;
    - ``"s2"`` (bottom-up): the first hidden layer uses the direct term only;
      each higher layer ``mean(u_i, delta_{i-1} @ Bb_i)``;
    - ``"s3"``: every layer ``mean(u_i, ~delta_{i+1} @ Bt_i,
      ~delta_{i-1} @ Bb_i)`` over the neighbours it has, where
      ``~delta_j = u_j * f'(a_j)`` is the neighbour's direct-only delta, so
      no layer waits for another's mixed delta.

    With one hidden layer every strategy is ``dfa``. The direct terms come
    from one GEMM against ``[B_1 | ... | B_{L-1}]``. The names ``"s1"``,
    ``"s2"`` and ``"s3"`` select ``GeneralRule(strategy=...)``.

    ``feedback_weights_`` holds ``B_1 .. B_{L-1}`` (drawn first, so they are
    the matrices ``dfa`` draws under the same ``random_state``), then the
    ``Bt_i`` and the ``Bb_i`` the strategy uses, bottom up.

    Read more in the :ref:`User Guide <rule-general>`.

    Parameters
    ----------
    strategy : {"s1", "s2", "s3"}, default="s1"
        Which terms each layer mixes, as above.
    aux : bool, default=False
        Use each layer's own auxiliary error ``e_i = softmax(h_i @ B_i.T) - Y``
        in its direct term in place of ``e`` (LAFS, the paper's experiment
        2, Table 3); see :class:`DFA` for the reading of the read-out.
    derivative : bool, default=True
        Multiply by ``f'(a_i)`` (also in the direct-only deltas of s3);
        False replaces it by 1 (as Espinosa Zarlenga and
        Niklasson propose).

    References
    ----------
    A workshop paper proposing a general feedback-alignment update rule (its
    text names no authors, year or venue): equation (4) and Table 1 define
    the strategies; Tables 2 and 3 report their MNIST test errors.
    """

    _parameter_constraints = {
        "strategy": [StrOptions({"s1", "s2", "s3"})],
        "aux": ["boolean"],
        "derivative": ["boolean"],
    }

    def __init__(self, strategy="s1", aux=False, derivative=True):
        self.strategy = strategy
        self.aux = aux
        self.derivative = derivative

    def feedback_shapes(self, network):
        L = network.n_layers
        shapes = {
            ("direct", i): s for i, s in direct_shapes(network, range(1, L)).items()
        }
        if self.strategy in ("s1", "s3"):
            # Bt_i carries down through layer i+1, in place of carrier(W_{i+1})
            shapes.update(
                {("above", i - 1): network.layers[i].carrier_shape for i in range(2, L)}
            )
        if self.strategy in ("s2", "s3"):
            # Bb_i carries up through layer i, in place of W_i
            shapes.update(
                {("below", i): network.layers[i].weight_shape for i in range(2, L)}
            )
        return shapes

    def prepare_feedback(self, feedback, xp):
        direct = {i: B for (kind, i), B in feedback.items() if kind == "direct"}
        packed = None if self.aux else pack(direct, sorted(direct), xp)
        return {"packed": packed, **feedback}

    def _direct_terms(self, forward, error, feedback):
        # u_i = e @ B_i (or e_i @ B_i with aux), before f'
        layers = range(1, forward.n_layers)
        if self.aux:
            return {
                i: forward.shaped(
                    i,
                    auxiliary_error(forward, i, feedback["direct", i])
                    @ feedback["direct", i],
                )
                for i in layers
            }
        # one GEMM, sliced per block output; the block is crossed (f', and a
        # pool or dropout where it has one) after the mean, in hidden_deltas
        projected = as_rows(error) @ feedback["packed"]
        terms, start = {}, 0
        for i in layers:
            stop = start + forward.layers[i].n_out
            terms[i] = forward.shaped(i, projected[:, start:stop])
            start = stop
        return terms

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        u = self._direct_terms(forward, error, feedback)
        top = forward.n_layers - 1
        deltas = {}

        def down(i, above):
            # delta_{i+1} @ Bt_i: through layer i+1's carry, Bt_i for its weights
            return forward.layers[i + 1].carry(above, feedback["above", i])

        def up(i, below):
            # delta_{i-1} @ Bb_i: through layer i's forward map, Bb_i for W_i,
            # then block i's weightless layers (linearised) to its output
            carried = forward.layers[i].linear(
                forward.up(i - 1, below), feedback["below", i]
            )
            return forward.up(i, carried)

        def mixed(i, *others):
            # F = element-wise mean of the direct term and the others, then f'
            term = u[i]
            for other in others:
                term = term + other
            if others:
                term *= 1.0 / (1 + len(others))
            return fprime(forward, i, term, self.derivative)

        if self.strategy == "s1":
            deltas[top] = mixed(top)
            for i in range(top - 1, 0, -1):
                deltas[i] = mixed(i, down(i, deltas[i + 1]))
        elif self.strategy == "s2":
            deltas[1] = mixed(1)
            for i in range(2, top + 1):
                deltas[i] = mixed(i, up(i, deltas[i - 1]))
        else:
            xp = forward.xp
            direct_only = {
                i: fprime(forward, i, xp.asarray(u[i], copy=True), self.derivative)
                for i in u
            }
            for i in u:
                others = []
                if i < top:
                    others.append(down(i, direct_only[i + 1]))
                if i > 1:
                    others.append(up(i, direct_only[i - 1]))
                deltas[i] = mixed(i, *others)
        return [deltas[i] for i in range(1, top + 1)]


# the presets behind feedback="s1", "s2", "s3": named, so that
# help(FEEDBACK_RULES["s1"]) says what they are


def s1():
    """``feedback="s1"``: ``GeneralRule("s1")``, the general rule top-down.

    The top hidden layer takes its direct term ``e @ B_i`` alone; each lower
    layer the mean of its direct term and the delta above,
    ``mean(e @ B_i, delta_{i+1} @ Bt_i) * f'(a_i)``.
    """
    return GeneralRule(strategy="s1")


def s2():
    """``feedback="s2"``: ``GeneralRule("s2")``, the general rule bottom-up.

    The first hidden layer takes its direct term ``e @ B_1`` alone; each
    higher layer the mean of its direct term and the delta below,
    ``mean(e @ B_i, delta_{i-1} @ Bb_i) * f'(a_i)``.
    """
    return GeneralRule(strategy="s2")


def s3():
    """``feedback="s3"``: ``GeneralRule("s3")``, the general rule both ways.

    Every hidden layer takes the mean of its direct term ``e @ B_i`` and the
    direct-only deltas of the neighbours it has, above and below, through
    ``Bt_i`` and ``Bb_i``; no layer waits for another's mixed delta.
    """
    return GeneralRule(strategy="s3")


for _preset in (s1, s2, s3):
    _register(_preset.__name__, _preset, replace=False, own=True)
