"""How feedback matrices are drawn (``feedback_init=``).

Every draw uses a host NumPy generator, so the matrices do not depend on the
device that trains.

Every built-in init draws a matrix: an array of ``shape`` is drawn as the
2-D ``(shape[0], prod(shape[1:]))`` and reshaped back, the draws of a 2-D
shape being that shape's own. ``fan`` is the matrix's second dimension,
``prod(shape[1:])``: the width of the layer the matrix feeds its signal into;
this is the dimension Nøkland's code uses (``ErrorFeedback``:
``1/sqrt(feedback:size(2))`` for a feedback tensor of shape (n_error,
n_layer)). For a kernel of shape ``(F, C, kh, kw)``, which stands in for a
convolution's kernel and is carried down by the transposed convolution, the
matrix is ``(F, C * kh * kw)``, one row per filter: ``fan = C * kh * kw``,
the inputs each filter reads, and ``"identity"`` puts one 1 in each filter's
row. A callable ``feedback_init`` receives the real shape.

The structured matrices B1-B7 are those of the general feedback-alignment
update rule's experiment 4 (Table 4). The paper writes their noise as
N(0, 0.01) and says the sparsity "is randomly done using numpy" without a
density; skfa reads 0.01 as the *standard deviation*
(NumPy's ``normal(0, 0.01)``, the same scale as B5's U(-0.01, 0.01)) and
draws sparse ones as independent Bernoulli entries of density
``SPARSE_DENSITY``.

=========================  ==============================================
name                       draw
=========================  ==============================================
``"uniform"``              U(-0.5, 0.5) (Lillicrap et al. 2016)
``"nokland"``              U(-1/sqrt(fan), 1/sqrt(fan)) (Nøkland 2016)
``"gaussian"``             N(0, 1/fan), standard deviation 1/sqrt(fan)
``"glorot"``               U(-r, r), r = sqrt(6 / (fan_in + fan_out)) on the
                           array's own fans (Glorot and Bengio 2010)
``"ones_noise"`` (B1)      ones + N(0, 0.01**2)
``"identity"`` (B2)        the non-square identity: ones on the diagonal
``"identity_noise"`` (B3)  identity + N(0, 0.01**2)
``"sparse_ones"`` (B4)     ones with probability ``SPARSE_DENSITY``, else 0
``"ones_uniform"`` (B5)    ones + U(-0.01, 0.01)
``"sparse_ones_noise"``    (B6) sparse ones + N(0, 0.01**2)
``"noise"`` (B7)           N(0, 0.01**2)
callable                   ``init(shape, rng)``, a NumPy array of ``shape``
=========================  ==============================================
"""

import functools
import math

import numpy as np

#: Standard deviation of the noise of B1, B3, B6 and B7 (the paper's "0.01").
NOISE_STD = 0.01
#: Fraction of ones in B4 and B6. Measured with DFA on MNIST (784-256-256-10,
#: tanh, 20,000 images, 3 epochs, SGD 0.01), test accuracy of B4 at density
#: 0.05 / 0.1 / 0.25 / 0.5: 0.933 / 0.939 / 0.947 / 0.949; 0.25 is as good as
#: the densest and still sparse.
SPARSE_DENSITY = 0.25

_PARAMETERS = """
    Parameters
    ----------
    shape : tuple of int
        The shape of the array, of two dimensions or more; drawn as the
        matrix ``(shape[0], prod(shape[1:]))``, whose second dimension is
        ``fan``.
    rng : numpy.random.Generator
        The generator of the draw.

    Returns
    -------
    B : ndarray of shape ``shape``
        The draw, float64.
"""


def _matrix_init(draw):
    """``draw(matrix, rng)`` on the 2-D view of ``shape``, reshaped back; the
    docstring completed with the parameters every init shares."""

    @functools.wraps(draw)
    def init(shape, rng):
        shape = tuple(shape)
        return draw((shape[0], math.prod(shape[1:])), rng).reshape(shape)

    init.__doc__ = draw.__doc__.rstrip() + "\n" + _PARAMETERS
    return init


@_matrix_init
def uniform(shape, rng):
    """U(-0.5, 0.5), Lillicrap et al. (2016)."""
    return rng.uniform(-0.5, 0.5, size=shape)


@_matrix_init
def nokland(shape, rng):
    """U(-1/sqrt(fan), 1/sqrt(fan)), Nøkland (2016)."""
    bound = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-bound, bound, size=shape)


@_matrix_init
def gaussian(shape, rng):
    """N(0, 1/fan): standard deviation ``1/sqrt(fan)``."""
    return rng.normal(0.0, 1.0 / math.sqrt(shape[1]), size=shape)


