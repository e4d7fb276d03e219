"""A fitted network as the scikit-learn MLP it is at prediction time.

Once trained, a feedback-alignment network predicts exactly as a
multi-layer perceptron with the same weights: the feedback rule only shaped
the training. :func:`to_mlp` builds that ``MLPClassifier`` or
``MLPRegressor``, fitted, so that the tools written for scikit-learn's MLPs
take a model trained with skfa (ONNX export with skl2onnx, inspection,
serving code that expects an MLP).
"""

import copy

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer,
    SGDOptimizer,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._backend import to_host

#: fitted attributes an MLP keeps, copied when the skfa estimator has them
_FITTED = (
    "n_features_in_",
    "feature_names_in_",
    "n_iter_",
    "t_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
)

#: the record of a stochastic solver's fit, which a fitted MLP of 'sgd' or
#: 'adam' always has (None where it does not apply: the validation scores
#: without early_stopping, the best loss with it)
_STOCHASTIC_RECORD = ("best_loss_", "validation_scores_", "best_validation_score_")


def to_mlp(estimator, mlp_class):
    """The fitted ``mlp_class`` that predicts as the fitted skfa ``estimator``.

    Parameters
    ----------
    estimator : FeedbackAlignmentClassifier or FeedbackAlignmentRegressor
        A fitted estimator.
    mlp_class : {MLPClassifier, MLPRegressor}
        The scikit-learn class to build.

    Returns
    -------
    mlp : MLPClassifier or MLPRegressor
        Its parameters are the estimator's, less the feedback ones; its
        weights, classes and training record are copies, as NumPy arrays on
        the host.

    Raises
    ------
    ValueError
        If the network has convolutions or pooling, which an MLP cannot hold.

    Examples
    --------
    The estimators' ``to_mlp()`` calls this. The MLP predicts as the network:

    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skfa import FeedbackAlignmentClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = (X / 16).astype(np.float32)
    >>> clf = FeedbackAlignmentClassifier((32,), max_iter=20, random_state=0)
    >>> mlp = clf.fit(X, y).to_mlp()
    >>> bool((mlp.predict(X) == clf.predict(X)).all())
    True

    Exported to ONNX (the ``onnx`` extra: skl2onnx and onnxruntime; the
    example is skipped without them). float32 data gives the float32 graph
    that onnxruntime runs (a classifier's float64 graph reaches a ZipMap
    operator that takes float32 only, and onnxruntime refuses it), and
    ``zipmap=False`` returns the probabilities as an array instead of a list
    of dictionaries:

    >>> import pytest
    >>> onnxruntime = pytest.importorskip("onnxruntime")
    >>> skl2onnx = pytest.importorskip("skl2onnx")
    >>> onx = skl2onnx.to_onnx(mlp, X[:1], options={id(mlp): {"zipmap": False}})
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> labels, probabilities = session.run(None, {"X": X})
    >>> bool((labels == clf.predict(X)).all())
    True
    >>> probabilities.dtype, probabilities.shape
    (dtype('float32'), (1797, 10))
    """
    check_is_fitted(estimator)
    _check_dense(estimator, mlp_class)
    params = estimator.get_params(deep=False)
    mlp = mlp_class(**{name: params[name] for name in mlp_class().get_params()})
    _copy_fitted(estimator, mlp)
    return mlp


def _copy_fitted(estimator, mlp):
    """Give ``mlp`` copies of the estimator's weights, fitted attributes and
    training state, on the host."""
    mlp.coefs_ = [to_host(W).copy() for W in estimator.coefs_]
    mlp.intercepts_ = [to_host(b).copy() for b in estimator.intercepts_]
    for name in _FITTED:
        if getattr(estimator, name, None) is not None:
            setattr(mlp, name, copy.deepcopy(getattr(estimator, name)))
    if isinstance(mlp, MLPClassifier):
        mlp.classes_ = to_host(estimator.classes_).copy()
        mlp._label_binarizer = copy.deepcopy(estimator._label_binarizer)
        mlp._label_binarizer.classes_ = mlp.classes_
    _set_training_state(mlp, estimator)


