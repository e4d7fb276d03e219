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


#: the channels an image can be drawn with: grey, RGB, RGBA
_DRAWABLE_CHANNELS = (1, 3, 4)


def _image_layout(image_shape, n_features):
    """``(shape, channels)``: the ``(C, H, W)`` or ``(H, W)`` to reshape a
    sample to, and its number of channels (None for a grey ``(H, W)``), or
    ``(None, None)`` to draw lines; raises a ValueError naming the remedy."""
    if image_shape is None:
        if isqrt(n_features) ** 2 == n_features:
            return (isqrt(n_features),) * 2, None
        return None, None
    shape = tuple(image_shape) if hasattr(image_shape, "__iter__") else None
    if (
        shape is None
        or len(shape) not in (2, 3)
        or not all(isinstance(v, Integral) and v >= 1 for v in shape)
    ):
        raise ValueError(
            "image_shape must be (height, width) for grey images, or (channels, "
            "height, width) as input_shape and load_cifar10().image_shape give "
            f"it, in positive ints; got image_shape={image_shape!r}."
        )
    shape = tuple(int(v) for v in shape)
    if prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} holds {prod(shape)} values, but the samples "
            f"have {n_features} features."
        )
    if len(shape) == 2:
        return shape, None
    channels, height, width = shape
    if channels not in _DRAWABLE_CHANNELS:
        if width in _DRAWABLE_CHANNELS:
            remedy = (
                f" If each sample is stored height-width-channel ({channels}x"
                f"{height} pixels of {width} channels), put the channels first: "
                f"draw X.reshape(-1, {channels}, {height}, {width})"
                ".transpose(0, 3, 1, 2).reshape(len(X), -1) with "
                f"image_shape=({width}, {channels}, {height})."
            )
        else:
            remedy = " Give (height, width) to draw grey images."
        raise ValueError(
            f"image_shape={shape} is read as (channels, height, width), the "
            "layout of input_shape and of load_cifar10().image_shape, and "
            f"{channels} channels cannot be drawn: an image has 1 (grey), 3 "
            "(RGB) or 4 (RGBA)." + remedy
        )
    return shape, channels


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
        The shape to draw each sample in: ``(height, width)`` for grey images,
        such as ``(28, 28)``, or ``(channels, height, width)``, channels
        first as in the estimators' ``input_shape`` and
        :func:`~skfa.datasets.load_cifar10`'s ``image_shape``, such as
        ``(3, 32, 32)`` (1 channel is drawn grey, 3 as RGB, 4 as RGBA); its
        product must be ``n_features``. None draws square grey images when
        ``n_features`` is a perfect square, and line plots otherwise.
        Colour images share one scale as grey ones do: the values are mapped
        to the colours' range by the lowest and highest of all samples and
        reconstructions drawn.

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
        image_shape, channels = _image_layout(self.image_shape, n_features)

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
        if channels is not None:
            # (C, H, W) drawn as imshow's (H, W, C), or (H, W) for one
            # channel; colours on the grey images' shared scale, in [0, 1]
            rows = rows.reshape(2, n_images, *image_shape)
            if channels == 1:
                rows = rows[:, :, 0]
            else:
                span = high - low if high > low else 1.0
                rows = np.clip((rows - low) / span, 0.0, 1.0).transpose(0, 1, 3, 4, 2)
        artists = np.empty((2, n_images), dtype=object)
        for (r, j), axes in np.ndenumerate(ax):
            if image_shape is None:
                (artists[r, j],) = axes.plot(rows[r, j])
                axes.set_ylim(low, high)
                # tick labels on the outer axes only: the rows share a y-range
                axes.tick_params(labelleft=j == 0, labelbottom=r == 1)
            else:
                image = rows[r, j]
                if channels is None:
                    image = image.reshape(image_shape)
                if image.ndim == 3:  # RGB(A): the colours are the values
                    artists[r, j] = axes.imshow(image)
                else:
                    artists[r, j] = axes.imshow(image, cmap=cmap, vmin=low, vmax=high)
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
            None takes the estimator's ``input_shape`` (channels, height,
            width) where it has one, else as the class description says.

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
        if image_shape is None:
            image_shape = getattr(estimator, "input_shape", None)
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
