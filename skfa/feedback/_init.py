"""How feedback matrices are drawn (``feedback_init=``).

Every draw uses a host NumPy generator, so the matrices do not depend on the
device that trains. ``fan`` is ``shape[1]``, the width of the layer the
matrix feeds its signal into; this is the dimension Nøkland's code uses
(``ErrorFeedback``: ``1/sqrt(feedback:size(2))`` for a feedback tensor of
shape (n_error, n_layer)).

==============  ===============================================
name            draw
==============  ===============================================
``"uniform"``   U(-0.5, 0.5) (Lillicrap et al. 2016)
``"nokland"``   U(-1/sqrt(fan), 1/sqrt(fan)) (Nøkland 2016)
callable        ``init(shape, rng)``, a NumPy array of ``shape``
==============  ===============================================
"""

import math

import numpy as np


def uniform(shape, rng):
    """U(-0.5, 0.5), Lillicrap et al. (2016)."""
    return rng.uniform(-0.5, 0.5, size=shape)


def nokland(shape, rng):
    """U(-1/sqrt(fan), 1/sqrt(fan)) with ``fan = shape[1]``, Nøkland (2016)."""
    bound = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-bound, bound, size=shape)


FEEDBACK_INITS = {"uniform": uniform, "nokland": nokland}


def draw_feedback(shapes, init, rng, dtype):
    """Draw one matrix per shape, in order, with ``init`` (a name or a callable).

    Parameters
    ----------
    shapes : iterable of tuple of int
    init : str or callable
        A key of ``FEEDBACK_INITS`` or ``init(shape, rng) -> array``.
    rng : numpy.random.Generator
    dtype : dtype
        The dtype of the training data.

    Returns
    -------
    matrices : list of numpy arrays
    """
    draw = FEEDBACK_INITS[init] if isinstance(init, str) else init
    matrices = []
    for shape in shapes:
        B = np.asarray(draw(shape, rng), dtype=dtype)
        if B.shape != tuple(shape):
            raise ValueError(
                f"feedback_init returned an array of shape {B.shape}; "
                f"expected {tuple(shape)}."
            )
        if not np.isfinite(B).all():
            raise ValueError("feedback_init returned non-finite values.")
        matrices.append(B)
    return matrices
