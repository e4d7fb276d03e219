"""A grid search over methods and a nested rule parameter on a dask cluster."""

import os

import joblib
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skfa import FeedbackAlignmentClassifier
from skfa.feedback import BlockedDFA

distributed = pytest.importorskip("distributed")

GRID = [
    {"feedback": ["bp", "dfa", "fa"]},
    {"feedback": [BlockedDFA()], "feedback__block_size": [1, 2]},
]


def _search():
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=(16, 16, 16),
        activation="tanh",
        solver="sgd",
        learning_rate_init=0.05,
        batch_size=32,
        max_iter=20,
        random_state=0,
    )
    return GridSearchCV(clf, GRID, cv=3, n_jobs=-1)


def test_grid_search_on_a_dask_cluster_matches_one_process():
    X, y = load_digits(return_X_y=True)
    X, y = X[:450] / 16, y[:450]
    local = _search().set_params(n_jobs=1).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
        joblib.parallel_config("dask"),
    ):
        remote = _search().fit(X, y)
        # the fits ran in both worker processes, not in this one
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
        pids = client.run(os.getpid)
    assert len(executed) == 2 and min(executed.values()) > 0, executed
    assert os.getpid() not in pids.values()

    ours, theirs = local.cv_results_, remote.cv_results_
    scores = [key for key in ours if key.endswith("test_score")]
    assert "mean_test_score" in scores and "rank_test_score" in scores
    for key in scores:  # each split's, their mean and std, the ranks
        assert_array_equal(theirs[key], ours[key])
    assert [repr(p) for p in theirs["params"]] == [repr(p) for p in ours["params"]]
    assert repr(ours["params"][-1]) == (
        "{'feedback': BlockedDFA(), 'feedback__block_size': 2}"
    )
    # the nested parameter reached the rule: blocks of one layer are fa,
    # blocks of two are not
    scores = dict(zip(map(repr, ours["params"]), ours["mean_test_score"]))
    block_1, block_2 = ours["mean_test_score"][3:]
    assert block_1 == scores["{'feedback': 'fa'}"]
    assert block_2 != block_1
    assert repr(remote.best_params_) == repr(local.best_params_)
    assert remote.best_score_ > 0.8
