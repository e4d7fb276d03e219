"""The shared base of the estimators: validation, the training step, partial_fit.

The parts of a stochastic fit around the step (the feedback's state, the
batches, the divergence guard, the stopping rule, the alignment tracker) are
objects of :mod:`skfa.train.fit`.

Data flows one way: the estimator validates, the loop slices a batch, the
forward pass runs, the loss table gives the output error, the feedback rule
maps it to hidden deltas, the deltas become gradients, the optimizer steps.
The rule is the only part that differs between methods.
"""

import time
import warnings
from abc import ABC, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backend import (
    asarray_like,
    check_same_namespace,
    compute_namespace,
    device_scope,
    float_dtypes,
    half_to_single,
    move,
    namespace,
    namespace_and_device,
    take_rows,
    to_host,
)
from ._compat import (
    Interval,
    Options,
    StrOptions,
    _check_optimize_result,
    _check_sample_weight,
)
from .feedback._backprop import BP
from .feedback._base import (
    FeedbackRule,
    _in_skfa,
    check_rule_classes,
    checked_rule,
    named_rules_as_objects,
    restore_rules,
    rule_kind,
    runtime_rules,
)
from .feedback._init import FEEDBACK_INITS, draw_feedback
from .nn.build import build_network, check_hidden_layers, check_input_shape, n_hidden
from .nn.dropout import Masks, dropout_rates
from .nn.forward import OutputError, forward_pass, predict_output
from .nn.losses import LOSS_FUNCTIONS
from .nn.network import Step
from .train.fit import (
    AlignmentTracker,
    Batches,
    DivergenceGuard,
    FeedbackState,
    Stopping,
    validation_split,
)
from .train.optimizers import AdamOptimizer, SGDOptimizer
from .train.progress import EpochReport

