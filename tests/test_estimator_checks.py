"""scikit-learn's estimator contract, for both estimators and every rule."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfa import FeedbackAlignmentClassifier, FeedbackAlignmentRegressor
from skfa.feedback import DFA, FEEDBACK_RULES, GeneralRule

METHODS = [*sorted(FEEDBACK_RULES), DFA(aux=True), GeneralRule("s3", aux=True)]

# max_iter=50 as sklearn checks its own MLPs with max_iter=100: every check
# passes, in a quarter of the default's 200 epochs
ESTIMATORS = [
    Estimator(feedback=method, random_state=0, max_iter=50)
    for Estimator in (FeedbackAlignmentClassifier, FeedbackAlignmentRegressor)
    for method in METHODS
]


def _expected_failures(estimator):
    """The shallow control trains only its output layer: on the regression
    check's data, a linear fit on 100 fixed random ReLU features stays below
    the R^2 of 0.5 that check_regressors_train asks (also at 500 epochs)."""
    if isinstance(estimator, FeedbackAlignmentRegressor) and (
        estimator.feedback == "shallow"
    ):
        reason = "the shallow control learns its output layer only"
        return {"check_regressors_train": reason}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_contract(estimator, check):
    check(estimator)
