"""AlignmentDisplay: angles between the feedback updates and backprop's."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _named_estimators, check_matplotlib_support


class AlignmentDisplay:
    """Angle between each hidden layer's update and the backprop gradient.

    One line per hidden layer shows, after each epoch, the angle in degrees
    between the layer's weight update under the feedback rule and the true
    gradient of backpropagation, both computed on a fixed probe batch. Where
    given, the angle between the forward weights ``W_{i+1}`` above the layer
    and the transposed feedback matrix ``B_{i+1}^T`` is drawn dashed in the
    same colour. A grey line marks 90 degrees: below it the rule's update
    still descends the loss (Lillicrap et al. 2016).

    It is recommended to build the display with
    :meth:`AlignmentDisplay.from_estimator`; all parameters are stored as
    attributes.

    Several models (:meth:`from_estimator` with a list or a dict of
    estimators) are drawn side by side, one axes each; the parameters are
    then lists with one entry per model, and so are the attributes
    (``ax_`` an array of Axes). On a figure of its own (no ``ax`` given) the
    display sizes the figure by the number of models, at most three axes to
    a row, titles each axes with its model's name and draws one legend for
    all, outside the axes, at the right of the first row.

    Parameters
    ----------
    alignment_curve : array-like of shape (n_epochs, n_hidden_layers)
        The update angles in degrees, one column per hidden layer; or a
        list of such arrays, one per model.

    weight_alignment_curve : array-like of shape (n_epochs, n_hidden_layers), \
            default=None
        The angles in degrees between ``W_{i+1}`` and ``B_{i+1}^T``; None
        draws none (for several models, a list with an entry, or None, per
        model). NaN leaves a gap (epochs of a rule without ``B``).

    name : str, default=None
        The legend's title (a list of them for several models); None draws
        the legend without one.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The update-angle lines, one per hidden layer.

    weight_lines_ : list of matplotlib Line2D or None
        The weight-angle lines, one per hidden layer; None without
        ``weight_alignment_curve``.

    reference_line_ : matplotlib Line2D
        The horizontal line at 90 degrees.

    ax_ : matplotlib Axes
        The axes drawn on.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    LossCurveDisplay : Training loss per epoch.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skfa.plotting import AlignmentDisplay
    >>> angles = np.array([[80.0, 85.0], [60.0, 70.0], [45.0, 55.0]])
    >>> disp = AlignmentDisplay(alignment_curve=angles, name="fa").plot()
    >>> [line.get_label() for line in disp.lines_]
    ['hidden layer 1', 'hidden layer 2']
    >>> plt.close(disp.figure_)
    """

    def __init__(self, *, alignment_curve, weight_alignment_curve=None, name=None):
        self.alignment_curve = alignment_curve
        self.weight_alignment_curve = weight_alignment_curve
        self.name = name

    def plot(self, ax=None, *, name=None, ylim=(0, 180)):
        """Plot the angles.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            The axes to draw on (for several models, an array-like of one
            Axes per model); None makes a new figure and axes.

        name : str, default=None
            The legend's title (for several models, a list of them); None
            takes the display's ``name``.

        ylim : tuple of (float, float) or None, default=(0, 180)
            The limits of the y-axis in degrees; None lets matplotlib choose
            them from the data.

        Returns
        -------
        display : AlignmentDisplay
            The display, with the drawn artists in its attributes.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        name = self.name if name is None else name
        if not _several(self.alignment_curve):
            if ax is None:
                _, ax = plt.subplots()
            self.lines_, self.weight_lines_, self.reference_line_ = _draw(
                ax, self.alignment_curve, self.weight_alignment_curve, name, ylim
            )
            self.ax_, self.figure_ = ax, ax.figure
            return self

        n = len(self.alignment_curve)
        weights = self.weight_alignment_curve
        weights = [None] * n if weights is None else list(weights)
        names = [None] * n if name is None else list(name)
        if not len(weights) == len(names) == n:
            raise ValueError(
                f"Got {n} alignment curves, {len(weights)} weight alignment "
                f"curves and {len(names)} names; give one of each per model."
            )
        own_figure = ax is None
        if own_figure:
            axes, ncols = _grid(plt, n)
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if axes.size != n:
                raise ValueError(
                    f"ax must hold {n} Axes, one per model; got {axes.size}."
                )
        drawn = [
            _draw(axis, curve, weight, title, ylim)
            for axis, curve, weight, title in zip(
                axes, self.alignment_curve, weights, names
            )
        ]
        self.lines_, self.weight_lines_, self.reference_line_ = map(list, zip(*drawn))
        if own_figure:
            _one_legend(axes, names, ncols)
        self.ax_, self.figure_ = axes, axes[0].figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, ylim=(0, 180)):
        """Plot the alignment angles recorded by fitted estimators.

        Parameters
        ----------
        estimator : estimator, list of estimators or dict
            A skfa estimator fitted with ``track_alignment=True``, which
            records ``alignment_curve_`` and ``weight_alignment_curve_``, or
            a fitted Pipeline ending in one; or a list of them, or a dict
            mapping names to them, drawn side by side, one axes each.

        ax : matplotlib Axes, default=None
            The axes to draw on (an array-like of one Axes per estimator for
            several); None makes a new figure and axes.

        name : str or list of str, default=None
            The legend's title (a list for a list of estimators; None for a
            dict, whose keys are the names). None takes each estimator's
            ``feedback`` parameter (the string, or the rule's class name).

        ylim : tuple of (float, float) or None, default=(0, 180)
            The limits of the y-axis in degrees; None lets matplotlib choose.

        Returns
        -------
        display : AlignmentDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        names, estimators, several = _named_estimators(estimator, name)
        curves, weight_curves = [], []
        for est, est_name in zip(estimators, names):
            check_is_fitted(est)
            if getattr(est, "alignment_curve_", None) is None:
                raise ValueError(
                    f"{est_name!r} ({type(est).__name__}) recorded no "
                    "alignment_curve_: fit it with track_alignment=True to "
                    "record the angles."
                )
            curves.append(est.alignment_curve_)
            weight_curves.append(getattr(est, "weight_alignment_curve_", None))
        if not several:
            curves, weight_curves, names = curves[0], weight_curves[0], names[0]
        display = cls(
            alignment_curve=curves, weight_alignment_curve=weight_curves, name=names
        )
        return display.plot(ax=ax, ylim=ylim)


def _grid(plt, n):
    """A figure sized for ``n`` models, at most three axes to a row, with
    room at the right for the legend; its ``n`` Axes and the number of
    columns."""
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        sharey=True,
        squeeze=False,
        figsize=(3.6 * ncols + 2.2, 3.2 * nrows + 0.4),
        layout="constrained",
    )
    for extra in grid.ravel()[n:]:
        fig.delaxes(extra)
    return grid.ravel()[:n], ncols


def _one_legend(axes, names, ncols):
    """Title each axes with its model's name; replace the per-axes legends by
    one, outside the axes at the right of the first row. A label drawn in
    several axes (the same layer, the same colour) is listed once."""
    handles = {}
    for i, (axis, name) in enumerate(zip(axes, names)):
        axis.get_legend().remove()
        if name is not None:
            axis.set_title(str(name))
        if i % ncols:  # the y axis is shared along a row
            axis.set_ylabel("")
        for handle, label in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    axes[min(ncols, len(axes)) - 1].legend(
        handles.values(),
        handles.keys(),
        loc="upper left",
        bbox_to_anchor=(1.04, 1.0),
        borderaxespad=0.0,
        fontsize="small",
    )


def _several(curve):
    """Whether ``alignment_curve`` is a list of several models' curves."""
    return isinstance(curve, list) and all(np.ndim(c) == 2 for c in curve)


