"""skfa: scikit-learn estimators trained without weight transport.

Feedback alignment and its whole family (direct, indirect, blocked, feedback
propagation, the general rule, Kolen-Pollack, weight mirroring, sign symmetry,
target projection), with backpropagation as the baseline, behind
MLPClassifier's interface, plus an autoencoder transformer. The rules
live in :mod:`skfa.feedback`, the MNIST loader in :mod:`skfa.datasets`,
the Displays (matplotlib, optional) in :mod:`skfa.plotting`.
"""

from ._autoencoder import FeedbackAlignmentAutoencoder
from ._classifier import FeedbackAlignmentClassifier
from ._regressor import FeedbackAlignmentRegressor

__version__ = "0.1.0"

__all__ = [
    "FeedbackAlignmentAutoencoder",
    "FeedbackAlignmentClassifier",
    "FeedbackAlignmentRegressor",
]
