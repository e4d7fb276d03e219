"""FeedbackAlignmentClassifier: MLPClassifier's interface, any feedback rule."""

import numpy as np
import sklearn
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

from ._backend import float_dtypes, half_to_single, is_numpy, namespace, to_host
from ._base import BaseFeedbackAlignment, parameters
from ._compat import SKLEARN_VERSION, _check_partial_fit_first_call, _fit_context
from ._docs import fill_doc
from ._export import to_mlp


@fill_doc
class FeedbackAlignmentClassifier(ClassifierMixin, BaseFeedbackAlignment):
    """Multi-layer perceptron classifier trained by a feedback rule of your choice.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the same
    parameters, fitted attributes and methods, plus ``feedback`` (how the
    output error reaches the hidden layers: backpropagation, any of the
    feedback-alignment family, or your own rule), ``feedback_init`` and
    ``resample_feedback``. Softmax output with cross-entropy for multiclass,
    logistic outputs with binary cross-entropy for binary and multilabel
    targets; in every case the output error is ``e = (p - Y) / m``.

    Read more in the :ref:`User Guide <rules>`.

    Parameters
    ----------
    {network}
    {parameters}
    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        The class labels (one array per output for multilabel targets).

    {attributes}
    See Also
    --------
    FeedbackAlignmentRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The backpropagation-only original.

    References
    ----------
    Lillicrap, Cownden, Tweed and Akerman (2016), "Random synaptic feedback
    weights support error backpropagation for deep learning", Nature
    Communications 7.

    Nøkland (2016), "Direct Feedback Alignment Provides Learning in Deep Neural
    Networks", NeurIPS.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = FeedbackAlignmentClassifier(feedback="dfa", max_iter=50,
    ...                                   random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        weight_decay=0.0,
        decay_intercepts=False,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        feedback="dfa",
        feedback_init="uniform",
        intercept_init="glorot",
        resample_feedback=False,
        track_alignment=False,
        device="cpu",
        dropout=0.0,
        input_shape=None,
    ):
        super().__init__(**parameters(locals()))

    _score_function = staticmethod(accuracy_score)

    def _output_spec(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax", "log_loss"
        return "logistic", "binary_log_loss"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=float_dtypes(X),
            reset=reset,
        )
        X = half_to_single(X)
        if SKLEARN_VERSION < (1, 8) and not is_numpy(namespace(y)):
            raise ValueError(
                f"{type(self).__name__} under array_api_dispatch needs "
                "scikit-learn >= 1.8, whose LabelBinarizer takes array API "
                f"targets; this is scikit-learn {sklearn.__version__}: pip "
                "install 'scikit-learn>=1.8'."
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)

        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes, known = to_host(unique_labels(y)), to_host(self.classes_)
            if self.warm_start:
                if set(classes) != set(known):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, known, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        # bool keeps float32 data from being upcast; the loop casts to X's dtype
        Y = self._label_binarizer.transform(y)
        xp = namespace(Y)
        return X, xp.astype(Y, xp.bool)

    def _stratify_validation(self, n_outputs):
        return n_outputs == 1

    def _decode_targets(self, y):
        return self._label_binarizer.inverse_transform(y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The class labels, or a label indicator matrix for multilabel.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (and in its output error).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the network with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.
        classes : array of shape (n_classes,), default=None
            All the classes across the calls; required on the first call.

        Returns
        -------
        self : object
            The updated classifier.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _decode(self, out):
        if out.shape[1] == 1:
            out = namespace(out).reshape(out, (-1,))
        return self._label_binarizer.inverse_transform(out)

    def predict(self, X):
        """Predict the classes of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._predict(X)

    def predict_proba(self, X):
        """Class probabilities of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, ordered as in ``classes_``.
        """
        return self._predict_proba(X, "predict_proba")

    def _predict_proba(self, X, method):
        y_pred = self._forward_pass_fast(X, method=method)
        if self.n_outputs_ == 1:
            xp = namespace(y_pred)
            return xp.concat([1 - y_pred, y_pred], axis=1)
        return y_pred

    def predict_log_proba(self, X):
        """Log of the class probabilities of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self._predict_proba(X, "predict_log_proba")
        return namespace(y_prob).log(y_prob)

    def to_mlp(self):
        """Return this fitted classifier as the equivalent fitted ``MLPClassifier``.

        Trained, the network is an ordinary multi-layer perceptron: the
        feedback rule only shaped its training. The returned
        :class:`sklearn.neural_network.MLPClassifier` has this classifier's
        weights and the parameters that MLPClassifier takes, and gives the
        same ``predict``, ``predict_proba`` and ``predict_log_proba``, so the
        tools written for scikit-learn's MLPs take the model: ONNX export with
        skl2onnx (``skl2onnx.to_onnx(mlp, X[:1].astype(np.float32))`` for the
        float32 graph that onnxruntime runs), scikit-learn's inspection tools,
        any code that expects an ``MLPClassifier``.

        Read more in the :ref:`User Guide <export>`.

        Returns
        -------
        mlp : sklearn.neural_network.MLPClassifier
            Fitted, with copies of the weights (NumPy arrays on the host, also
            for a model fitted on a GPU or under array API dispatch), the
            classes and the training record (``loss_curve_``, ``n_iter_``, ...).

        Raises
        ------
        ValueError
            If the network has convolutions or pooling, which an MLP cannot
            hold.
        """
        return to_mlp(self, MLPClassifier)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
