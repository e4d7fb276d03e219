"""FeedbackAlignmentAutoencoder: representation learning with any feedback rule."""

from numbers import Integral

from scipy.sparse import issparse
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.metrics import mean_squared_error
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._backend import float_dtypes, half_to_single, namespace
from ._base import BaseFeedbackAlignment, parameters
from ._compat import Interval, StrOptions, _fit_context
from ._docs import fill_doc
from .nn.build import check_hidden_layers
from .nn.build import n_hidden as count_hidden
from .nn.dense import as_rows
from .nn.forward import predict_output


def _negative_mse(X, X_hat, sample_weight=None):
    """Minus the mean squared reconstruction error: higher is better."""
    return -mean_squared_error(X, X_hat, sample_weight=sample_weight)


@fill_doc
class FeedbackAlignmentAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseFeedbackAlignment
):
    """Autoencoder trained by a feedback rule of your choice, as a transformer.

    The network maps X through the hidden layers back to X; every feedback
    rule trains it (the targets are the inputs), as in the general
    feedback-alignment update rule's experiment 3 (784-128-128-784 MNIST
    autoencoders trained with DFA and s1-s3).
    ``transform`` returns the activations of the code layer, so the
    autoencoder can stand in front of any estimator in a ``Pipeline``;
    ``inverse_transform`` decodes codes, so that, as for scikit-learn's
    transformers (``PCA``), ``inverse_transform(transform(X))`` reconstructs X;
    there is no ``predict``.

    Every rule of :mod:`skfa.feedback` trains it but 'drtp': target projection
    sends the targets, here the inputs themselves, which carry no sign of the
    error, so it learns little (the user guide has the figures). At the same
    epoch budget the feedback rules reconstruct less well than 'bp', as the
    paper observes, and the gap grows with depth and with how well 'bp'
    does.

    Read more in the :ref:`User Guide <choosing-autoencoders>`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(128, 128)
        The widths of the hidden layers, encoder and decoder together; the
        output layer has as many units as X has features.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Hidden activation ``f``.

    out_activation : {'identity', 'logistic'}, default='identity'
        Output activation. 'identity' suits any real data; 'logistic' keeps
        reconstructions in (0, 1), for data scaled there such as images.

    loss : {'squared_error', 'binary_log_loss'}, default='squared_error'
        The reconstruction loss, per sample summed over features and averaged
        over samples:

        - 'squared_error': ``0.5 * sum_j (x_hat_j - x_j)**2``. With an identity
          output the output error is ``e = (x_hat - x) / m``; with a logistic
          output, the paper's ``e = (x_hat - x) * x_hat * (1 - x_hat) / m``.
        - 'binary_log_loss': ``-sum_j [x_j log x_hat_j + (1 - x_j)
          log(1 - x_hat_j)]``, for data in [0, 1] and a logistic output only;
          ``e = (x_hat - x) / m``.

    code_layer : int, default=None
        Index into ``hidden_layer_sizes`` of the layer that ``transform``
        returns (negative indices count from the end). None picks the middle
        hidden layer, ``(n_hidden - 1) // 2``: for an even number of hidden
        layers, the last one of the encoder half.

    {parameters}
    Attributes
    ----------
    code_layer_ : int
        The index, into ``hidden_layer_sizes``, of the code layer.

    {attributes}
    See Also
    --------
    FeedbackAlignmentClassifier : The same network for classification.
    sklearn.decomposition.PCA : The linear counterpart.

    References
    ----------
    A workshop paper proposing a general feedback-alignment update rule (its
    text names no authors, year or venue): experiment 3.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = FeedbackAlignmentAutoencoder(hidden_layer_sizes=(64, 16, 64),
    ...                                   out_activation="logistic",
    ...                                   max_iter=50, random_state=0)
    >>> codes = ae.fit_transform(X / 16)
    >>> codes.shape
    (1797, 16)
    >>> ae.inverse_transform(codes).shape
    (1797, 64)
    """

    _parameter_constraints: dict = {
        **BaseFeedbackAlignment._parameter_constraints,
        "out_activation": [StrOptions({"identity", "logistic"})],
        "loss": [StrOptions({"squared_error", "binary_log_loss"})],
        "code_layer": [Interval(Integral, None, None, closed="neither"), None],
    }
    _score_function = staticmethod(_negative_mse)

    def __init__(
        self,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        *,
        out_activation="identity",
        loss="squared_error",
        code_layer=None,
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
        return self.out_activation, self.loss

    def _fit(self, X, y, sample_weight=None, incremental=False):
        # the code layer is published with the rest, once the fit succeeded:
        # a refused call leaves the fitted one
        code_layer = self._code_layer()
        super()._fit(X, y, sample_weight=sample_weight, incremental=incremental)
        self.code_layer_ = code_layer
        return self

    def _code_layer(self):
        """``code_layer`` as an index in 0 .. n_hidden - 1, checked."""
        n_hidden = count_hidden(check_hidden_layers(self.hidden_layer_sizes))
        if not n_hidden:
            raise ValueError(
                f"{type(self).__name__} needs at least one hidden layer, its code "
                f"layer; got hidden_layer_sizes={self.hidden_layer_sizes!r}."
            )
        code_layer = (n_hidden - 1) // 2 if self.code_layer is None else self.code_layer
        if not -n_hidden <= code_layer < n_hidden:
            raise ValueError(
                f"code_layer={self.code_layer} is out of range for "
                f"{n_hidden} hidden layer(s): use -{n_hidden} to {n_hidden - 1}."
            )
        return code_layer % n_hidden

    def _validate_input(self, X, y, incremental, reset):
        if self.loss == "binary_log_loss" and self.out_activation != "logistic":
            raise ValueError(
                "loss='binary_log_loss' needs out_activation='logistic' (its "
                f"reconstructions must lie in (0, 1)); got {self.out_activation!r}."
            )
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=float_dtypes(X),
            reset=reset,
        )
        X = half_to_single(X)
        if self.loss == "binary_log_loss":
            xp = namespace(X)
            low, high = (X.min(), X.max()) if issparse(X) else (xp.min(X), xp.max(X))
            if low < 0 or high > 1:
                raise ValueError(
                    "loss='binary_log_loss' needs X in [0, 1] (its targets are "
                    f"probabilities); X has values from {float(low):g} to "
                    f"{float(high):g}. Scale X, e.g. with MinMaxScaler, or use "
                    "loss='squared_error'."
                )
        # the targets are the inputs, dense (the output error needs them so)
        return X, X.toarray() if hasattr(X, "toarray") else X

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder to reconstruct X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored; present for the Pipeline API.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The fitted autoencoder.
        """
        return self._fit(X, None, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the autoencoder with one epoch over X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated autoencoder.
        """
        return self._fit(X, None, sample_weight=sample_weight, incremental=True)

    @property
    def _n_features_out(self):
        return self._network.layers[self.code_layer_ + 1].n_out

    def transform(self, X):
        """Encode X: the activations of the code layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_codes)
            ``h_k`` for the code layer k (``code_layer_``), ``n_codes`` its width.
        """
        X = self._validate_predict_input(X, "transform")
        codes = predict_output(
            self._network,
            X,
            self.coefs_,
            self.intercepts_,
            namespace(X),
            last=self.code_layer_ + 1,
        )
        return as_rows(codes)

    def inverse_transform(self, X):
        """Decode codes into reconstructions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_codes)
            Codes, as ``transform`` returns them.

        Returns
        -------
        X_original : ndarray of shape (n_samples, `n_features_in_`)
            The reconstructions.
        """
        check_is_fitted(self)
        codes = half_to_single(check_array(X, dtype=float_dtypes(X)))
        if codes.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {codes.shape[1]} features, but the code layer of "
                f"{type(self).__name__} has {self._n_features_out} units."
            )
        return predict_output(
            self._network,
            codes,
            self.coefs_,
            self.intercepts_,
            namespace(codes),
            first=self.code_layer_ + 2,
        )

    def score(self, X, y=None, sample_weight=None):
        """Return minus the mean squared reconstruction error.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            ``-mean((X - X_hat)**2)`` with ``X_hat =
            inverse_transform(transform(X))``: 0 is a perfect reconstruction.
        """
        X = self._validate_predict_input(X, "score")
        X_hat = self._predict(X, check_input=False)
        X = X.toarray() if hasattr(X, "toarray") else X
        return _negative_mse(X, X_hat, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
