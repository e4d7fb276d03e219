"""The network as an object: blocks of a weighted layer and the weightless
layers after it.

A :class:`Network` is an input stage (pools on the input, if any) and blocks
``1 .. L``. Block ``i`` is weighted layer ``i`` (``W_i``, ``b_i``: a
:class:`~skfa.nn.dense.Dense` or a :class:`~skfa.nn.conv.Convolution`)
followed by its stages, the weightless layers::

    a_i = layer_i(h_{i-1}, W_i, b_i)
    h_i = stages_i(a_i)
    # stages: [BatchNorm ->] f [-> pool -> BatchNorm] [-> dropout] [-> flatten]

The rules number blocks as they number weights, and see two points of each:
its *output* ``h_i``, where an error sent straight to the layer lands (the
DFA family's projection, after the pool, as in the authors' code), and its
*delta* ``delta_i = dLoss/da_i``, from which the weights learn. A delta at
the output reaches ``a_i`` by crossing the stages backwards, each exactly
(:meth:`Block.backward`: dropout's factors, a pool's transpose, ``f'``, a
BatchNorm's local backward); the rules call it through
:meth:`~skfa.nn.forward.ForwardPass.fprime`.

A stage is any object of the :class:`Stage` protocol; adding a layer kind
is its module and its public spec in :mod:`skfa.layers`.
"""

import math
from typing import Protocol, runtime_checkable

from .._activations import ACTIVATIONS, DERIVATIVES
from .._backend import namespace
from .dense import WeightedLayer
from .dropout import Dropout


@runtime_checkable
class Stage(Protocol):
    """A weightless layer of a block.

    ``forward(x, step)`` returns the output and the context a delta needs
    to cross back (None in prediction, when ``step`` is None);
    ``backward(delta, context, derivative)`` carries a delta at the output
    to the input exactly (``derivative=False`` replaces an activation's
    ``f'`` by 1); ``up(x, context)`` is the forward map's linearisation
    (indirect FA carries deltas up through it); ``out_shape`` is one
    sample's output shape.
    """

    out_shape: tuple

    def forward(self, x, step): ...
    def backward(self, delta, context, derivative=True): ...
    def up(self, x, context): ...


@runtime_checkable
class StatefulStage(Stage, Protocol):
    """A stage with arrays of its own (BatchNorm): made by ``init(like)``
    in the data's namespace and dtype, trained (``parameters()``, whose
    gradients ``gradients(context)`` gives after a delta crossed) or kept
    (``buffers()``), moved by ``place(move)``."""

    def init(self, like): ...
    def parameters(self): ...
    def buffers(self): ...
    def gradients(self, context): ...
    def place(self, move): ...


class Step:
    """What a training step tells the stages in a forward pass.

    Parameters
    ----------
    masks : Masks or None
        Draws the dropout masks (None: drop nothing, as the probes do).
    update_statistics : bool
        Whether BatchNorm's running statistics follow this batch (the
        training step's forward pass only).
    """

    __slots__ = ("masks", "update_statistics")

    def __init__(self, masks=None, update_statistics=False):
        self.masks = masks
        self.update_statistics = update_statistics


class Activation:
    """The activation ``f`` of a block, as a stage.

    ``backward`` multiplies by ``f'(a)``, computed in place from the
    output ``f(a)`` (the context); on the way up (``up``) it is the
    identity, since a rule's delta already holds ``f'``.
    """

    def __init__(self, name, shape):
        self.name = name
        self.out_shape = tuple(shape)

    def __repr__(self):
        return f"Activation({self.name!r})"

    def forward(self, x, step):
        """``f(x)``, in place; the context is the output itself."""
        out = ACTIVATIONS[self.name](x, namespace(x))
        return out, (None if step is None else out)

    def backward(self, delta, active, derivative=True):
        """``delta * f'(a)`` in place (``delta`` itself without ``derivative``)."""
        if not derivative:
            return delta
        return DERIVATIVES[self.name](active, delta, namespace(delta))

    def up(self, x, active):
        """The identity: a delta carried up already holds ``f'``."""
        return x


