"""ReconstructionDisplay: samples over their autoencoder reconstructions."""

from math import isqrt, prod
from numbers import Integral

import numpy as np
from sklearn.utils import check_consistent_length
from sklearn.utils.validation import check_array, check_is_fitted

from .._compat import _safe_indexing
from ._base import check_matplotlib_support


def _check_n_images(n_images):
    if not isinstance(n_images, Integral) or n_images < 1:
        raise ValueError(f"n_images must be a positive integer; got {n_images!r}.")


class ReconstructionDisplay:
    """Samples in the top row over their reconstructions in the bottom row.

    Each column shows one sample and its reconstruction, as images when
    ``image_shape`` is given or the number of features is a perfect square
    (64 features as 8x8, 784 as 28x28), and otherwise as line plots of the
    feature values. Images share one grey scale, line plots one y-range, so
    that the rows compare directly.

    It is recommended to build the display with
    :meth:`ReconstructionDisplay.from_estimator` or
    :meth:`ReconstructionDisplay.from_predictions`; all parameters are stored
    as attributes.

    Parameters
    ----------
    X : array-like of shape (n_images, n_features)
        The samples, one per column.

    X_reconstructed : array-like of shape (n_images, n_features)
        Their reconstructions.

    image_shape : tuple of int, default=None
        The shape to draw each sample in, such as ``(28, 28)``; its product
        must be ``n_features``. None draws square images when ``n_features``
        is a perfect square, and line plots otherwise.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (2, n_images)
        The axes: originals in row 0, reconstructions in row 1.

    images_ : ndarray of matplotlib AxesImage of shape (2, n_images) or None
        The images, laid out as ``ax_``; None when drawn as lines.

    lines_ : ndarray of matplotlib Line2D of shape (2, n_images) or None
        The lines, laid out as ``ax_``; None when drawn as images.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    skfa.FeedbackAlignmentAutoencoder : The autoencoder whose reconstructions
        this draws.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentAutoencoder
    >>> from skfa.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = FeedbackAlignmentAutoencoder(
    ...     (32,), out_activation="logistic", max_iter=20, random_state=0
    ... ).fit(X / 16)
    >>> disp = ReconstructionDisplay.from_estimator(ae, X / 16, n_images=5)
    >>> disp.images_.shape
    (2, 5)
    >>> disp.images_[0, 0].get_array().shape
    (8, 8)
    >>> plt.close(disp.figure_)
    """

    def __init__(self, *, X, X_reconstructed, image_shape=None):
        self.X = X
        self.X_reconstructed = X_reconstructed
        self.image_shape = image_shape

    def plot(self, ax=None, *, cmap="gray"):
        """Plot the samples over their reconstructions.

        Parameters
        ----------
        ax : array-like of matplotlib Axes of shape (2, n_images), default=None
            The axes to draw on, originals in the first row; None makes a new
            figure with these axes.

        cmap : str or matplotlib Colormap, default="gray"
            The colour map of the images.

        Returns
        -------
        display : ReconstructionDisplay
            The display, with the drawn artists in its attributes.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        X = check_array(self.X, input_name="X")
        X_reconstructed = check_array(
            self.X_reconstructed, input_name="X_reconstructed"
        )
        if X.shape != X_reconstructed.shape:
            raise ValueError(
                f"X has shape {X.shape} but X_reconstructed has shape "
                f"{X_reconstructed.shape}; they must match."
            )
        n_images, n_features = X.shape
        image_shape = self.image_shape
        if image_shape is None and isqrt(n_features) ** 2 == n_features:
            image_shape = (isqrt(n_features),) * 2
        if image_shape is not None and prod(image_shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(image_shape)} holds {prod(image_shape)} "
                f"values, but the samples have {n_features} features."
            )

        if ax is None:
            width = 1.2 if image_shape is not None else 1.8
            _, ax = plt.subplots(
                2,
                n_images,
                figsize=(width * n_images + 0.6, 2.6),
                squeeze=False,
                constrained_layout=True,
            )
        ax = np.asarray(ax, dtype=object)
        if ax.shape != (2, n_images):
            raise ValueError(
                f"ax must hold axes of shape (2, {n_images}), one column per "
                f"sample; got shape {ax.shape}."
            )

        rows = np.stack([X, X_reconstructed])
        low, high = rows.min(), rows.max()
        artists = np.empty((2, n_images), dtype=object)
        for (r, j), axes in np.ndenumerate(ax):
            if image_shape is None:
                (artists[r, j],) = axes.plot(rows[r, j])
                axes.set_ylim(low, high)
                # tick labels on the outer axes only: the rows share a y-range
                axes.tick_params(labelleft=j == 0, labelbottom=r == 1)
            else:
                artists[r, j] = axes.imshow(
                    rows[r, j].reshape(image_shape), cmap=cmap, vmin=low, vmax=high
                )
                axes.set_xticks([])
                axes.set_yticks([])
        ax[0, 0].set_ylabel("Original")
        ax[1, 0].set_ylabel("Reconstruction")

        self.images_ = None if image_shape is None else artists
        self.lines_ = artists if image_shape is None else None
        self.ax_, self.figure_ = ax, ax[0, 0].figure
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, *, n_images=8, image_shape=None, ax=None, cmap="gray"
    ):
        """Plot the first samples of X over the estimator's reconstructions.

        Parameters
        ----------
        estimator : FeedbackAlignmentAutoencoder
            A fitted autoencoder, or any fitted transformer with an
            ``inverse_transform`` (such as PCA): X is drawn over
            ``inverse_transform(transform(X))``.
            A fitted Pipeline ending in an autoencoder is drawn alike
            (its steps' ``inverse_transform`` brings the reconstruction back
            to X's space).

        X : array-like of shape (n_samples, n_features)
            The data; its first ``n_images`` samples are drawn (all of them if
            there are fewer).

        n_images : int, default=8
            The number of samples to draw.

        image_shape : tuple of int, default=None
            The shape to draw each sample in; see the class description.

        ax : array-like of matplotlib Axes of shape (2, n_images), default=None
            The axes to draw on; None makes a new figure.

        cmap : str or matplotlib Colormap, default="gray"
            The colour map of the images.

        Returns
        -------
        display : ReconstructionDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        _check_n_images(n_images)
        X = _safe_indexing(X, slice(n_images))
        display = cls(
            X=X,
            X_reconstructed=estimator.inverse_transform(estimator.transform(X)),
            image_shape=image_shape,
        )
        return display.plot(ax=ax, cmap=cmap)

    @classmethod
    def from_predictions(
        cls, X, X_reconstructed, *, n_images=8, image_shape=None, ax=None, cmap="gray"
    ):
        """Plot the first samples of X over the given reconstructions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data; its first ``n_images`` samples are drawn (all of them if
            there are fewer).

        X_reconstructed : array-like of shape (n_samples, n_features)
            The reconstructions of X, such as an autoencoder's
            ``inverse_transform(transform(X))``.

        n_images : int, default=8
            The number of samples to draw.

        image_shape : tuple of int, default=None
            The shape to draw each sample in; see the class description.

        ax : array-like of matplotlib Axes of shape (2, n_images), default=None
            The axes to draw on; None makes a new figure.

        cmap : str or matplotlib Colormap, default="gray"
            The colour map of the images.

        Returns
        -------
        display : ReconstructionDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        _check_n_images(n_images)
        check_consistent_length(X, X_reconstructed)
        display = cls(
            X=_safe_indexing(X, slice(n_images)),
            X_reconstructed=_safe_indexing(X_reconstructed, slice(n_images)),
            image_shape=image_shape,
        )
        return display.plot(ax=ax, cmap=cmap)
