"""AlignmentDisplay: angles between the feedback updates and backprop's."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _default_name, check_matplotlib_support


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

    Parameters
    ----------
    alignment_curve : array-like of shape (n_epochs, n_hidden_layers)
        The update angles in degrees, one column per hidden layer.

    weight_alignment_curve : array-like of shape (n_epochs, n_hidden_layers), \
            default=None
        The angles in degrees between ``W_{i+1}`` and ``B_{i+1}^T``; None
        draws none.

    name : str, default=None
        The legend's title; None draws the legend without one.

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
            The axes to draw on; None makes a new figure and axes.

        name : str, default=None
            The legend's title; None takes the display's ``name``.

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
        from matplotlib.ticker import MaxNLocator

        angles = np.asarray(self.alignment_curve, dtype=float)
        if angles.ndim != 2:
            raise ValueError(
                "alignment_curve must have shape (n_epochs, n_hidden_layers); "
                f"got shape {angles.shape}."
            )
        weight_angles = self.weight_alignment_curve
        if weight_angles is not None:
            weight_angles = np.asarray(weight_angles, dtype=float)
            if weight_angles.shape != angles.shape:
                raise ValueError(
                    f"weight_alignment_curve has shape {weight_angles.shape}; it "
                    f"must have alignment_curve's shape {angles.shape}."
                )
        name = self.name if name is None else name
        if ax is None:
            _, ax = plt.subplots()

        epochs = np.arange(1, angles.shape[0] + 1)
        self.lines_ = [
            ax.plot(epochs, column, label=f"hidden layer {i}")[0]
            for i, column in enumerate(angles.T, start=1)
        ]
        self.weight_lines_ = None
        if weight_angles is not None:
            self.weight_lines_ = [
                ax.plot(
                    epochs,
                    column,
                    color=line.get_color(),
                    linestyle="--",
                    label=f"$W_{{{i + 1}}}$ vs $B_{{{i + 1}}}^T$",
                )[0]
                for i, (column, line) in enumerate(
                    zip(weight_angles.T, self.lines_), start=1
                )
            ]
        self.reference_line_ = ax.axhline(90, color="grey", linestyle=":", lw=1)

        ax.set_xlabel("Epoch")
        ax.set_ylabel("Angle to the backprop update (degrees)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ylim is not None:
            ax.set_ylim(ylim)
        ax.legend(title=name)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, ylim=(0, 180)):
        """Plot the alignment angles recorded by a fitted estimator.

        Parameters
        ----------
        estimator : estimator
            A skfa estimator fitted with ``track_alignment=True``, which
            records ``alignment_curve_`` and ``weight_alignment_curve_``.

        ax : matplotlib Axes, default=None
            The axes to draw on; None makes a new figure and axes.

        name : str, default=None
            The legend's title; None takes the estimator's ``feedback``
            parameter (the string, or the rule's class name).

        ylim : tuple of (float, float) or None, default=(0, 180)
            The limits of the y-axis in degrees; None lets matplotlib choose.

        Returns
        -------
        display : AlignmentDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if getattr(estimator, "alignment_curve_", None) is None:
            raise ValueError(
                f"This {type(estimator).__name__} recorded no alignment_curve_: "
                "fit it with track_alignment=True to record the angles."
            )
        display = cls(
            alignment_curve=estimator.alignment_curve_,
            weight_alignment_curve=getattr(estimator, "weight_alignment_curve_", None),
            name=_default_name(estimator) if name is None else name,
        )
        return display.plot(ax=ax, ylim=ylim)
