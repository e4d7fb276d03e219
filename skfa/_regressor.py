"""FeedbackAlignmentRegressor: MLPRegressor's interface, any feedback rule."""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d, validate_data

from ._backend import float_dtypes, half_to_single, namespace
from ._base import BaseFeedbackAlignment, parameters
from ._compat import StrOptions, _fit_context
from ._docs import fill_doc
from ._export import to_mlp


@fill_doc
class FeedbackAlignmentRegressor(RegressorMixin, BaseFeedbackAlignment):
    """Multi-layer perceptron regressor trained by a feedback rule of your choice.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`: the same
    parameters, fitted attributes and methods, plus ``feedback``,
    ``feedback_init`` and ``resample_feedback``.

    Read more in the :ref:`User Guide <rules>`.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error': identity output, loss ``0.5 * mean (y - y_hat)**2``,
        output error ``e = (y_hat - y) / m``. 'poisson': exponential output,
        loss the half Poisson deviance, output error ``e = (y_hat - y) / m``
        (the canonical link); targets must be non-negative.

    {network}
    {parameters}
    Attributes
    ----------
    {attributes}
    See Also
    --------
    FeedbackAlignmentClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The backpropagation-only original.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skfa import FeedbackAlignmentRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=1.0,
    ...                        random_state=0)
    >>> reg = FeedbackAlignmentRegressor(feedback="fa", learning_rate_init=0.01,
    ...                                  max_iter=300, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseFeedbackAlignment._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }
    _score_function = staticmethod(r2_score)

    def __init__(
        self,
        loss="squared_error",
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

    def _output_spec(self):
        if self.loss == "poisson":
            return "exp", "poisson"
        return "identity", "squared_error"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=float_dtypes(X),
            reset=reset,
        )
        X = half_to_single(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and bool(namespace(y).any(y < 0)):
            raise ValueError("loss='poisson' requires non-negative y.")
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (and in its output error).

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated regressor.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _decode(self, out):
        if out.shape[1] == 1:
            return namespace(out).reshape(out, (-1,))
        return out

    def predict(self, X):
        """Predict the targets of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._predict(X)

    def to_mlp(self):
        """Return this fitted regressor as the equivalent fitted ``MLPRegressor``.

        Trained, the network is an ordinary multi-layer perceptron: the
        feedback rule only shaped its training. The returned
        :class:`sklearn.neural_network.MLPRegressor` has this regressor's
        weights and the parameters that MLPRegressor takes (``loss``
        included), and gives the same ``predict``, so the tools written for
        scikit-learn's MLPs take the model: ONNX export with skl2onnx
        (``skl2onnx.to_onnx(mlp, X[:1].astype(np.float32))`` for a float32
        graph), scikit-learn's inspection tools, any code that expects an
        ``MLPRegressor``.

        Read more in the :ref:`User Guide <export>`.

        Returns
        -------
        mlp : sklearn.neural_network.MLPRegressor
            Fitted, with copies of the weights (NumPy arrays on the host, also
            for a model fitted on a GPU or under array API dispatch) and the
            training record (``loss_curve_``, ``n_iter_``, ...).

        Raises
        ------
        ValueError
            If the network has convolutions or pooling, which an MLP cannot
            hold.
        """
        return to_mlp(self, MLPRegressor)
