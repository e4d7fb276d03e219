"""The shared base of the estimators: validation, the fit loop, partial_fit.

Data flows one way: the estimator validates, the loop slices a batch, the
forward pass runs, the loss table gives the output error, the feedback rule
maps it to hidden deltas, the deltas become gradients, the optimizer steps.
The rule is the only part that differs between methods.
"""

import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state, gen_batches, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._backend import namespace
from ._forward import OutputError, forward_pass, predict_output
from ._losses import LOSS_FUNCTIONS
from ._optimizers import AdamOptimizer, SGDOptimizer
from .feedback._backprop import BP
from .feedback._base import FeedbackRule, Progress, checked_rule
from .feedback._init import FEEDBACK_INITS, draw_feedback

_STOCHASTIC_SOLVERS = ("sgd", "adam")

#: The dtypes that validation keeps (it converts every other one to float64);
#: :func:`half_to_single` then moves float16 up to float32.
FLOAT_DTYPES = (np.float64, np.float32, np.float16)


def half_to_single(X):
    """float16 data as float32, the lowest precision the network trains in."""
    return X.astype(np.float32) if X.dtype == np.float16 else X


class BaseFeedbackAlignment(BaseEstimator, ABC):
    """Base class of the feedback-alignment estimators; use a subclass."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
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
        "resample_feedback": ["boolean"],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        feedback,
        feedback_init,
        resample_feedback,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.feedback = feedback
        self.feedback_init = feedback_init
        self.resample_feedback = resample_feedback

    # --- what the subclasses define -------------------------------------

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate X and y; return X and a 2-D target array."""

    @abstractmethod
    def _output_spec(self):
        """Return ``(out_activation, loss)``, keys of the activation and loss tables."""

    def _score(self, X, y, sample_weight=None):
        """Validation score for early stopping (higher is better), NaN if diverged."""
        y_pred = self._predict(X, check_input=False)
        if y_pred.dtype.kind == "f" and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    # --- fitting ---------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layer_sizes = self._hidden_layer_widths()
        rule = checked_rule(self.feedback)
        if self.solver == "lbfgs" and not rule.exact_gradient:
            raise ValueError(
                f"solver='lbfgs' needs the exact gradient, which only feedback='bp' "
                f"gives; feedback={self.feedback!r} gives a feedback update that is "
                "not the gradient of any loss, so a line search on it is "
                "meaningless. Use solver='sgd' or 'adam', or feedback='bp'."
            )
        if not hidden_layer_sizes:
            # no hidden layer: every rule gives the output layer its exact
            # gradient, which is what bp computes
            rule = BP()
        if self.resample_feedback and rule.changes_feedback:
            raise ValueError(
                f"resample_feedback=True redraws the feedback matrices at every "
                f"step, but {type(rule).__name__} changes its feedback itself "
                "during training; use one or the other."
            )

        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        xp = namespace(X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [X.shape[1], *hidden_layer_sizes, y.shape[1]]

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, X.dtype)
        elif (fitted := [*(W.shape[0] for W in self.coefs_), self.n_outputs_]) != (
            layer_units
        ):
            raise ValueError(
                f"The network fitted before has layer widths {fitted}; "
                f"this data and hidden_layer_sizes ask for {layer_units}. "
                "Refit without warm_start to change the architecture."
            )
        matrices = self._feedback_for(rule, layer_units, X.dtype, xp, first_pass)

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, y, sample_weight, rule, matrices, incremental)
        else:
            self._fit_lbfgs(
                X, y, sample_weight, rule, rule.prepare_feedback(matrices, xp)
            )

        if not all(
            bool(xp.all(xp.isfinite(w))) for w in self.coefs_ + self.intercepts_
        ):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed, or the learning"
                " rate may be too high."
            )
        return self

    def _hidden_layer_widths(self):
        """``hidden_layer_sizes`` as a list of ints, each checked to be positive."""
        sizes = self.hidden_layer_sizes
        widths = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        for width in widths:
            if isinstance(width, bool) or not isinstance(width, Integral) or width < 1:
                raise ValueError(
                    "hidden_layer_sizes must hold the widths of the hidden layers, "
                    f"positive integers; got hidden_layer_sizes={sizes!r}, whose "
                    f"entry {width!r} is not one."
                )
        return [int(width) for width in widths]

    def _initialize(self, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self._n_epochs = self._n_steps = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_spec()[0]

        # Glorot uniform, drawn exactly as MLPClassifier draws it
        self.coefs_, self.intercepts_ = [], []
        factor = 2.0 if self.activation == "logistic" else 6.0
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            W = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            b = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(W.astype(dtype, copy=False))
            self.intercepts_.append(b.astype(dtype, copy=False))

        # The feedback matrices come from a stream of their own, so that every
        # rule sees the same weights and batches under the same random_state.
        if self.random_state is None or isinstance(self.random_state, Integral):
            self._feedback_seed = self.random_state
        else:
            self._feedback_seed = int(
                self._random_state.randint(np.iinfo(np.int32).max)
            )
        self.feedback_weights_ = []

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _feedback_for(self, rule, layer_units, dtype, xp, first_pass):
        """Draw the rule's matrices if needed; return them keyed by the rule's keys.

        The returned arrays are those of ``feedback_weights_``, so a rule that
        updates them in place updates the fitted model.
        """
        shapes = rule.feedback_shapes(layer_units)
        drawn = [tuple(B.shape) for B in self.feedback_weights_]
        if first_pass or drawn != list(shapes.values()):
            self._feedback_rng = np.random.default_rng(self._feedback_seed)
            self.feedback_weights_ = draw_feedback(
                shapes.values(), self.feedback_init, self._feedback_rng, dtype
            )
        matrices = {
            key: xp.asarray(B, dtype=dtype)
            for key, B in zip(shapes, self.feedback_weights_)
        }
        self.feedback_weights_ = list(matrices.values())
        return matrices

    def _loss_and_gradients(self, X, y, sample_weight, rule, feedback, xp):
        """One forward and feedback pass: the batch loss and the parameter updates.

        Returns the loss and the gradients of the weights, the intercepts and
        the rule's learned feedback; they are fresh arrays that the optimizer
        may consume.
        """
        out_activation, loss_name = self._output_spec()
        forward = forward_pass(
            X, self.coefs_, self.intercepts_, self.activation, out_activation, xp
        )
        out = forward.h[-1]
        n = X.shape[0] if sample_weight is None else xp.sum(sample_weight)
        loss = LOSS_FUNCTIONS[loss_name](y, out, sample_weight, xp)
        flat = [xp.reshape(W, (-1,)) for W in self.coefs_]
        loss = loss + (0.5 * self.alpha) * sum(w @ w for w in flat) / n

        forward.output_error = OutputError(
            out_activation, loss_name, y, sample_weight, n, xp
        )
        error = forward.output_error(out)
        weights = dict(enumerate(self.coefs_, start=1))
        deltas = [*rule.hidden_deltas(forward, error, y, weights, feedback), error]

        coef_grads = [h.T @ delta for h, delta in zip(forward.h, deltas)]
        intercept_grads = [xp.sum(delta, axis=0) for delta in deltas]
        feedback_grads = rule.feedback_gradients(forward, deltas, coef_grads, feedback)
        decay = self.alpha / n
        learned = rule.learned_feedback(feedback)
        for grad, param in zip(coef_grads + feedback_grads, self.coefs_ + learned):
            grad += decay * param
        return loss, coef_grads, intercept_grads, feedback_grads

    def _fit_stochastic(self, X, y, sample_weight, rule, matrices, incremental):
        xp = namespace(X)
        feedback = rule.prepare_feedback(matrices, xp)
        params = self.coefs_ + self.intercepts_ + rule.learned_feedback(feedback)
        progress = Progress(
            epoch=self._n_epochs,
            step=self._n_steps,
            weights=dict(enumerate(self.coefs_, start=1)),
            rng=self._feedback_rng,
            init=self.feedback_init,
        )
        if (
            not incremental
            or not hasattr(self, "_optimizer")
            or self._optimizer.n_params != len(params)
        ):
            # a fresh optimizer, also where partial_fit moved to a rule that
            # trains a different number of arrays (e.g. to 'kp')
            if self.solver == "sgd":
                self._optimizer = SGDOptimizer(
                    params,
                    self.learning_rate_init,
                    self.learning_rate,
                    self.momentum,
                    self.nesterovs_momentum,
                    self.power_t,
                )
            else:
                self._optimizer = AdamOptimizer(
                    params,
                    self.learning_rate_init,
                    self.beta_1,
                    self.beta_2,
                    self.epsilon,
                )

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.early_stopping:
            stratify = y if self._stratify_validation() else None
            arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
            split = train_test_split(
                *arrays,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            X_train, X_val, y_train, y_val = split[:4]
            sample_weight_train, sample_weight_val = (
                split[4:] if sample_weight is not None else (None, None)
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            y_val = self._decode_targets(y_val)
        else:
            X_train, y_train, sample_weight_train = X, y, sample_weight
            X_val = y_val = sample_weight_val = None

        y_train = xp.asarray(y_train, dtype=X.dtype)
        n_samples = X_train.shape[0]
        sample_idx = np.arange(n_samples)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped",
                    stacklevel=2,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                accumulated_loss = 0.0
                for batch_slice in gen_batches(n_samples, batch_size):
                    batch_idx = sample_idx[batch_slice] if self.shuffle else batch_slice
                    sw_batch = (
                        None
                        if sample_weight_train is None
                        else sample_weight_train[batch_idx]
                    )
                    feedback = self._feedback_for_step(
                        rule, matrices, feedback, progress, xp
                    )
                    batch_loss, *grads = self._loss_and_gradients(
                        _safe_indexing(X_train, batch_idx),
                        y_train[batch_idx],
                        sw_batch,
                        rule,
                        feedback,
                        xp,
                    )
                    accumulated_loss += batch_loss * (
                        batch_slice.stop - batch_slice.start
                    )
                    self._optimizer.update_params(
                        params, [g for part in grads for g in part]
                    )
                    self._n_steps += 1

                self._n_epochs += 1
                self.n_iter_ += 1
                self.loss_ = float(accumulated_loss) / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                self._update_no_improvement_count(X_val, y_val, sample_weight_val)
                self._optimizer.iteration_ends(self.t_)

                if self._no_improvement_count > self.n_iter_no_change:
                    if self.early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    if self._optimizer.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter,
                        ConvergenceWarning,
                        stacklevel=2,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=2)

        if self.early_stopping:
            self.coefs_ = self._best_coefs
            self.intercepts_ = self._best_intercepts

    def _feedback_for_step(self, rule, matrices, feedback, progress, xp):
        """The feedback of the next step: redrawn with ``resample_feedback``
        (in place, so ``feedback_weights_`` holds the last draw), then
        refreshed by the rule."""
        progress.epoch, progress.step = self._n_epochs, self._n_steps
        if self.resample_feedback:
            for B in matrices.values():
                B[...] = progress.draw(B)
            feedback = rule.prepare_feedback(matrices, xp)
        return rule.refresh_feedback(feedback, progress)

    def _update_no_improvement_count(self, X_val, y_val, sample_weight_val):
        if self.early_stopping:
            val_score = self._score(X_val, y_val, sample_weight=sample_weight_val)
            self.validation_scores_.append(val_score)
            if self.verbose:
                print("Validation score: %f" % self.validation_scores_[-1])
            if val_score < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if val_score > self.best_validation_score_:
                self.best_validation_score_ = val_score
                self._best_coefs = [W.copy() for W in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _fit_lbfgs(self, X, y, sample_weight, rule, feedback):
        xp = namespace(X)
        y = xp.asarray(y, dtype=X.dtype)
        shapes = [p.shape for p in self.coefs_ + self.intercepts_]
        bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

        def unpack(packed):
            params = [
                xp.asarray(np.reshape(packed[start:stop], shape), dtype=X.dtype)
                for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)
            ]
            n = len(self.coefs_)
            self.coefs_, self.intercepts_ = params[:n], params[n:]

        def loss_and_grad(packed):
            unpack(packed)
            loss, coef_grads, intercept_grads, _ = self._loss_and_gradients(
                X, y, sample_weight, rule, feedback, xp
            )
            grad = np.concatenate(
                [np.ravel(g) for g in coef_grads + intercept_grads]
            ).astype(np.float64)
            return float(loss), grad

        packed = np.concatenate([np.ravel(p) for p in self.coefs_ + self.intercepts_])
        opt_res = scipy.optimize.minimize(
            loss_and_grad,
            packed.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        self.n_iter_ = _check_optimize_result("lbfgs", opt_res, self.max_iter)
        self.loss_ = float(opt_res.fun)
        unpack(opt_res.x)

    # --- prediction --------------------------------------------------------

    def _forward_pass_fast(self, X, check_input=True):
        """The network output for X (validated unless ``check_input=False``)."""
        if check_input:
            X = self._validate_predict_input(X)
        return predict_output(
            X,
            self.coefs_,
            self.intercepts_,
            self.activation,
            self.out_activation_,
            namespace(X),
        )

    def _validate_predict_input(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=FLOAT_DTYPES,
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

    def _stratify_validation(self):
        return False

    def _decode_targets(self, y):
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
