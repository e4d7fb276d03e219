"""How feedback matrices are drawn (``feedback_init=``).

Every draw uses a host NumPy generator, so the matrices do not depend on the
device that trains. ``fan`` is ``shape[1]``, the width of the layer the
matrix feeds its signal into; this is the dimension Nøkland's code uses
(``ErrorFeedback``: ``1/sqrt(feedback:size(2))`` for a feedback tensor of
shape (n_error, n_layer)).

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

import math

import numpy as np

#: Standard deviation of the noise of B1, B3, B6 and B7 (the paper's "0.01").
NOISE_STD = 0.01
#: Fraction of ones in B4 and B6. Measured with DFA on MNIST (784-256-256-10,
#: tanh, 20,000 images, 3 epochs, SGD 0.01), test accuracy of B4 at density
#: 0.05 / 0.1 / 0.25 / 0.5: 0.933 / 0.939 / 0.947 / 0.949; 0.25 is as good as
#: the densest and still sparse.
SPARSE_DENSITY = 0.25


def uniform(shape, rng):
    """U(-0.5, 0.5), Lillicrap et al. (2016)."""
    return rng.uniform(-0.5, 0.5, size=shape)


def nokland(shape, rng):
    """U(-1/sqrt(fan), 1/sqrt(fan)) with ``fan = shape[1]``, Nøkland (2016)."""
    bound = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-bound, bound, size=shape)


def gaussian(shape, rng):
    """N(0, 1/fan): standard deviation ``1/sqrt(shape[1])``."""
    return rng.normal(0.0, 1.0 / math.sqrt(shape[1]), size=shape)


def noise(shape, rng):
    """B7: N(0, 0.01**2)."""
    return rng.normal(0.0, NOISE_STD, size=shape)


def ones_noise(shape, rng):
    """B1: a matrix of ones plus N(0, 0.01**2) noise."""
    return 1.0 + noise(shape, rng)


def identity(shape, rng):
    """B2: the non-square identity, ones on the main diagonal."""
    return np.eye(*shape)


def identity_noise(shape, rng):
    """B3: the non-square identity plus N(0, 0.01**2) noise."""
    return identity(shape, rng) + noise(shape, rng)


def sparse_ones(shape, rng):
    """B4: each entry 1 with probability ``SPARSE_DENSITY``, else 0."""
    return (rng.random(shape) < SPARSE_DENSITY).astype(np.float64)


def ones_uniform(shape, rng):
    """B5: a matrix of ones plus U(-0.01, 0.01)."""
    return 1.0 + rng.uniform(-0.01, 0.01, size=shape)


def sparse_ones_noise(shape, rng):
    """B6: sparse ones (B4) plus N(0, 0.01**2) noise on every entry."""
    return sparse_ones(shape, rng) + noise(shape, rng)


FEEDBACK_INITS = {
    "uniform": uniform,
    "nokland": nokland,
    "gaussian": gaussian,
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
    init : str or callable
        A key of ``FEEDBACK_INITS`` or ``init(shape, rng) -> array``.
    rng : numpy.random.Generator

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
