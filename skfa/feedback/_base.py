"""The protocol every feedback rule follows, and the registry of rules.

The steps the rules share (a delta carried down a chain, a projection in
one GEMM) are :mod:`skfa.feedback._math`'s.
"""

import difflib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator, clone

from .._backend import asarray_like
from .._compat import InvalidParameterError, validate_params
from ._init import draw_feedback

#: Names accepted by the estimators' ``feedback=``, each mapped to a callable
#: that returns a fresh rule (a rule class, or a class with preset parameters).
FEEDBACK_RULES = {}
#: The names of skfa's own rules, which ``register`` does not silently replace.
_OWN_NAMES = set()


def register(name, factory, *, replace=False):
    """Make ``feedback=name`` mean ``factory()`` in every estimator.

    The factory is called once here, so that one that fails or returns no
    rule is refused at once. An estimator whose ``feedback`` (or a rule
    inside it, such as :class:`Switch`'s ``then``) names a rule registered at
    run time carries the rule the factory makes when it is pickled (a
    ``Preset``), and registers it where it is unpickled: in joblib's
    worker processes (``n_jobs=2``), or in a model loaded by a fresh
    process. So a lambda or a function of ``__main__`` serves as a factory;
    the rule's class must be importable there (skfa's rules are).

    Read more in the :ref:`User Guide <custom-rules>`.

    Parameters
    ----------
    name : str
        The name users pass as ``feedback=``.
    factory : callable
        Returns a new :class:`FeedbackRule` when called without arguments.
    replace : bool, default=False
        Whether ``name`` may replace one of skfa's own rules (``"dfa"``...),
        which would change that name for the whole process. A name
        registered at run time may be registered again (re-running a
        notebook cell), the newest factory winning.

    Raises
    ------
    ValueError
        If ``name`` is skfa's own and ``replace`` is False.
    TypeError
        If ``name`` is not a non-empty string, or ``factory`` is not callable
        or does not return a :class:`FeedbackRule`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register's name must be a non-empty string; got {name!r}.")
    if not callable(factory):
        raise TypeError(
            f"register({name!r}, factory): factory must be callable, returning a "
            f"new FeedbackRule; got {factory!r}."
        )
    _register(name, factory, replace=replace, own=False)


def _register(name, factory, *, replace, own):
    """:func:`register`; ``own`` marks one of skfa's own rules."""
    known = FEEDBACK_RULES.get(name)
    if (
        known is not None
        and known is not factory
        and name in _OWN_NAMES
        and not replace
    ):
        raise ValueError(
            f"{name!r} is one of skfa's own rules ({_label(known)}); registering "
            "another factory under it would change it for every estimator of "
            "this process. Choose another name, or pass replace=True."
        )
    try:
        rule = factory()
    except Exception as exc:
        raise TypeError(
            f"register({name!r}, {_label(factory)}): calling the factory without "
            f"arguments failed with {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(rule, FeedbackRule):
        raise TypeError(
            f"register({name!r}, {_label(factory)}): the factory returned "
            f"{rule!r}, not a FeedbackRule."
        )
    FEEDBACK_RULES[name] = factory
    if own:
        _OWN_NAMES.add(name)
    else:
        _OWN_NAMES.discard(name)


def _in_skfa(obj):
    """Whether ``obj`` is defined in this package."""
    return getattr(obj, "__module__", "").split(".")[0] == __name__.split(".")[0]


def _label(factory):
    return getattr(factory, "__qualname__", None) or repr(factory)


class Preset:
    """A factory of copies of one rule: how a rule registered at run time
    travels with a pickled model.

    The registered factory itself may be a lambda, which does not pickle,
    or a function of ``__main__``, which a fresh process cannot load; the
    rule it made pickles wherever its class can be imported (every rule of
    skfa), and a model that names it loads, predicts and refits.

    Parameters
    ----------
    rule : FeedbackRule
        The rule the factory made.
    """

    def __init__(self, rule):
        self.rule = rule

    def __call__(self):
        return clone(self.rule)

    def __repr__(self):
        return f"Preset({self.rule!r})"


def runtime_rules(owner):
    """The rules registered at run time that ``owner`` names, as
    :class:`Preset` factories of what their factories make.

    ``owner`` is an estimator or a rule; the rules it holds (given by name
    or as objects, e.g. :class:`Switch`'s ``then``) are searched recursively.
    """
    found = {}
    for name in rule_parameters(owner):
        value = getattr(owner, name)
        if isinstance(value, str) and value in FEEDBACK_RULES:
            rule = FEEDBACK_RULES[value]()
            if value not in _OWN_NAMES:
                found[value] = Preset(rule)
            value = rule
        if isinstance(value, FeedbackRule):
            found.update(runtime_rules(value))
    return found


def restore_rules(entries):
    """Register ``entries`` (from :func:`runtime_rules`) where the names are unknown."""
    for name, factory in entries.items():
        FEEDBACK_RULES.setdefault(name, factory)


@dataclass
class Progress:
    """Where training stands, as :meth:`FeedbackRule.refresh_feedback` sees it.

    The training loop builds it; rules read its fields.

    Read more in the :ref:`User Guide <custom-rules>`.

    Parameters
    ----------
    epoch : int
        Epochs completed over the model's life (``warm_start`` and
        ``partial_fit`` continue the count; each ``partial_fit`` call is one).
    step : int
        Optimizer steps taken over the model's life.
    weights : dict of {int: array}
        The forward weights ``W_1 .. W_L`` as they are now.
    rng : numpy.random.Generator
        The host generator of the feedback matrices, for fresh draws; drawing
        on the host keeps results independent of the device.
    init : callable
        The estimator's ``feedback_init``: a name of ``FEEDBACK_INITS`` or a
        callable ``init(shape, rng) -> ndarray``.
    layers : dict of {int: Block}
        The blocks of ``weights``, keyed alike, for the operations that cross
        them.
    """

    epoch: int
    step: int
    weights: dict
    rng: Any
    init: Any
    layers: Any

    def draw(self, like):
        """Draw ``feedback_init`` afresh, shaped, typed and placed like ``like``.

        Parameters
        ----------
        like : array
            The matrix to replace.

        Returns
        -------
        array
            The new draw, of ``like``'s shape, dtype, namespace and device.
        """
        (fresh,) = draw_feedback([tuple(like.shape)], self.init, self.rng)
        return asarray_like(fresh, like)

    def noise(self, shape, std, like):
        """Draw noise ``N(0, std**2)`` of ``shape``, typed and placed like ``like``.

        Parameters
        ----------
        shape : tuple of int
            The shape of the noise.
        std : float
            Its standard deviation.
        like : array
            An array of the dtype, namespace and device to use.

        Returns
        -------
        array
            The noise, drawn on the host generator, then moved.
        """
        return asarray_like(self.rng.normal(0.0, std, size=shape), like)


class FeedbackRule(BaseEstimator, ABC):
    """Base class of the feedback rules: how the output error reaches the hidden layers.

    A rule is a parameter object (``get_params``, ``set_params``, ``clone``)
    that holds no fitted state. The training loop calls :meth:`hidden_deltas`
    once per batch; it returns the hidden deltas ``delta_1 .. delta_{L-1}``,
    and the loop turns them, for every rule alike, into the layers' weight
    gradients (``grad W_i = h_{i-1}.T @ delta_i`` for a dense layer, plus
    weight decay) and ``grad b_i = delta_i.sum(0)``. A rule crosses a layer
    only through the layer's own operations (``forward.layers[i].carry``
    and ``linear``), never by writing ``delta @ W.T``, so it applies to
    every layer kind.

    Layers are numbered as in the user guide: ``i = 1 .. L-1`` are hidden, ``L``
    is the output, ``W_i`` has shape ``(n_{i-1}, n_i)``.

    Subclasses pass ``name="..."`` in their class statement to be selectable
    as ``feedback="..."`` (or call :func:`register` for a preset), and
    implement :meth:`hidden_deltas`; those that use feedback matrices also
    implement :meth:`feedback_shapes`. Three optional hooks cover feedback
    that changes during training: :meth:`refresh_feedback` (before every
    step), and :meth:`learned_feedback` with :meth:`feedback_gradients`
    (matrices the optimizer trains next to the weights); :meth:`transposes`
    exposes the matrices that replace ``W.T`` to the alignment diagnostics.

    Read more in the :ref:`User Guide <custom-rules>`.
    """

    #: Whether the hidden deltas are the exact gradient of the loss, which is
    #: what ``solver="lbfgs"`` requires.
    exact_gradient = False

    #: Whether the rule changes its feedback matrices during training, by
    #: :meth:`refresh_feedback` or through the optimizer; the estimators then
    #: refuse ``resample_feedback=True``, which would overwrite them.
    changes_feedback = False

    #: Whether the hidden layers learn; False (:class:`Shallow`) keeps them
    #: as drawn: no weight decay reaches them either.
    trains_hidden = True

    _parameter_constraints: dict = {}

    def __init_subclass__(cls, name=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if name is not None:
            _register(name, cls, replace=False, own=_in_skfa(cls))

    def _validate_params(self):
        check_rule_classes(self)
        super()._validate_params()

    def set_params(self, **params):
        return super().set_params(**named_rules_as_objects(self, params))

    def feedback_shapes(self, network):
        """Return the shapes of the feedback matrices, keyed by owner.

        The matrices are drawn in this order and stored in that order in the
        estimator's ``feedback_weights_``. Raise ``ValueError`` here when the
        rule's parameters do not fit the network (the estimator calls this
        at the start of every fit).

        Parameters
        ----------
        network : Network
            ``network.widths`` is ``[n_0, n_1, ..., n_L]``: the values per
            sample of the input and of each block's output (after its pool),
            where a projection lands; ``network.n_layers`` is L;
            ``network.layers[i]`` is block ``i``, whose ``carrier_shape`` and
            ``weight_shape`` give the shapes of matrices that stand in for
            its weights in its ``carry`` and its ``linear`` map, and
            ``n_delta`` the width of ``delta_i`` (before any pool).

        Returns
        -------
        shapes : dict of {hashable: tuple of int}
            One entry per matrix; the keys are the rule's own (usually the
            layer index).
        """
        return {}

    def prepare_feedback(self, feedback, xp):
        """Arrange the drawn matrices for :meth:`hidden_deltas` (once per fit).

        Parameters
        ----------
        feedback : dict of {hashable: array}
            The matrices of :meth:`feedback_shapes`, keyed the same way. They
            are the arrays of ``feedback_weights_``: updating them in place
            updates the fitted model.
        xp : namespace
            The array namespace of the training arrays.

        Returns
        -------
        feedback : object
            What :meth:`hidden_deltas` receives as ``feedback``; by default the
            dictionary itself.
        """
        return feedback

    @abstractmethod
    def hidden_deltas(self, forward, error, targets, weights, feedback):
        """Map the forward pass and the output error to the hidden deltas.

        Parameters
        ----------
        forward : ForwardPass
            ``forward.h[i]`` is ``h_i`` (``h_0 = X``), as the next layer
            received it (dropped units zeroed under dropout);
            ``forward.fprime(i, d)`` returns ``d * f'(a_i)`` (times the
            dropout factors), computed in place in ``d``;
            ``forward.layers[i]`` is layer ``i``, whose ``carry(delta, M)``
            carries a delta at its output down through ``M`` in place of its
            weights (``delta @ M`` for a dense layer; ``M = carrier(W)`` is
            backpropagation) and ``linear(x, W)`` maps one up;
            ``forward.output_error`` turns an output or logits into an error
            with the loss, sample weights and scaling of ``error``.
        error : array of shape (m, n_L)
            The output error ``e = dLoss/da_L``, already divided by the
            batch's (weighted) size. It must not be modified.
        targets : array of shape (m, n_L)
            The batch's targets (one-hot for classification).
        weights : dict of {int: array}
            The forward weights ``W_1 .. W_L``, keyed by layer.
        feedback : object
            What :meth:`prepare_feedback` (or :meth:`refresh_feedback`) returned.

        Returns
        -------
        deltas : list of arrays
            ``[delta_1, ..., delta_{L-1}]``, ``delta_i`` of ``a_i``'s shape
            (``forward.delta_shape(i)``; (m, n_i) for a dense layer).
        """

    def refresh_feedback(self, feedback, progress):
        """Change the feedback before a step (default: keep it).

        Called before every optimizer step.

        Parameters
        ----------
        feedback : object
            What :meth:`prepare_feedback` (or the previous call) returned.
        progress : Progress
            Where training stands, with the generator for fresh draws.

        Returns
        -------
        feedback : object
            The feedback the step uses.
        """
        return feedback

    def transposes(self, feedback, weights, layers):
        """Return the matrices that stand in for the weights in the carry down.

        ``track_alignment`` reports the angle between each ``B_{i+1}`` and
        ``carrier(W_{i+1})`` (``W_{i+1}.T`` for a dense layer).

        Parameters
        ----------
        feedback : object
            What :meth:`prepare_feedback` (or :meth:`refresh_feedback`) returned.
        weights : dict of {int: array}
            The forward weights ``W_1 .. W_L``, keyed by layer.
        layers : dict of {int: Block}
            The blocks ``1 .. L``, keyed by index.

        Returns
        -------
        transposes : dict of {int: array} or None
            For rules whose feedback takes the place of the transposed
            forward weights layer by layer (FA and its relatives),
            ``{i + 1: B_{i+1}}`` for the hidden layers ``i = 1 .. L-1``;
            None (the default) for rules without such matrices.
        """
        return None

    def stage(self, feedback):
        """Which part of the rule gives the deltas now (default: None, always).

        A rule that changes how it learns during training (:class:`Switch`)
        returns a different value after the change; the estimators then
        judge the new stage's losses on their own: the epochs without
        improvement are counted, and the best loss kept, from the change.

        Parameters
        ----------
        feedback : object
            What :meth:`prepare_feedback` returned.

        Returns
        -------
        stage : hashable or None
            The part of the rule in use; None for a rule that never changes.
        """
        return None

    def learned_feedback(self, feedback):
        """Return the feedback arrays that the optimizer trains (default none).

        Their gradients come from :meth:`feedback_gradients`; the estimator
        adds the same L2 term ``alpha * B / m`` that the weights get, and its
        optimizer steps them with the weights.

        Parameters
        ----------
        feedback : object
            What :meth:`prepare_feedback` returned.

        Returns
        -------
        arrays : list of arrays
            The arrays to train, updated in place by the optimizer.
        """
        return []

    def feedback_gradients(self, forward, deltas, gradients, feedback):
        """Return the gradients of the arrays of :meth:`learned_feedback`.

        Parameters
        ----------
        forward : ForwardPass
            The batch's forward pass, as :meth:`hidden_deltas` gets it.
        deltas : list of arrays
            ``[delta_1, ..., delta_L]``, the output error last.
        gradients : list of arrays
            Each layer's ``weight_gradient(h_{i-1}, delta_i)`` (for a dense
            layer ``h_{i-1}.T @ delta_i``), ``i = 1 .. L``: the weights'
            gradients before weight decay (read them, do not modify them).
        feedback : object
            What :meth:`prepare_feedback` (or :meth:`refresh_feedback`) returned.

        Returns
        -------
        gradients : list of arrays
            One per array of :meth:`learned_feedback`, in its order.
        """
        return []


def resolve_feedback(feedback):
    """Return a fresh rule for a name in ``FEEDBACK_RULES`` or a rule instance."""
    if isinstance(feedback, str):
        try:
            return FEEDBACK_RULES[feedback]()
        except KeyError:
            raise ValueError(
                f"Unknown feedback {feedback!r}{_did_you_mean(feedback)}; valid "
                f"names are {sorted(FEEDBACK_RULES)} or a FeedbackRule instance."
            ) from None
    return feedback


def _did_you_mean(name):
    folded = [known for known in FEEDBACK_RULES if known.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, FEEDBACK_RULES, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def rule_parameters(owner):
    """Names of ``owner``'s parameters that take a rule (a name or an instance)."""
    return [
        name
        for name, constraints in owner._parameter_constraints.items()
        if FeedbackRule in constraints
    ]


def check_rule_classes(owner):
    """Refuse a rule class where a rule instance belongs, suggesting the instance."""
    for name in rule_parameters(owner):
        value = getattr(owner, name)
        if isinstance(value, type) and issubclass(value, FeedbackRule):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(owner).__name__} must be a rule "
                f"name or a FeedbackRule instance; got the class "
                f"{value.__name__}. Pass an instance: {name}={value.__name__}()."
            )


def named_rules_as_objects(owner, params):
    """``params`` for ``set_params``, with a rule *name* replaced by its rule
    wherever nested parameters of it are set (``feedback__block_size`` with
    ``feedback="bdfa"``), so that a name is as good as the object it stands for."""
    params = dict(params)
    for name in rule_parameters(owner):
        if not any(key.startswith(name + "__") for key in params):
            continue
        value = params.get(name, getattr(owner, name))
        if isinstance(value, str):
            params[name] = resolve_feedback(value)
    return params


def rule_kind(rule):
    """The rule's class and, recursively, those of the rules it holds.

    Two rules of one kind draw and use their feedback matrices alike; the
    estimators redraw the matrices when a ``warm_start`` fit or a
    ``partial_fit`` call brings a rule of another kind.
    """
    held = tuple(
        (name, rule_kind(resolve_feedback(getattr(rule, name))))
        for name in rule_parameters(rule)
    )
    return (type(rule).__module__, type(rule).__qualname__, held)


def checked_rule(feedback):
    """:func:`resolve_feedback`, then the rule's parameters checked against its
    ``_parameter_constraints`` (an ``InvalidParameterError`` names the bad one)."""
    rule = resolve_feedback(feedback)
    if isinstance(rule, BaseEstimator):
        validate_params(rule)
    return rule
