"""FeedbackAlignmentAutoencoder: reconstruction per method, transformer API."""

import numpy as np
import pytest
import scipy.sparse as sp
from contract_checks import contract_checks
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skfa import FeedbackAlignmentAutoencoder
from skfa.feedback import FEEDBACK_RULES
from skfa.nn.losses import OUTPUT_ERRORS

METHODS = sorted(FEEDBACK_RULES)
# Every method at the same budget: logistic output (digits / 16 lies in
# [0, 1]), Adam at its default rate, 200 epochs, random_state=0; per network,
# the bound on a feedback method's error over bp's. 64-32-64 tanh (bp at 0.17
# of the mean predictor's error): every method within 1.35x of bp (1.40-1.48x
# for random_state 1-3); with one hidden layer fa, dfa, ifa, bdfa and s1-s3
# coincide (they differ only below the top hidden layer) and fp is bp.
# 64-32-32-64 relu: up to 2.2x (ifa). The gap grows as bp gets better: 400
# epochs of 64-32-64 tanh give 1.40-1.74x over random_state 0-3, 64-32-64
# relu 1.48-1.85x. Of the deeper nets tried (2-3 hidden layers 8-64 wide;
# relu, tanh, identity; Adam at 3e-4 to 3e-3, SGD; 100-500 epochs; batches of
# 32; alpha, feedback scales, log loss) none with bp under 0.3 of the mean's
# error came within 2x; within 1.7x only with bp at 0.31-0.36 of it.
SETTINGS = {
    "64-32-64 tanh": (dict(hidden_layer_sizes=(32,), activation="tanh"), 1.5),
    "64-32-32-64 relu": (dict(hidden_layer_sizes=(32, 32), activation="relu"), 2.5),
}


@pytest.fixture(scope="module", params=list(SETTINGS))
def errors(request, digits):
    """Test reconstruction error (mean squared) of every method, and the mean's.

    Returns the errors, the network's bound on their ratio to bp's, and the
    network's name.
    """
    X_train, X_test, _, _ = digits
    net, bound = SETTINGS[request.param]
    found = {
        method: -FeedbackAlignmentAutoencoder(
            **net,
            feedback=method,
            out_activation="logistic",
            max_iter=200,
            random_state=0,
        )
        .fit(X_train)
        .score(X_test)
        for method in METHODS
    }
    found["mean"] = np.mean((X_test - X_train.mean(axis=0)) ** 2)
    return found, bound, request.param


# DRTP projects the target, here the input itself: non-negative pixels that
# carry no sign of the error, so it does not train an autoencoder (0.55 and
# 0.84 of the mean's error on the two networks); it is left out here and
# documented
# documented; the shallow control trains the output layer only
#
# DTP's tanh inverses (Lee et al.'s) reconstruct a layer's input through a
# tanh: on the relu net, whose activations exceed 1, they cannot, and DTP
# stays at 0.45 of the mean's error (4.2x bp); on the tanh net it reaches
# 0.29 (1.63x bp). With inverse_activation="identity", 0.28 on both; it is
# left out here and documented (DDTP's difference reconstruction passes).
#
# Sign-DFA's dead zone (threshold=0.2, for the classifiers' |p - Y|) silences
# nearly every pixel's error, most under 0.2: 1.17 and 1.03 of the mean's
# error; SignDFA(threshold=0.05) reaches 0.26 on both nets (its docstring).
TRAINED = sorted(set(METHODS) - {"drtp", "shallow", "dtp", "sdfa"})
#: product FA's bound on the tanh net: measured 1.55x bp (its P @ R starts
#: at FA's scale and learns only through R)
BOUNDS = {("64-32-64 tanh", "pfa"): 1.6}


@pytest.mark.parametrize("method", TRAINED)
def test_every_method_reconstructs_far_better_than_the_mean(errors, method):
    """Below 0.3 of the mean predictor's error, on both networks.

    Measured: 64-32-64 tanh 0.17 (bp) to 0.23 (the DFA family);
    64-32-32-64 relu 0.11 (bp) to 0.24 (ifa).
    """
    errors, _, _ = errors
    assert errors[method] < 0.3 * errors["mean"], errors


@pytest.mark.parametrize("method", sorted(set(TRAINED) - {"bp"}))
def test_every_feedback_method_is_near_bp_at_the_same_budget(errors, method):
    """Within the network's bound of bp's error: 1.5x, and 2.5x for two layers.

    Measured, bp's error times: 64-32-64 tanh 1.00 (fp) to 1.35 (fa, dfa,
    ifa, bdfa, s1-s3; kp 1.22, switch 1.24); 64-32-32-64 relu 1.05 (wm) to
    2.2 (ifa; fa 1.97, s1-s3 and switch 1.67-1.80, dfa 1.59).
    """
    errors, bound, net = errors
    bound = BOUNDS.get((net, method), bound)
    assert errors[method] <= bound * errors["bp"], errors


def test_logistic_squared_error_is_seed_001s():
    x = np.array([[0.0, 1.0, 0.5]])
    x_hat = np.array([[0.2, 0.7, 0.5]])
    error = OUTPUT_ERRORS[("logistic", "squared_error")](x, x_hat, np)
    assert_allclose(error, (x_hat - x) * x_hat * (1 - x_hat))