def _draw(ax, angles, weight_angles, name, ylim):
    """Draw one model's angles on ``ax``; return its lines, weight lines and
    the 90-degree line."""
    from matplotlib.ticker import MaxNLocator

    angles = np.asarray(angles, dtype=float)
    if angles.ndim != 2:
        raise ValueError(
            "alignment_curve must have shape (n_epochs, n_hidden_layers); "
            f"got shape {angles.shape}."
        )
    if weight_angles is not None:
        weight_angles = np.asarray(weight_angles, dtype=float)
        if weight_angles.shape != angles.shape:
            raise ValueError(
                f"weight_alignment_curve has shape {weight_angles.shape}; it "
                f"must have alignment_curve's shape {angles.shape}."
            )
    epochs = np.arange(1, angles.shape[0] + 1)
    lines = [
        ax.plot(epochs, column, label=f"hidden layer {i}")[0]
        for i, column in enumerate(angles.T, start=1)
    ]
    weight_lines = None
    if weight_angles is not None:
        weight_lines = [
            ax.plot(
                epochs,
                column,
                color=line.get_color(),
                linestyle="--",
                label=f"$W_{{{i + 1}}}$ vs $B_{{{i + 1}}}^T$",
            )[0]
            for i, (column, line) in enumerate(zip(weight_angles.T, lines), start=1)
        ]
    reference = ax.axhline(90, color="grey", linestyle=":", lw=1)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Angle to the backprop update (degrees)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ylim is not None:
        ax.set_ylim(ylim)
    ax.legend(title=name)
    return lines, weight_lines, reference