class Flatten:
    """Maps ``(m, C, H, W)`` as rows ``(m, C*H*W)``, where a convolution's
    block meets a dense layer (a view both ways)."""

    def __init__(self, shape):
        self.in_shape = tuple(shape)
        self.out_shape = (math.prod(shape),)

    def __repr__(self):
        return f"Flatten({self.in_shape})"

    def forward(self, x, step):
        """``x`` as rows."""
        return namespace(x).reshape(x, (x.shape[0], -1)), None

    def backward(self, delta, context, derivative=True):
        """Rows of a delta as maps."""
        return namespace(delta).reshape(delta, (delta.shape[0], *self.in_shape))

    def up(self, x, context):
        """``x`` as rows."""
        return namespace(x).reshape(x, (x.shape[0], -1))


class Block:
    """Weighted layer ``i`` and the stages after it.

    It takes the weighted layer's place for the rules: shapes, carries, the
    linear map and gradients are the weighted layer's; :meth:`backward`
    crosses the stages.

    Parameters
    ----------
    weighted : WeightedLayer
    stages : sequence of Stage
    """

    def __init__(self, weighted, stages):
        for part, protocol in [
            (weighted, WeightedLayer),
            *((s, Stage) for s in stages),
        ]:
            if not isinstance(part, protocol):
                raise TypeError(f"{part!r} is not a {protocol.__name__}.")
        self.weighted = weighted
        self.stages = tuple(stages)
        #: the positions of the stages with arrays of their own
        #: (:class:`StatefulStage`), found once: a runtime protocol check
        #: costs tens of microseconds, too much for every step
        self.stateful = tuple(
            k for k, s in enumerate(self.stages) if isinstance(s, StatefulStage)
        )
        self.out_shape = self.stages[-1].out_shape if stages else weighted.out_shape
        self.n_out = math.prod(self.out_shape)
        self.n_delta = weighted.n_out
        self.n_in = weighted.n_in
        pools = [k for k, s in enumerate(self.stages) if hasattr(s, "windows")]
        # Frenkel's placement: the map just before the block's pool
        before_pool = pools[0] if pools else len(self.stages)
        # the activation's output (and the dropout right after it, which
        # keeps its shape): where a delta carried up arrives
        active = [k for k, s in enumerate(self.stages) if isinstance(s, Activation)]
        k = active[0] + 1 if active else 0
        while k < len(self.stages) and isinstance(self.stages[k], Dropout):
            k += 1
        self._points = {
            "output": len(self.stages),
            "before_pool": before_pool,
            "activation": k,
        }

    def __repr__(self):
        return f"Block({self.weighted!r}, {list(self.stages)!r})"

    def __getattr__(self, name):
        # shapes, fans and the layer operations are the weighted layer's
        if name in _DELEGATED:
            return getattr(self.weighted, name)
        raise AttributeError(name)

    def point(self, where):
        """The number of stages before ``where``: ``"output"`` (the block's
        output), ``"before_pool"`` (the map its first pool takes) or
        ``"activation"`` (the activation's output, with a dropout right
        after it but before a pool or flatten: where indirect FA's delta
        carried up arrives, dropped units getting none)."""
        try:
            return self._points[where]
        except KeyError:
            known = sorted(self._points)
            raise ValueError(f"Unknown point {where!r}; one of {known}.") from None

    def shape_at(self, where):
        """One sample's shape at ``where`` (see :meth:`point`)."""
        k = self.point(where)
        return self.stages[k - 1].out_shape if k else self.weighted.out_shape

    def forward(self, h, W, b, step):
        """``h_i`` from ``h_{i-1}``, and the stages' contexts."""
        x = self.weighted.forward(h, W, b)
        contexts = []
        for stage in self.stages:
            x, context = stage.forward(x, step)
            contexts.append(context)
        return x, contexts

    def backward(self, delta, contexts, derivative=True, where="output"):
        """A delta at ``where`` carried back to ``a_i`` across the stages."""
        for k in range(self.point(where) - 1, -1, -1):
            delta = self.stages[k].backward(delta, contexts[k], derivative)
        return delta

    def up(self, x, contexts):
        """A delta at ``a_i`` carried up to the output by the stages'
        linearisations (the activation's is the identity)."""
        for stage, context in zip(self.stages, contexts):
            x = stage.up(x, context)
        return x

    def tangent(self, x, contexts):
        """A tangent at ``a_i`` carried to the block's output by the
        linearisation of its forward map (a Jacobian-vector product): as
        :meth:`up`, with the activation multiplying by ``f'(a_i)`` (in place)."""
        for stage, context in zip(self.stages, contexts):
            if isinstance(stage, Activation):
                x = stage.backward(x, context)
            else:
                x = stage.up(x, context)
        return x


