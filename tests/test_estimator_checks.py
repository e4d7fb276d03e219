"""scikit-learn's estimator contract, for both estimators and every rule."""

import pytest
from contract_checks import contract_checks

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


@pytest.mark.parametrize(("estimator", "check"), contract_checks(ESTIMATORS))
def test_sklearn_contract(estimator, check):
    check(estimator)