def _check_dense(estimator, mlp_class):
    """Refuse a network with layers an MLP cannot hold, naming them."""
    beyond = [
        f"layer {i}: {block.weighted!r}"
        + "".join(f", {s.spec_name}" for s in block.stages if hasattr(s, "spec_name"))
        for i, block in estimator._network.layers.items()
        if hasattr(block.weighted, "spec_name")
        or any(hasattr(s, "spec_name") for s in block.stages)
    ]
    if beyond:
        raise ValueError(
            f"to_mlp cannot export this network: {type(estimator).__name__} has "
            f"convolutions or pooling ({'; '.join(beyond)}), and scikit-learn's "
            f"{mlp_class.__name__} holds dense layers only, so no MLP (nor its "
            "ONNX export) predicts as this network does."
        )


def _set_training_state(mlp, estimator):
    # the private state a fitted MLP of the same solver has, so that the MLP
    # continues (warm_start, early_stopping, partial_fit) as a genuine one:
    # the best weights of early_stopping, the count of epochs without
    # improvement and the optimizer's state (with 'sgd' or 'adam'), the
    # parameters' offsets in the packed vector (with 'lbfgs'), the generator
    best = getattr(estimator, "_best_coefs", None)
    best_intercepts = getattr(estimator, "_best_intercepts", None)
    if best is None or best_intercepts is None or len(best) != len(mlp.coefs_):
        best, best_intercepts = mlp.coefs_, mlp.intercepts_
    mlp._best_coefs = [to_host(W).copy() for W in best]
    mlp._best_intercepts = [to_host(b).copy() for b in best_intercepts]
    state = getattr(estimator, "_random_state", None)
    mlp._random_state = (
        copy.deepcopy(state)
        if isinstance(state, np.random.RandomState)
        else check_random_state(mlp.random_state)
    )
    if mlp.solver == "lbfgs":
        # as MLP._fit_lbfgs stores them: (start, end, shape) of each weight
        # matrix, then (start, end) of each intercept, in the packed vector
        mlp._coef_indptr, mlp._intercept_indptr, start = [], [], 0
        for W in mlp.coefs_:
            mlp._coef_indptr.append((start, start + W.size, W.shape))
            start += W.size
        for b in mlp.intercepts_:
            mlp._intercept_indptr.append((start, start + b.size))
            start += b.size
        return
    if getattr(mlp, "loss_curve_", None) is None:
        mlp.loss_curve_ = []
    for name in _STOCHASTIC_RECORD:
        setattr(mlp, name, copy.deepcopy(getattr(estimator, name, None)))
    if mlp.early_stopping and mlp.validation_scores_ is None:
        mlp.validation_scores_, mlp.best_validation_score_ = [], -np.inf
    if not mlp.early_stopping and mlp.best_loss_ is None:
        mlp.best_loss_ = min(mlp.loss_curve_, default=np.inf)
    mlp._no_improvement_count = int(getattr(estimator, "_no_improvement_count", 0))
    mlp._optimizer = _optimizer_of(mlp, getattr(estimator, "_optimizer", None))


def _optimizer_of(mlp, trained):
    """scikit-learn's optimizer of ``mlp``'s solver, with the state of the
    skfa estimator's optimizer ``trained`` where it has one of the same kind
    (its first arrays are those of the weights and intercepts, in the MLP's
    order), else fresh as a fit starts it."""
    params = mlp.coefs_ + mlp.intercepts_
    n = len(params)

    def arrays(name):
        # the trained state's arrays of the weights and intercepts, or None
        found = getattr(trained, name, None)
        if found is None or len(found) < n:
            return None
        found = [to_host(a) for a in found[:n]]
        if any(a.shape != p.shape for a, p in zip(found, params)):
            return None
        return [np.array(a, dtype=p.dtype) for a, p in zip(found, params)]

    if mlp.solver == "sgd":
        optimizer = SGDOptimizer(
            params,
            mlp.learning_rate_init,
            mlp.learning_rate,
            mlp.momentum,
            mlp.nesterovs_momentum,
            mlp.power_t,
        )
        velocities = arrays("velocities")
        if velocities is not None:
            optimizer.velocities = velocities
            optimizer.learning_rate = float(trained.learning_rate)
        return optimizer
    optimizer = AdamOptimizer(
        params, mlp.learning_rate_init, mlp.beta_1, mlp.beta_2, mlp.epsilon
    )
    ms, vs = arrays("ms"), arrays("vs")
    if ms is not None and vs is not None and hasattr(trained, "t"):
        optimizer.ms, optimizer.vs, optimizer.t = ms, vs, int(trained.t)
        optimizer.learning_rate = float(trained.learning_rate)
    return optimizer
