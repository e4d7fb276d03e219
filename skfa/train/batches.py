"""The rows of each step, and the validation split of ``early_stopping``."""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from .._backend import take_rows, to_host


def _weightless_batches(sample_weight, rows, n_samples, batch_size):
    """Find the batches whose sample weights sum to 0 (they carry no error).

    Returns a function of an epoch's order of the training rows (host
    indices into X) that gives the starts of those batches, for the loop to
    skip: their loss and error would divide 0 by 0.
    """
    if sample_weight is None:
        return lambda order: ()
    weights = np.asarray(to_host(sample_weight))
    if rows is not None and not weights[rows].any():
        raise ValueError(
            "The sample weights of the training rows sum to 0: the validation "
            "split of early_stopping took every row of non-zero weight. Lower "
            "validation_fraction or give more rows a weight."
        )
    if bool(np.all(weights > 0)):
        return lambda order: ()
    starts = np.arange(0, n_samples, batch_size)

    def weightless(order):
        sums = np.add.reduceat(weights[order], starts)
        return set((starts[sums == 0]).tolist())

    return weightless


class Batches:
    """The rows of every step, epoch by epoch, as ``MLPClassifier`` draws them.

    Parameters
    ----------
    rows : ndarray or None
        The training rows of X (host indices) when a validation split took
        the others; None when every row trains.
    n_samples : int
        The number of training rows.
    batch_size : int
    shuffle : bool
    random_state : numpy.random.RandomState
        The estimator's generator: the shuffles continue its stream.
    sample_weight : array or None
    xp, device
        Where the row indices go.
    """

    def __init__(
        self,
        rows,
        n_samples,
        batch_size,
        shuffle,
        random_state,
        sample_weight,
        xp,
        device,
    ):
        self.rows = rows
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.xp, self.device = xp, device
        self._sample_idx = np.arange(self.n_samples)
        # the rows of X of the training set, in the order of this epoch
        self._order = None if rows is None else xp.asarray(rows, device=device)
        self._weightless = _weightless_batches(
            sample_weight, rows, self.n_samples, batch_size
        )

    def head(self):
        """The first batch of the training set, unshuffled (the probe's rows)."""
        return (
            slice(0, self.batch_size)
            if self._order is None
            else self._order[: self.batch_size]
        )

    def epoch(self):
        """Yield ``(rows, size)`` for each batch of a new epoch.

        Batches whose sample weights sum to 0 are skipped: they carry no error.
        """
        if self.shuffle:
            self._sample_idx = shuffle(self._sample_idx, random_state=self.random_state)
        shuffled = (
            self._sample_idx if self.rows is None else self.rows[self._sample_idx]
        )
        if self.shuffle:
            self._order = self.xp.asarray(shuffled, device=self.device)
        skipped = self._weightless(shuffled)
        for batch in gen_batches(self.n_samples, self.batch_size):
            if batch.start in skipped:
                continue
            yield (
                batch if self._order is None else self._order[batch],
                batch.stop - batch.start,
            )


def validation_split(X, y, sample_weight, fraction, rng, stratify, xp, device):
    """The training rows, and the validation set of ``early_stopping``.

    Returns ``(rows, (X_val, y_val, sample_weight_val))``: the host indices
    of the training rows and the validation rows' arrays, as ``MLPClassifier``
    splits them (``stratify``: by the targets); the training rows are
    indexed in X, not copied out of it.
    """
    rows, val = train_test_split(
        np.arange(X.shape[0]),
        random_state=rng,
        test_size=fraction,
        stratify=to_host(y) if stratify else None,
    )
    if val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    val = xp.asarray(val, device=device)
    return rows, tuple(take_rows(array, val, xp) for array in (X, y, sample_weight))
