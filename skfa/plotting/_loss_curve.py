"""LossCurveDisplay: training loss (and validation score) per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._compat import _validate_style_kwargs
from ._base import _named_estimators, check_matplotlib_support


class LossCurveDisplay:
    """Training loss per epoch, and validation score with early stopping.

    One line per estimator shows ``loss_curve_`` against the epoch; where the
    estimator was fitted with ``early_stopping=True``, its ``validation_scores_``
    are drawn dashed, in the same colour, on a twin y-axis. Several estimators
    on one axes compare the rules' training speed. On a figure of its own
    (no ``ax`` given), several curves get a figure sized by their number and
    the legend outside the axes, at their right, so that it covers no curve.

    It is recommended to build the display with
    :meth:`LossCurveDisplay.from_estimator`; all parameters are stored as
    attributes.

    Parameters
    ----------
    loss_curves : list of array-like of shape (n_epochs,)
        The training loss after each epoch, one array per curve.

    validation_scores : list of (array-like of shape (n_epochs,) or None), \
            default=None
        The validation score after each epoch, one entry per curve (None for a
        curve without); None draws no validation score.

    names : list of str, default=None
        The legend names of the curves; None draws no legend.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The training-loss lines, one per curve.

    validation_lines_ : list of (matplotlib Line2D or None)
        The validation-score lines, one per curve (None for a curve without).

    ax_ : matplotlib Axes
        The axes of the training loss.

    ax_validation_ : matplotlib Axes or None
        The twin axes of the validation scores; None if no curve has them.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    AlignmentDisplay : Angles between the feedback updates and backprop's.
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        training-set size.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentClassifier
    >>> from skfa.plotting import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> models = {
    ...     rule: FeedbackAlignmentClassifier(
    ...         (32,), feedback=rule, max_iter=10, random_state=0
    ...     ).fit(X / 16, y)
    ...     for rule in ["bp", "dfa"]
    ... }
    >>> disp = LossCurveDisplay.from_estimator(models)
    >>> [line.get_label() for line in disp.lines_]
    ['bp', 'dfa']
    >>> plt.close(disp.figure_)
    """

    def __init__(self, loss_curves, *, validation_scores=None, names=None):
        self.loss_curves = loss_curves
        self.validation_scores = validation_scores
        self.names = names

    def plot(self, ax=None, *, line_kwargs=None, validation_line_kwargs=None):
        """Plot the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            The axes to draw on; None makes a new figure and axes.

        line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the training-loss
            lines.

        validation_line_kwargs : dict, default=None
            Keyword arguments of matplotlib's ``plot`` for the validation-score
            lines (by default dashed, in the colour of their loss line).

        Returns
        -------
        display : LossCurveDisplay
            The display, with the drawn artists in its attributes.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        n_curves = len(self.loss_curves)
        names = [None] * n_curves if self.names is None else list(self.names)
        validation = self.validation_scores
        validation = [None] * n_curves if validation is None else list(validation)
        if not len(names) == len(validation) == n_curves:
            raise ValueError(
                f"Got {n_curves} loss curves, {len(validation)} validation "
                f"score entries and {len(names)} names; give one of each per curve."
            )
        has_validation = any(scores is not None for scores in validation)
        # several curves on a figure of their own: the legend goes outside
        outside = ax is None and n_curves > 1 and self.names is not None
        if outside:
            entries = n_curves + sum(scores is not None for scores in validation)
            _, ax = plt.subplots(
                figsize=(6.4 + 1.8 + 0.8 * has_validation, max(4.0, 0.3 * entries + 1)),
                layout="constrained",
            )
        elif ax is None:
            _, ax = plt.subplots()

        self.lines_ = []
        for curve, name in zip(self.loss_curves, names):
            curve = np.asarray(curve, dtype=float)
            kwargs = _validate_style_kwargs({"label": name}, line_kwargs or {})
            self.lines_.extend(ax.plot(np.arange(1, curve.size + 1), curve, **kwargs))

        self.ax_validation_ = ax.twinx() if has_validation else None
        self.validation_lines_ = []
        for scores, line, name in zip(validation, self.lines_, names):
            if scores is None:
                self.validation_lines_.append(None)
                continue
            scores = np.asarray(scores, dtype=float)
            default = {
                "color": line.get_color(),
                "linestyle": "--",
                "label": "validation" if name is None else f"{name} (validation)",
            }
            kwargs = _validate_style_kwargs(default, validation_line_kwargs or {})
            self.validation_lines_.extend(
                self.ax_validation_.plot(
                    np.arange(1, scores.size + 1), scores, **kwargs
                )
            )

        ax.set_xlabel("Epoch")
        ax.set_ylabel("Training loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        top = ax
        if has_validation:
            self.ax_validation_.set_ylabel("Validation score")
            top = self.ax_validation_
        if self.names is not None:
            handles = [
                line
                for line in self.lines_ + self.validation_lines_
                if line is not None
            ]
            # on the top axes, so that no line of the other covers the legend
            if outside:  # at the right of the axes (and of the twin's labels)
                top.legend(
                    handles=handles,
                    loc="upper left",
                    bbox_to_anchor=(1.2 if has_validation else 1.03, 1.0),
                    borderaxespad=0.0,
                )
            else:
                top.legend(handles=handles)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the loss curves of fitted estimators.

        Parameters
        ----------
        estimator : estimator, list of estimators or dict
            One fitted estimator with ``loss_curve_`` (any skfa estimator, or
            scikit-learn's MLPs, fitted with solver 'sgd' or 'adam'), a list
            of them, or a dict mapping names to them. A fitted Pipeline
            stands for its final step.

        ax : matplotlib Axes, default=None
            The axes to draw on; None makes a new figure and axes.

        name : str or list of str, default=None
            The legend name of the estimator (a list for a list of
            estimators). None names each by its ``feedback`` parameter: the
            string, or the rule's class name, or for an estimator without one
            its class name. Must be None for a dict, whose keys are the names.

        **kwargs : dict
            Keyword arguments of :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        names, estimators, _ = _named_estimators(estimator, name)

        loss_curves, validation_scores = [], []
        for est, est_name in zip(estimators, names):
            check_is_fitted(est)
            solver = getattr(est, "solver", None)
            if solver == "lbfgs" or getattr(est, "loss_curve_", None) is None:
                raise ValueError(
                    f"{est_name!r} has no loss curve: estimators record the loss "
                    "per epoch only with solver='sgd' or 'adam', and this one was "
                    f"fitted with solver={solver!r}."
                )
            loss_curves.append(est.loss_curve_)
            validation_scores.append(getattr(est, "validation_scores_", None))
        display = cls(loss_curves, validation_scores=validation_scores, names=names)
        return display.plot(ax=ax, **kwargs)