_STOCHASTIC_SOLVERS = ("sgd", "adam")


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
        "track_alignment": ["boolean"],
        "device": [str],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_shape": [None, "array-like"],
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
        track_alignment,
        device,
        dropout,
        input_shape,
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
        self.track_alignment = track_alignment
        self.device = device
        self.dropout = dropout
        self.input_shape = input_shape

    def _validate_params(self):
        check_rule_classes(self)
        super()._validate_params()

    def set_params(self, **params):
        """Set the parameters; see :meth:`sklearn.base.BaseEstimator.set_params`.

        Nested parameters of a rule given by name are accepted as for the
        rule object: with ``feedback="bdfa"``, ``feedback__block_size=5`` sets
        ``feedback`` to ``BlockedDFA(block_size=5)``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and ``feedback__<param>`` for the rule's.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        return super().set_params(**named_rules_as_objects(self, params))

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

    def _score(self, X, y, sample_weight=None):
        """Validation score for early stopping (higher is better), NaN if diverged."""
        out = self._forward_pass_fast(X, check_input=False)
        y_pred = self._decode(self._to_input(out))
        xp = namespace(y_pred)
        if xp.isdtype(y_pred.dtype, "real floating") and not bool(
            xp.all(xp.isfinite(y_pred))
        ):
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    # --- fitting ---------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layers = check_hidden_layers(self.hidden_layer_sizes)
        rule = checked_rule(self.feedback)
        if self.solver == "lbfgs" and not rule.exact_gradient:
            raise ValueError(
                f"solver='lbfgs' needs the exact gradient, which only feedback='bp' "
                f"gives; feedback={self.feedback!r} gives a feedback update that is "
                "not the gradient of any loss, so a line search on it is "
                "meaningless. Use solver='sgd' or 'adam', or feedback='bp'."
            )
        rates = dropout_rates(self.dropout, n_hidden(hidden_layers))
        if any(rates) and self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                f"dropout={self.dropout!r} draws new masks at every step of a "
                f"stochastic solver; solver={self.solver!r} evaluates one fixed "
                "loss, which random masks would make a moving target. Use "
                "solver='sgd' or 'adam', or dropout=0."
            )
        if self.track_alignment and self.solver not in _STOCHASTIC_SOLVERS:
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

        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        xp, device = compute_namespace(X, self.device)
        with self._computing_on(xp, device):
            # with device='cuda', the one copy of the data to the GPU
            X, y, sample_weight = move([X, y, sample_weight], xp, device)
            if y.ndim == 1:
                y = xp.reshape(y, (-1, 1))
            input_shape = check_input_shape(self.input_shape, hidden_layers, X.shape[1])
            network = build_network(
                hidden_layers,
                input_shape,
                X.shape[1],
                y.shape[1],
                self.activation,
                (self._output_spec()[0], rates),
            )
            if network.batchnorms() and self.solver not in _STOCHASTIC_SOLVERS:
                raise ValueError(
                    f"BatchNorm normalises each batch by its own statistics; "
                    f"solver={self.solver!r} evaluates one fixed loss on the whole "
                    "data. Use solver='sgd' or 'adam'."
                )

            self._random_state = check_random_state(self.random_state)
            if first_pass:
                self._initialize(network, X)
            else:
                self._complete_state(network)
                self._place_state(xp, device)
            self._network.init_stages(X)
            matrices = self._feedback_for(rule, self._network, X, first_pass)
            self._masks = Masks(self._dropout_rng)

            if self.solver in _STOCHASTIC_SOLVERS:
                # overflow is caught once per epoch, as divergence: no warning
                # per batch
                with np.errstate(over="ignore", invalid="ignore"):
                    self._fit_stochastic(
                        X, y, sample_weight, rule, matrices, incremental
                    )
            else:
                self._fit_lbfgs(
                    X, y, sample_weight, rule, rule.prepare_feedback(matrices, xp)
                )

            self._network.release()
            if not all(
                bool(xp.all(xp.isfinite(w))) for w in self.coefs_ + self.intercepts_
            ):
                raise ValueError(
                    "Solver produced non-finite parameter weights. The input data may"
                    " contain large values and need to be preprocessed, or the learning"
                    " rate may be too high."
                )
        return self

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

    def _initialize(self, network, X):
        self.n_iter_ = 0
        self.t_ = 0
        self._n_epochs = self._n_steps = 0
        self.n_outputs_ = network.widths[-1]
        self.n_layers_ = network.n_layers + 1
        self.out_activation_ = self._output_spec()[0]
        self._network = network

        # each layer draws its Glorot-uniform W then b, as MLPClassifier
        # draws them, on the host, then given X's namespace, device and dtype
        self.coefs_, self.intercepts_ = [], []
        factor = 2.0 if self.activation == "logistic" else 6.0
        for block in network.layers.values():
            W, b = block.init(self._random_state, factor)
            self.coefs_.append(asarray_like(W, X))
            self.intercepts_.append(asarray_like(b, X))

        self._feedback_seed = self._draw_feedback_seed()
        self._dropout_rng = self._new_dropout_rng()
        self._initial_loss = None
        self.feedback_weights_ = []
        # nothing of an earlier fit survives a fresh one (e.g. a loss curve
        # under solver='lbfgs', which has none)
        for stale in (
            "alignment_curve_",
            "weight_alignment_curve_",
            "feedback_norm_ratio_curve_",
            "loss_",
            "loss_curve_",
            "validation_scores_",
            "best_validation_score_",
            "best_loss_",
            "_best_coefs",
            "_best_intercepts",
            "_stage",
        ):
            self.__dict__.pop(stale, None)

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

    def _draw_feedback_seed(self):
        """The seed of the feedback matrices' own stream, so that every rule
        sees the same weights and batches under the same random_state."""
        if self.random_state is None or isinstance(self.random_state, Integral):
            return self.random_state
        return int(self._random_state.randint(np.iinfo(np.int32).max))

    def _new_dropout_rng(self):
        """The host generator of the dropout masks: a stream of its own, so
        that the weights, batches and feedback matrices are those of the same
        random_state without dropout."""
        seed = self._feedback_seed
        return np.random.default_rng(None if seed is None else [seed, 1])

    def _complete_state(self, network):
        """Continue a fitted model (``warm_start``, ``partial_fit``) on
        ``network``, the network the parameters ask for now.

        Refuses another architecture, changing nothing. A model whose
        ``coefs_`` and ``intercepts_`` were set by hand (as scikit-learn's
        MLP tests do) adopts ``network`` where its weights fit it, and its
        training state starts as a fresh fit's, the feedback matrices drawn
        from ``random_state``.
        """
        fitted = getattr(self, "_network", None)
        asked = [repr(block) for block in network.layers.values()]
        if fitted is None:
            shapes = [tuple(W.shape) for W in self.coefs_]
            fits = [tuple(b.weight_shape) for b in network.layers.values()]
            if shapes != fits:
                raise ValueError(
                    f"The coefs_ set on this model have shapes {shapes}; this data "
                    f"and hidden_layer_sizes ask for {fits}. Refit without "
                    "warm_start to change the architecture."
                )
        elif [repr(block) for block in fitted.layers.values()] != asked:
            old, new = fitted.widths, network.widths
            what, (old, new) = (
                ("layer widths", (old, new))
                if old != new
                else ("layers", ([repr(b) for b in fitted.layers.values()], asked))
            )
            raise ValueError(
                f"The network fitted before has {what} {old}; this data and "
                f"hidden_layer_sizes ask for {new}. Refit without warm_start to "
                "change the architecture."
            )
        defaults = {
            "_network": lambda: network,
            "n_outputs_": lambda: self.coefs_[-1].shape[1],
            "n_layers_": lambda: len(self.coefs_) + 1,
            "out_activation_": lambda: self._output_spec()[0],
            "n_iter_": lambda: 0,
            "t_": lambda: 0,
            "_n_epochs": lambda: 0,
            "_n_steps": lambda: 0,
            "_feedback_seed": self._draw_feedback_seed,
            "_dropout_rng": self._new_dropout_rng,
            "_initial_loss": lambda: None,
            "feedback_weights_": list,
            "_feedback_kind": lambda: None,
        }
        if self.solver in _STOCHASTIC_SOLVERS:
            defaults.update(
                loss_curve_=list,
                _no_improvement_count=lambda: 0,
                best_loss_=lambda: None if self.early_stopping else np.inf,
                validation_scores_=lambda: [] if self.early_stopping else None,
                best_validation_score_=lambda: -np.inf if self.early_stopping else None,
            )
        for name, default in defaults.items():
            if not hasattr(self, name):
                setattr(self, name, default())
        if not hasattr(self, "_feedback_rng"):
            self._feedback_rng = np.random.default_rng(self._feedback_seed)

    def _feedback_for(self, rule, network, X, first_pass):
        """Draw the rule's matrices if needed; return them keyed by the rule's keys.

        They are drawn on the host and given X's namespace, device and dtype.
        The returned arrays are those of ``feedback_weights_``, so a rule that
        updates them in place updates the fitted model.
        """
        shapes = rule.feedback_shapes(network)
        drawn = [tuple(B.shape) for B in self.feedback_weights_]
        # what drew the matrices: a rule of another kind or another
        # feedback_init (warm_start, partial_fit) draws afresh, even where the
        # shapes agree (kp -> fa, dfa -> drtp)
        kind = (rule_kind(rule), self.feedback_init)
        if first_pass or drawn != list(shapes.values()) or self._feedback_kind != kind:
            self._feedback_rng = np.random.default_rng(self._feedback_seed)
            self.feedback_weights_ = draw_feedback(
                shapes.values(), self.feedback_init, self._feedback_rng
            )
        self._feedback_kind = kind
        matrices = {
            key: asarray_like(B, X) for key, B in zip(shapes, self.feedback_weights_)
        }
        self.feedback_weights_ = list(matrices.values())
        return matrices

    def _forward_and_error(self, X, y, sample_weight, xp, step=None):
        """The forward pass of a batch and its output error ``e``.

        ``step`` is the training step's (its dropout masks; None: a probe,
        which drops nothing). Returns the :class:`ForwardPass` (its
        ``output_error`` set), ``e`` and the batch's (weighted) size.
        """
        out_activation, loss_name = self._output_spec()
        forward = forward_pass(
            self._network, X, self.coefs_, self.intercepts_, xp, step
        )
        n = X.shape[0] if sample_weight is None else xp.sum(sample_weight)
        forward.output_error = OutputError(
            out_activation, loss_name, y, sample_weight, n, xp
        )
        return forward, forward.output_error(forward.h[-1]), n

    def _gradients(
        self, X, y, sample_weight, rule, feedback, xp, squared_norm=None, step=None
    ):
        """One forward and feedback pass: the batch loss and the raw updates.

        Returns the loss, including the L2 term of weight decay, the
        gradients of the weights, the intercepts and the rule's learned
        feedback, all without weight decay, and the decay coefficient
        ``alpha / n`` (0 for ``alpha=0``), to be added as ``decay * W`` to the
        gradient of every weight and learned feedback matrix. The gradients are
        fresh arrays that the optimizer may consume. ``squared_norm``, where
        given, is the weights' ``sum(W**2)`` for the L2 term (the optimizer's
        kernels compute it with the previous step). ``step`` is the training
        step's (:class:`~skfa.nn.network.Step`). The gradients of the
        stages' parameters (BatchNorm's) follow the learned feedback's.
        """
        forward, error, n = self._forward_and_error(X, y, sample_weight, xp, step)
        loss = LOSS_FUNCTIONS[self._output_spec()[1]](
            y, forward.h[-1], sample_weight, xp
        )
        decay = self.alpha / n if self.alpha else 0.0
        if decay:
            if squared_norm is None:
                flat = [xp.reshape(W, (-1,)) for W in self.coefs_]
                squared_norm = sum(w @ w for w in flat)
            loss = loss + (0.5 * decay) * squared_norm

        weights = dict(enumerate(self.coefs_, start=1))
        deltas = [*rule.hidden_deltas(forward, error, y, weights, feedback), error]

        layers = forward.layers.values()
        coef_grads = [
            layer.weight_gradient(h, delta)
            for layer, h, delta in zip(layers, forward.h, deltas)
        ]
        intercept_grads = [
            layer.bias_gradient(delta, xp) for layer, delta in zip(layers, deltas)
        ]
        feedback_grads = rule.feedback_gradients(forward, deltas, coef_grads, feedback)
        feedback_grads += forward.stage_gradients()
        return loss, coef_grads, intercept_grads, feedback_grads, decay

    def _loss_and_gradients(self, X, y, sample_weight, rule, feedback, xp):
        """The batch loss and the gradients with weight decay added.

        Returns the loss and the gradients of the weights, the intercepts and
        the rule's learned feedback; they are fresh arrays.
        """
        loss, coef_grads, intercept_grads, feedback_grads, decay = self._gradients(
            X, y, sample_weight, rule, feedback, xp
        )
        if decay:
            learned = rule.learned_feedback(feedback)
            for grad, param in zip(coef_grads + feedback_grads, self.coefs_ + learned):
                grad += decay * param
        return loss, coef_grads, intercept_grads, feedback_grads

    def _train_step(self, X, y, sample_weight, rule, feedback, params, xp):
        """One step of a stochastic solver on a batch; returns the batch loss.

        The optimizer takes the raw gradients and applies the weight decay in
        the same pass as its update (``params`` are the weights, the
        intercepts, then the rule's learned feedback); its kernels also give
        the weights' squared norm for the next step's L2 term.
        """
        norms = self._optimizer.squared_norms
        loss, coef_grads, intercept_grads, feedback_grads, decay = self._gradients(
            X,
            y,
            sample_weight,
            rule,
            feedback,
            xp,
            squared_norm=None if norms is None else sum(norms[: len(self.coefs_)]),
            step=Step(self._masks, update_statistics=True),
        )
        n_stage = len(self._network.stage_parameters())
        n_learned = len(feedback_grads) - n_stage
        decays = (
            [decay] * len(coef_grads)
            + [0.0] * len(intercept_grads)
            + [decay] * n_learned
            + [0.0] * n_stage
        )
        self._optimizer.update_params(
            params, coef_grads + intercept_grads + feedback_grads, decays
        )
        return loss

    def _fit_stochastic(self, X, y, sample_weight, rule, matrices, incremental):
        """Train with 'sgd' or 'adam': epochs of steps, each part an object
        of :mod:`skfa.train.fit` with one job."""
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        xp, device = namespace_and_device(X)
        feedback = FeedbackState(
            rule,
            matrices,
            self._network.layers,
            self.coefs_,
            self._feedback_rng,
            self.feedback_init,
            self.resample_feedback,
            xp,
        )
        params = (
            self.coefs_
            + self.intercepts_
            + feedback.learned()
            + self._network.stage_parameters()
        )
        self._start_optimizer(params, incremental)
        rows, validation = validation_split(self, X, y, sample_weight, xp, device)
        y = xp.asarray(y, dtype=X.dtype)
        n_samples = X.shape[0] if rows is None else rows.shape[0]
        batches = Batches(
            rows,
            n_samples,
            self._batch_size(n_samples),
            self.shuffle,
            self._random_state,
            sample_weight,
            xp,
            device,
        )
        # a fixed probe batch, the first of the training set: for the
        # alignment, and to check a user's rule once
        probe = tuple(
            take_rows(array, batches.head(), xp) for array in (X, y, sample_weight)
        )
        if not _in_skfa(type(rule)):
            self._check_rule_output(probe, rule, feedback.prepared, xp)
        tracker = AlignmentTracker(self, probe) if self.track_alignment else None
        stopping = Stopping(self, validation, feedback)
        guard = DivergenceGuard(
            self, feedback, first=0 if incremental else len(self.loss_curve_)
        )
        report = EpochReport(self.verbose, self.max_iter)
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                started = time.perf_counter()
                loss = self._train_epoch(
                    X, y, sample_weight, batches, feedback, params, guard, xp
                )
                if guard.diverged(loss):
                    break
                self.loss_ = loss
                self._n_epochs += 1
                self.n_iter_ += 1
                self.t_ += batches.n_samples
                self.loss_curve_.append(loss)
                stopping.new_stage(feedback.stage())
                stopping.update()
                if tracker is not None:
                    tracker.record(feedback)
                report(
                    self.n_iter_,
                    loss,
                    self.validation_scores_[-1] if self.early_stopping else None,
                    time.perf_counter() - started,
                )
                self._optimizer.iteration_ends(self.t_)
                guard.epoch_done(loss)
                if stopping.should_stop() or incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter,
                        ConvergenceWarning,
                        stacklevel=3,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=2)
        finally:
            report.close()
        stopping.keep_best()

    def _train_epoch(self, X, y, sample_weight, batches, feedback, params, guard, xp):
        """One pass over the training rows; returns the mean loss (NaN or
        inf where the loss or the weights stopped being finite)."""
        total = 0.0
        for rows, size in batches.epoch():
            loss = self._train_step(
                take_rows(X, rows, xp),
                take_rows(y, rows, xp),
                take_rows(sample_weight, rows, xp),
                feedback.rule,
                feedback.before_step(self._n_epochs, self._n_steps),
                params,
                xp,
            )
            guard.first_batch(loss)
            total += loss * size
            self._n_steps += 1
        # the one synchronisation with the host per epoch: 0 times the
        # parameters' sum adds nothing, or NaN if any is not finite
        weight_sum = sum(xp.sum(p) for p in params)
        return float(total + 0.0 * weight_sum) / batches.n_samples

    def _start_optimizer(self, params, incremental):
        """A fresh optimizer for ``params``, except where ``partial_fit``
        continues one that steps the same number of arrays."""
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
        # the weights may have changed since the last step (set by hand)
        self._optimizer.squared_norms = None

    def _batch_size(self, n_samples):
        """``batch_size`` for ``n_samples`` training rows, as MLPClassifier
        clips it."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    @property
    def _xp(self):
        """The array namespace of the fitted weights."""
        return namespace(*self.coefs_)

    def _check_rule_output(self, probe, rule, feedback, xp):
        """Check a user's rule once per fit, on the probe batch: its hidden
        deltas must be one array per hidden layer, of that layer's shape."""
        X, y, sample_weight = probe
        forward, error, _ = self._forward_and_error(X, y, sample_weight, xp)
        weights = dict(enumerate(self.coefs_, start=1))
        try:
            deltas = rule.hidden_deltas(forward, error, y, weights, feedback)
        except (ValueError, TypeError, IndexError) as exc:
            kinds = self._network.kinds()
            if not kinds:
                raise
            raise ValueError(
                f"{type(rule).__name__} cannot apply to this network, whose "
                f"layers include {', '.join(kinds)}: its hidden_deltas failed "
                f"on a batch ({type(exc).__name__}: {exc}). A rule crosses such "
                "layers only through their own operations (forward.layers[i]."
                "carry, .linear and .carrier, with feedback of the layers' "
                "carrier_shape): delta @ W.T has no meaning for a convolution's "
                "kernel. See 'Crossing a layer' in the user guide."
            ) from exc
        expected = [forward.delta_shape(i) for i in range(1, forward.n_layers)]
        found = (
            [tuple(getattr(d, "shape", ())) for d in deltas]
            if isinstance(deltas, (list, tuple))
            else None
        )
        if found != expected:
            raise ValueError(
                f"{type(rule).__name__}.hidden_deltas must return a list of the "
                f"{len(expected)} hidden deltas delta_1 .. delta_{len(expected)}, "
                f"of shapes {expected} on this batch; it returned "
                + (f"{type(deltas).__name__}" if found is None else f"shapes {found}")
                + "."
            )

    def _fit_lbfgs(self, X, y, sample_weight, rule, feedback):
        xp = namespace(X)
        y = xp.asarray(y, dtype=X.dtype)
        shapes = [p.shape for p in self.coefs_ + self.intercepts_]
        bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

        # scipy steps on the host; the loss and gradients are computed in xp,
        # one copy of the parameters and one of the gradients per evaluation
        def unpack(packed):
            params = [
                asarray_like(np.reshape(packed[start:stop], shape), X)
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
                [np.ravel(to_host(g)) for g in coef_grads + intercept_grads]
            ).astype(np.float64)
            return float(loss), grad

        packed = np.concatenate(
            [np.ravel(to_host(p)) for p in self.coefs_ + self.intercepts_]
        )
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

    def _stratify_validation(self):
        return False

    def _decode_targets(self, y):
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags
