"""Feedback rules: how the output error reaches the hidden layers.

Each rule is a small parameter object; pass one, or its name, as the
estimators' ``feedback=`` parameter. ``FEEDBACK_RULES`` maps the names to
the classes. Write your own by subclassing :class:`FeedbackRule`.
"""

from ._alignment import FA
from ._backprop import BP
from ._base import FEEDBACK_RULES, FeedbackRule, carry_down
from ._direct import DFA, IFA
from ._init import FEEDBACK_INITS

__all__ = [
    "BP",
    "DFA",
    "FA",
    "FEEDBACK_INITS",
    "FEEDBACK_RULES",
    "IFA",
    "FeedbackRule",
    "carry_down",
]
