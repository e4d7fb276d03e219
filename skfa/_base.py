"""The shell of the estimators: validate, build or adopt the state, run the
fit, publish.

A fit works on one :class:`~skfa.train.state.TrainState` (:mod:`skfa.train`);
the network is :mod:`skfa.nn`'s; :mod:`skfa._fitted` moves the record of a
fit between the state and the fitted attributes.

Data flows one way: the estimator validates, the loop slices a batch, the
forward pass runs, the loss table gives the output error, the feedback rule
maps it to hidden deltas, the deltas become gradients, the optimizer steps.
The rule is the only part that differs between methods.
"""

import warnings
from abc import ABC, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backend import (
    check_same_namespace,
    compute_namespace,
    device_scope,
    float_dtypes,
    half_to_single,
    move,
    namespace,
    to_host,
)
from ._compat import HasMethods, Interval, Options, StrOptions, _check_sample_weight
from ._fitted import check_architecture, optimizer_for, publish, start_state
from ._threads import splitting
from .feedback._backprop import BP
from .feedback._base import (
    FeedbackRule,
    check_rule_classes,
    checked_rule,
    named_rules_as_objects,
    restore_rules,
    runtime_rules,
)
from .feedback._init import FEEDBACK_INITS
from .nn.build import (
    build_network,
    check_hidden_layers,
    check_input_shape,
    check_rows,
    n_hidden,
)
from .nn.dropout import dropout_rates
from .nn.forward import predict_output
from .schedules import SCHEDULES, LearningRateSchedule
from .train.batches import validation_split
from .train.lbfgs import fit_lbfgs
from .train.loop import Data, Settings, Validation, fit_stochastic
from .train.step import Model

_STOCHASTIC_SOLVERS = ("sgd", "adam")


def parameters(local_variables):
    """The parameters of an ``__init__``, from its ``locals()``."""
    return {
        name: value
        for name, value in local_variables.items()
        if name not in ("self", "__class__")
    }


