"""The steps the rules share: a delta carried down a chain of matrices, and
projections onto several layers in one GEMM."""

import math

from ..nn.dense import as_rows


def fprime(forward, i, delta, derivative=True, where="output"):
    """A delta at block ``i``'s output (or ``where``) carried to ``a_i``:
    ``delta * f'(a_i)`` for a dense block, in place; when ``derivative`` is
    False, with 1 for ``f'`` (dropped units still get no delta under
    dropout, a pool still routes it)."""
    if derivative:
        return forward.fprime(i, delta, where)
    return forward.drop(i, delta, where)


def transported(forward, weights):
    """``{i: carrier(W_i)}``: the forward weights as a carry takes them
    (``W_i.T`` for dense layers), what backpropagation carries deltas through."""
    return {i: forward.layers[i].carrier(W) for i, W in weights.items()}


def carry_down(forward, delta, carriers, top, bottom=1, derivative=True):
    """Carry a delta down a chain of matrices: the shared step of BP and FA.

    ``delta_i = carry_{i+1}(delta_{i+1}, carriers[i+1]) * f'(a_i)`` for
    ``i = top-1, ..., bottom``, starting from ``delta_top = delta`` (without
    ``f'`` when ``derivative`` is False), where layer ``i+1``'s carry is
    ``delta_{i+1} @ carriers[i+1]`` for a dense layer.

    Returns
    -------
    deltas : dict of {int: array}
        ``delta_bottom .. delta_{top-1}``, keyed by layer.
    """
    deltas = {}
    for i in range(top - 1, bottom - 1, -1):
        carried = forward.layers[i + 1].carry(delta, carriers[i + 1])
        delta = fprime(forward, i, carried, derivative)
        deltas[i] = delta
    return deltas


def pack(feedback, layers, xp):
    """``[B_i | B_j | ...]`` for ``layers``, so that one GEMM projects onto them all."""
    return xp.concat([feedback[i] for i in layers], axis=1)


def project(forward, source, packed, layers, derivative=True, where="output"):
    """``(source @ B_i) * f'(a_i)`` for each of ``layers``, with one GEMM.

    ``source`` is taken as rows (one per sample); each layer's part of the
    product lands on its block's output (the pooled map; or ``where``) and
    is carried to ``a_i`` by :func:`fprime`. ``packed`` is :func:`pack` of
    the same layers, in the same order.

    Returns
    -------
    deltas : dict of {int: array}
    """
    projected = as_rows(source) @ packed
    deltas, start = {}, 0
    for i in layers:
        stop = start + math.prod(forward.layers[i].shape_at(where))
        block = forward.shaped(i, projected[:, start:stop], where)
        deltas[i] = fprime(forward, i, block, derivative, where)
        start = stop
    return deltas


def source_shapes(network, sources):
    """``{i: (n_delta of block src, n_i)}`` for ``{i: src}``, sorted by ``i``:
    matrices that project ``delta_src`` (``a_src``'s width) onto block
    ``i``'s output."""
    return {
        i: (network.layers[src].n_delta, network.widths[i])
        for i, src in sorted(sources.items())
    }