def test_transform_and_inverse_transform(digits):
    X_train, X_test, _, _ = digits
    ae = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(40, 12, 30), max_iter=5, random_state=0
    ).fit(X_train)
    assert ae.code_layer_ == 1
    codes = ae.transform(X_test)
    assert codes.shape == (len(X_test), 12)
    assert ae.inverse_transform(codes).shape == X_test.shape
    assert_allclose(ae.fit_transform(X_train), ae.transform(X_train))
    assert ae.score(X_test) == pytest.approx(
        -np.mean((ae.inverse_transform(codes) - X_test) ** 2)
    )
    # a transformer, as PCA: it reconstructs with inverse_transform, and
    # has no predict (whose output scikit-learn's checks want 1-D)
    assert not hasattr(ae, "predict")
    assert list(ae.get_feature_names_out()) == [
        f"feedbackalignmentautoencoder{i}" for i in range(12)
    ]
    for code_layer, width in [(0, 40), (2, 30), (-1, 30), (-3, 40)]:
        ae.set_params(code_layer=code_layer).fit(X_train)
        assert ae.transform(X_test).shape == (len(X_test), width)
        assert ae.inverse_transform(ae.transform(X_test)).shape == X_test.shape
    with pytest.raises(ValueError, match="code_layer=3 is out of range"):
        ae.set_params(code_layer=3).fit(X_train)
    with pytest.raises(ValueError, match="code layer"):
        ae.set_params(code_layer=0).fit(X_train).inverse_transform(codes)


def test_default_code_layer_is_the_middle(digits):
    X, _, _, _ = digits
    for sizes, index in [((20,), 0), ((20, 10), 0), ((20, 8, 20), 1), ((9,) * 4, 1)]:
        ae = FeedbackAlignmentAutoencoder(hidden_layer_sizes=sizes, max_iter=1)
        assert ae.fit(X).code_layer_ == index


def test_pandas_output_and_pipeline_into_a_classifier(digits):
    pytest.importorskip("pandas")
    X_train, X_test, y_train, y_test = digits
    ae = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(32,),
        out_activation="logistic",
        max_iter=100,
        random_state=0,
    )
    frame = ae.set_output(transform="pandas").fit_transform(X_train)
    assert list(frame.columns) == list(ae.get_feature_names_out())
    pipe = make_pipeline(
        FeedbackAlignmentAutoencoder(
            hidden_layer_sizes=(32,),
            out_activation="logistic",
            max_iter=100,
            random_state=0,
        ),
        LogisticRegression(max_iter=1000),
    )
    assert pipe.fit(X_train, y_train).score(X_test, y_test) >= 0.85


def test_grid_search_over_methods(digits):
    X, _, _, _ = digits
    search = GridSearchCV(
        FeedbackAlignmentAutoencoder(
            hidden_layer_sizes=(16, 16), out_activation="logistic", max_iter=30
        ),
        {"feedback": ["bp", "dfa", "s1"], "random_state": [0]},
        cv=2,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores < 0) and len(set(scores)) == 3


def test_float32_sparse_partial_fit_and_early_stopping(digits):
    X, _, _, _ = digits
    X32 = X.astype(np.float32)
    ae = FeedbackAlignmentAutoencoder(hidden_layer_sizes=(16,), max_iter=3)
    ae.fit(X32)
    assert ae.transform(X32).dtype == np.float32
    assert ae.inverse_transform(ae.transform(X32)).dtype == np.float32
    assert all(W.dtype == np.float32 for W in ae.coefs_ + ae.feedback_weights_)

    dense = FeedbackAlignmentAutoencoder(max_iter=3, random_state=0).fit(X)
    sparse = FeedbackAlignmentAutoencoder(max_iter=3, random_state=0)
    sparse.fit(sp.csr_matrix(X))
    assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-10)

    online = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(16,), solver="sgd", shuffle=False, random_state=0
    )
    for _ in range(3):
        online.partial_fit(X)
    batch = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(16,), solver="sgd", shuffle=False, random_state=0
    ).set_params(max_iter=3)
    batch.fit(X)
    assert_allclose(online.coefs_[0], batch.coefs_[0], rtol=1e-12)

    stopped = FeedbackAlignmentAutoencoder(
        hidden_layer_sizes=(16,), early_stopping=True, max_iter=500, random_state=0
    ).fit(X)
    assert stopped.n_iter_ < 500
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)
    assert stopped.best_validation_score_ < 0


def test_binary_log_loss_needs_a_logistic_output(digits):
    X, _, _, _ = digits
    ae = FeedbackAlignmentAutoencoder(loss="binary_log_loss", max_iter=1)
    with pytest.raises(ValueError, match="out_activation='logistic'"):
        ae.fit(X)
    ae.set_params(
        out_activation="logistic", hidden_layer_sizes=(64,), max_iter=40, random_state=0
    ).fit(X)
    assert ae.score(X) > -0.05


# a small network keeps the contract checks fast (43 s to 2 s per method)
@pytest.mark.parametrize(
    ("estimator", "check"),
    contract_checks(
        FeedbackAlignmentAutoencoder(
            feedback=m, hidden_layer_sizes=(16, 16), max_iter=50, random_state=0
        )
        for m in METHODS
    ),
)
def test_sklearn_contract(estimator, check):
    check(estimator)