class BaseFeedbackAlignment(BaseEstimator, ABC):
    """Base class of the feedback-alignment estimators; use a subclass."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            # a single layer object: refused with a hint in check_hidden_layers
            HasMethods(["build"]),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "decay_intercepts": ["boolean"],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [
            StrOptions({"constant", "invscaling", "adaptive", *SCHEDULES}),
            LearningRateSchedule,
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "feedback": [str, FeedbackRule],
        "feedback_init": [StrOptions(set(FEEDBACK_INITS)), callable],
        "intercept_init": [StrOptions({"glorot", "zeros"})],
        "resample_feedback": ["boolean"],
        "track_alignment": ["boolean"],
        "device": [str],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_shape": [None, "array-like"],
    }

    @abstractmethod
    def __init__(self, **params):
        # each subclass lists the parameters in its signature (scikit-learn
        # reads them there) and hands them here, stored as given
        for name, value in params.items():
            setattr(self, name, value)

    def _validate_params(self):
        check_rule_classes(self)
        super()._validate_params()

    def set_params(self, **params):
        """Set the parameters; see :meth:`sklearn.base.BaseEstimator.set_params`.

        Nested parameters of a rule or a schedule given by name are accepted
        as for the object: with ``feedback="bdfa"``, ``feedback__block_size=5``
        sets ``feedback`` to ``BlockedDFA(block_size=5)``; with
        ``learning_rate="step"``, ``learning_rate__factor=0.5`` sets
        ``learning_rate`` to ``StepDecay(factor=0.5)``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and ``feedback__<param>`` for the rule's.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        params = named_rules_as_objects(self, params)
        if any(key.startswith("learning_rate__") for key in params):
            named = params.get("learning_rate", self.learning_rate)
            if isinstance(named, str) and named in SCHEDULES:
                params["learning_rate"] = SCHEDULES[named]()
        return super().set_params(**params)

    def __getstate__(self):
        state = super().__getstate__()
        # a rule registered at run time travels with the model: joblib's
        # workers and fresh processes do not run the register call
        rules = runtime_rules(self)
        if rules:
            state["_runtime_rules"] = rules
        return state

    def __setstate__(self, state):
        restore_rules(state.pop("_runtime_rules", {}))
        super().__setstate__(state)

    # --- what the subclasses define -------------------------------------

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate X and y; return X and a 2-D target array."""

    @abstractmethod
    def _output_spec(self):
        """Return ``(out_activation, loss)``, keys of the activation and loss tables."""

    def _decode(self, out):
        """The predictions for network outputs ``out`` (by default the outputs)."""
        return out

    def _to_input(self, array):
        """``array``, computed during fit, where the inputs and outputs live.

        The host for ``device='cuda'``; otherwise the fit computed there.
        """
        return array if self.device == "cpu" else to_host(array)

    def _score_outputs(self, out, y, sample_weight=None):
        """Validation score of network outputs ``out`` for early stopping
        (higher is better), NaN if they diverged."""
        y_pred = self._decode(self._to_input(out))
        xp = namespace(y_pred)
        if xp.isdtype(y_pred.dtype, "real floating") and not bool(
            xp.all(xp.isfinite(y_pred))
        ):
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    # --- fitting: validate, build or adopt the state, run, publish -------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layers, rule, rates = self._check_setup()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        check_rows(X)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        xp, device = compute_namespace(X, self.device)
        with self._computing_on(xp, device):
            # with device='cuda', the one copy of the data to the GPU
            X, y, sample_weight = move([X, y, sample_weight], xp, device)
            if y.ndim == 1:
                y = xp.reshape(y, (-1, 1))
            network = self._network_for(hidden_layers, rates, rule, X, y)
            if not first_pass:
                check_architecture(self, network)
                self._place_state(xp, device)
            state, drawn = start_state(self, network, rule, X, first_pass, xp)
            model = Model(
                *self._output_spec(),
                self.alpha,
                self.weight_decay,
                self.decay_intercepts,
            )
            stochastic = self.solver in _STOCHASTIC_SOLVERS
            data = self._data_for(X, y, sample_weight, state.rng, xp, device)
            with splitting(network, xp):  # a convolution's batch over the cores
                if stochastic:
                    state.optimizer = optimizer_for(self, state, incremental)
                    # overflow is caught once per epoch, as divergence: no warning
                    # per batch
                    with np.errstate(over="ignore", invalid="ignore"):
                        best = fit_stochastic(
                            state, model, data, self._settings(incremental)
                        )
                else:
                    best = None
                    options = {"maxfun": self.max_fun, "maxiter": self.max_iter}
                    fit_lbfgs(state, model, data, {**options, "gtol": self.tol})
            state.network.release()
            if not all(bool(xp.all(xp.isfinite(w))) for w in state.params()):
                raise ValueError(
                    "Solver produced non-finite parameter weights. The input data may"
                    " contain large values and need to be preprocessed, or the learning"
                    " rate may be too high."
                )
            publish(self, state, best, stochastic)
            self._feedback_kind, self._feedback_seed = drawn
            self.out_activation_ = model.out_activation
        return self

    def _check_setup(self):
        """The hidden layers, the rule and the dropout rates, checked against
        the solver; a clear error for what cannot go together."""
        hidden_layers = check_hidden_layers(self.hidden_layer_sizes)
        rule = checked_rule(self.feedback)
        stochastic = self.solver in _STOCHASTIC_SOLVERS
        if self.solver == "lbfgs" and not rule.exact_gradient:
            raise ValueError(
                f"solver='lbfgs' needs the exact gradient, which only feedback='bp' "
                "(and 'shallow', for the output layer it trains) gives; "
                f"feedback={self.feedback!r} gives a feedback update that is "
                "not the gradient of any loss, so a line search on it is "
                "meaningless. Use solver='sgd' or 'adam', or feedback='bp'."
            )
        rates = dropout_rates(self.dropout, n_hidden(hidden_layers))
        if any(rates) and not stochastic:
            raise ValueError(
                f"dropout={self.dropout!r} draws new masks at every step of a "
                f"stochastic solver; solver={self.solver!r} evaluates one fixed "
                "loss, which random masks would make a moving target. Use "
                "solver='sgd' or 'adam', or dropout=0."
            )
        if self.track_alignment and not stochastic:
            raise ValueError(
                "track_alignment=True measures the alignment after every epoch "
                f"of a stochastic solver; solver={self.solver!r} has no epochs. "
                "Use solver='sgd' or 'adam'."
            )
        if not n_hidden(hidden_layers):
            # no hidden layer: every rule gives the output layer its exact
            # gradient, which is what bp computes
            rule = BP()
        if self.resample_feedback and rule.changes_feedback:
            raise ValueError(
                f"resample_feedback=True redraws the feedback matrices at every "
                f"step, but {type(rule).__name__} changes its feedback itself "
                "during training; use one or the other."
            )
        return hidden_layers, rule, rates

    def _network_for(self, hidden_layers, rates, rule, X, y):
        """The network that ``hidden_layer_sizes`` and the data ask for."""
        input_shape = check_input_shape(self.input_shape, hidden_layers, X.shape[1])
        spec = (self._output_spec()[0], rates)
        network = build_network(
            hidden_layers, input_shape, X.shape[1], y.shape[1], self.activation, spec
        )
        if network.stateful_stages() and self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                f"BatchNorm normalises each batch by its own statistics; "
                f"solver={self.solver!r} evaluates one fixed loss on the whole "
                "data. Use solver='sgd' or 'adam'."
            )
        if self.resample_feedback and not rule.feedback_shapes(network):
            warnings.warn(
                "resample_feedback=True redraws the feedback matrices at "
                f"every step, but feedback={self.feedback!r} has none on "
                "this network: it changes nothing.",
                UserWarning,
                stacklevel=4,
            )
        return network

    def _data_for(self, X, y, sample_weight, rng, xp, device):
        """The training data of the loop: targets in X's dtype, the training
        rows and validation set of ``early_stopping``, the batch size."""
        rows = validation = None
        if self.early_stopping and self.solver in _STOCHASTIC_SOLVERS:
            rows, (X_val, y_val, sw_val) = validation_split(
                X,
                y,
                sample_weight,
                self.validation_fraction,
                rng,
                self._stratify_validation(y.shape[1]),
                xp,
                device,
            )
            y_val = self._decode_targets(self._to_input(y_val))
            sw_val = self._to_input(sw_val)
            if sw_val is not None and not bool(namespace(sw_val).any(sw_val)):
                raise ValueError(
                    "The sample weights of the validation rows of early_stopping "
                    "sum to 0, so no validation score exists. Raise "
                    "validation_fraction, or give more rows a weight."
                )
            validation = Validation(X_val, y_val, sw_val, self._score_outputs)
        n_samples = X.shape[0] if rows is None else rows.shape[0]
        y = xp.asarray(y, dtype=X.dtype)
        return Data(X, y, sample_weight, rows, validation, self._batch_size(n_samples))

    def _settings(self, incremental):
        return Settings(
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping,
            shuffle=self.shuffle,
            verbose=self.verbose,
            track_alignment=self.track_alignment,
            incremental=incremental,
            learning_rate_init=self.learning_rate_init,
            feedback_init=self.feedback_init,
        )

    @contextmanager
    def _computing_on(self, xp, device):
        """Make ``device`` current while fitting; with ``device='cuda'``, bring
        the fitted arrays back to the host afterwards, so that the model
        pickles and predicts without CuPy."""
        with device_scope(xp, device):
            try:
                yield
            finally:
                if self.device != "cpu":
                    self._place_state(np, None)

    def _place_state(self, xp, device):
        """Move the fitted arrays and the optimizer's state to ``xp`` on ``device``."""
        for name in (
            "coefs_",
            "intercepts_",
            "feedback_weights_",
            "_best_coefs",
            "_best_intercepts",
        ):
            if hasattr(self, name):
                setattr(self, name, move(getattr(self, name), xp, device))
        if hasattr(self, "_optimizer"):
            self._optimizer.place(xp, device)
        if hasattr(self, "_network"):
            self._network.place(lambda arrays: move(arrays, xp, device))

    def _batch_size(self, n_samples):
        """``batch_size`` for ``n_samples`` training rows, as MLPClassifier
        clips it."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=5,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    # --- prediction --------------------------------------------------------

    def _predict(self, X, check_input=True):
        return self._decode(self._forward_pass_fast(X, check_input=check_input))

    def _forward_pass_fast(self, X, check_input=True, method="predict"):
        """The network output for X (validated for ``method`` unless
        ``check_input=False``)."""
        if check_input:
            X = self._validate_predict_input(X, method)
        return predict_output(
            self._network, X, self.coefs_, self.intercepts_, namespace(X)
        )

    @property
    def _input_weights(self):
        # W_1: predict's input must share its namespace and device
        return self.coefs_[0]

    def _validate_predict_input(self, X, method):
        check_is_fitted(self)
        check_rows(X)
        check_same_namespace(X, self, attribute="_input_weights", method=method)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=float_dtypes(X),
            reset=False,
        )
        return half_to_single(X)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    def _stratify_validation(self, n_outputs):
        return False

    def _decode_targets(self, y):
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags
