"""A fitted network as the scikit-learn MLP it is at prediction time.

Once trained, a feedback-alignment network predicts exactly as a
multi-layer perceptron with the same weights: the feedback rule only shaped
the training. :func:`to_mlp` builds that ``MLPClassifier`` or
``MLPRegressor``, fitted, so that the tools written for scikit-learn's MLPs
take a model trained with skfa (ONNX export with skl2onnx, inspection,
serving code that expects an MLP).
"""

import copy

from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

from ._backend import to_host
from ._layers import Dense

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
    """
    check_is_fitted(estimator)
    beyond = [
        f"layer {i}: {layer!r}"
        for i, layer in estimator._layers.items()
        if not isinstance(layer, Dense)
    ]
    if beyond:
        raise ValueError(
            f"to_mlp cannot export this network: {type(estimator).__name__} has "
            f"convolutions or pooling ({'; '.join(beyond)}), and scikit-learn's "
            f"{mlp_class.__name__} holds dense layers only, so no MLP (nor its "
            "ONNX export) predicts as this network does."
        )
    names = mlp_class().get_params(deep=False)
    params = estimator.get_params(deep=False)
    mlp = mlp_class(**{name: params[name] for name in names})
    mlp.coefs_ = [to_host(W).copy() for W in estimator.coefs_]
    mlp.intercepts_ = [to_host(b).copy() for b in estimator.intercepts_]
    for name in _FITTED:
        if getattr(estimator, name, None) is not None:
            setattr(mlp, name, copy.deepcopy(getattr(estimator, name)))
    if mlp_class is MLPClassifier:
        mlp.classes_ = to_host(estimator.classes_).copy()
        mlp._label_binarizer = copy.deepcopy(estimator._label_binarizer)
        mlp._label_binarizer.classes_ = mlp.classes_
    return mlp