def glorot(shape, rng):
    """Xavier-uniform on the array's own fans: U(-r, r), ``r = sqrt(6 /
    (fan_in + fan_out))`` (Glorot and Bengio 2010, "Understanding the
    difficulty of training deep feedforward neural networks"), as
    ``torch.nn.init.xavier_uniform_`` draws it. Feedback then has the scale
    of the weights it stands in for, as BioTorch draws it.

    Parameters
    ----------
    shape : tuple of int
        The shape of the array, of two dimensions or more: for a matrix
        ``(a, b)`` the fans are a and b; for a kernel ``(F, C, kh, kw)``
        they are ``C * kh * kw`` and ``F * kh * kw``, as for a convolution's
        weights.
    rng : numpy.random.Generator
        The generator of the draw.

    Returns
    -------
    B : ndarray of shape ``shape``
        The draw, float64.
    """
    shape = tuple(shape)
    receptive = math.prod(shape[2:])
    bound = math.sqrt(6.0 / ((shape[0] + shape[1]) * receptive))
    return rng.uniform(-bound, bound, size=shape)


@_matrix_init
def noise(shape, rng):
    """B7: N(0, 0.01**2)."""
    return rng.normal(0.0, NOISE_STD, size=shape)


@_matrix_init
def ones_noise(shape, rng):
    """B1: ones plus N(0, 0.01**2) noise."""
    return 1.0 + noise(shape, rng)


@_matrix_init
def identity(shape, rng):
    """B2: the non-square identity, ones on the main diagonal of the matrix."""
    return np.eye(*shape)


@_matrix_init
def identity_noise(shape, rng):
    """B3: the non-square identity plus N(0, 0.01**2) noise."""
    return identity(shape, rng) + noise(shape, rng)


@_matrix_init
def sparse_ones(shape, rng):
    """B4: each entry 1 with probability ``SPARSE_DENSITY``, else 0."""
    return (rng.random(shape) < SPARSE_DENSITY).astype(np.float64)


@_matrix_init
def ones_uniform(shape, rng):
    """B5: ones plus U(-0.01, 0.01)."""
    return 1.0 + rng.uniform(-0.01, 0.01, size=shape)


@_matrix_init
def sparse_ones_noise(shape, rng):
    """B6: sparse ones (B4) plus N(0, 0.01**2) noise on every entry."""
    return sparse_ones(shape, rng) + noise(shape, rng)


FEEDBACK_INITS = {
    "uniform": uniform,
    "nokland": nokland,
    "gaussian": gaussian,
    "glorot": glorot,
    "ones_noise": ones_noise,
    "identity": identity,
    "identity_noise": identity_noise,
    "sparse_ones": sparse_ones,
    "ones_uniform": ones_uniform,
    "sparse_ones_noise": sparse_ones_noise,
    "noise": noise,
}


def draw_feedback(shapes, init, rng):
    """Draw one matrix per shape, in order, with ``init`` (a name or a callable).

    Parameters
    ----------
    shapes : iterable of tuple of int
        The shapes to draw: ``(n_out, n_in)`` for a matrix, ``(F, C, kh,
        kw)`` for a kernel (which the built-in inits draw as the matrix
        ``(F, C * kh * kw)``).
    init : str or callable
        A key of ``FEEDBACK_INITS`` or ``init(shape, rng) -> array``, called
        with each shape as it is.
    rng : numpy.random.Generator
        The generator of the draws, shared by the shapes in order.

    Returns
    -------
    matrices : list of float64 NumPy arrays
        On the host; the estimator gives them the data's namespace, device
        and dtype.
    """
    draw = FEEDBACK_INITS[init] if isinstance(init, str) else init
    matrices = []
    for shape in shapes:
        shape = tuple(shape)
        try:
            drawn = draw(shape, rng)
            if np.iscomplexobj(drawn):
                raise TypeError("complex values")
            # a copy: the rules update their matrices in place, and a callable
            # may return a read-only, broadcast or shared array
            B = np.array(drawn, dtype=np.float64)
        except Exception as exc:
            raise ValueError(
                f"feedback_init={init!r} failed to draw a feedback matrix of shape "
                f"{shape}: {type(exc).__name__}: {exc}. A callable feedback_init "
                "is called as init(shape, rng) and must return a real array of "
                "that shape."
            ) from exc
        if B.shape != shape:
            raise ValueError(
                f"feedback_init={init!r} returned an array of shape {B.shape}; "
                f"expected {shape}."
            )
        if not np.isfinite(B).all():
            raise ValueError(
                f"feedback_init={init!r} returned non-finite values (NaN or inf) "
                f"for the feedback matrix of shape {shape}."
            )
        matrices.append(B)
    return matrices