_DELEGATED = frozenset(
    """weight_shape carrier_shape bias_shape fan_in fan_out init carrier carry
    linear weight_gradient bias_gradient weight_uses release""".split()
)


class Network:
    """The input stages and the blocks ``1 .. L`` of a network.

    Parameters
    ----------
    blocks : list of Block
        Bottom up; the last is the output layer.
    input_stages : list of Stage, default=()
        Stages on the input before block 1 (a pool first).
    input_rate : float, default=0.0
        The input's dropout rate.
    n_features : int
        The width of a row of X.
    """

    def __init__(self, blocks, input_stages=(), input_rate=0.0, n_features=None):
        self.layers = dict(enumerate(blocks, start=1))
        self.input_stages = tuple(input_stages)
        self.input_rate = float(input_rate)
        n_0 = blocks[0].n_in
        #: the width of a row of X (``n_0`` unless a pool comes first)
        self.n_features = n_0 if n_features is None else n_features
        #: ``[n_0, n_1, ..., n_L]``: the values per sample of ``h_0 .. h_L``
        self.widths = [n_0, *(block.n_out for block in blocks)]

    def __repr__(self):
        return f"Network({list(self.layers.values())!r})"

    @property
    def n_layers(self):
        """L, the number of weighted layers."""
        return len(self.layers)

    def stateful_stages(self):
        """The stages with arrays of their own (:class:`StatefulStage`),
        bottom up."""
        return [
            block.stages[k] for block in self.layers.values() for k in block.stateful
        ]

    def init_stages(self, like):
        """Make the stages' arrays like ``like`` (where not made yet)."""
        for stage in self.stateful_stages():
            stage.init(like)

    def stage_parameters(self):
        """The stages' trained arrays, in order."""
        return [p for stage in self.stateful_stages() for p in stage.parameters()]

    def buffers(self):
        """The stages' state that is not trained (running statistics)."""
        return [b for stage in self.stateful_stages() for b in stage.buffers()]

    def place(self, move):
        """Move every stage's arrays with ``move`` (a function of a list of
        arrays, giving the moved list)."""
        for stage in self.stateful_stages():
            stage.place(move)

    def forward(self, X, coefs, intercepts, step=None):
        """``(h, contexts)``: ``h_0 .. h_L`` and each block's stage contexts
        (``contexts[i - 1]`` for block ``i``)."""
        h = self.enter(X, step)
        hs, contexts = [h], []
        for i, block in self.layers.items():
            h, context = block.forward(h, coefs[i - 1], intercepts[i - 1], step)
            hs.append(h)
            contexts.append(context)
        return hs, contexts

    def enter(self, X, step):
        """``h_0``: X after the input's dropout and input stages."""
        if step is not None and step.masks is not None:
            X = step.masks.drop_input(X, self.input_rate)
        for stage in self.input_stages:
            X, _ = stage.forward(X, None)
        return X

    def kinds(self):
        """The names in :mod:`skfa.layers` of the layer kinds beyond dense
        ones, sorted."""
        parts = [*self.input_stages]
        for block in self.layers.values():
            parts += [block.weighted, *block.stages]
        return sorted({p.spec_name for p in parts if hasattr(p, "spec_name")})

    def release(self):
        """Drop what the last batch left in the layers."""
        for block in self.layers.values():
            block.weighted.release()
