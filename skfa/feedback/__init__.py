"""Feedback rules: how the output error reaches the hidden layers.

Each rule is a small parameter object; pass one, or its name, as the
estimators' ``feedback=`` parameter. ``FEEDBACK_RULES`` maps the names to
factories of rules. Write your own by subclassing :class:`FeedbackRule`.

=============================  ====================================================
name                           rule
=============================  ====================================================
``bp``                         :class:`BP`, backpropagation
``fa``                         :class:`FA`, feedback alignment
``dfa``                        :class:`DFA`, direct feedback alignment
``ifa``                        :class:`IFA`, indirect feedback alignment
``fp``                         :class:`FeedbackPropagation`
``bdfa``                       :class:`BlockedDFA`
``s1``, ``s2``, ``s3``         :class:`GeneralRule` with that ``strategy``
``kp``                         :class:`KolenPollack`
``wm``                         :class:`WeightMirror`
``usf``, ``brsf``, ``frsf``    :class:`SignSymmetry`, uniform, batchwise-random or
                               fixed-random ``magnitude``
``drtp``                       :class:`DRTP`, direct random target projection
``switch``                     :class:`Switch`, one rule and then another
``shallow``                    :class:`Shallow`, no feedback: the control where
                               only the output layer learns
=============================  ====================================================
"""

from ._alignment import FA
from ._backprop import BP
from ._base import FEEDBACK_RULES, FeedbackRule, Progress, register
from ._blocked import BlockedDFA, FeedbackPropagation
from ._direct import DFA, IFA
from ._general import GeneralRule
from ._init import FEEDBACK_INITS
from ._learned import KolenPollack, WeightMirror
from ._shallow import Shallow
from ._sign import SignSymmetry
from ._switch import Switch
from ._target import DRTP

__all__ = [
    "BP",
    "DFA",
    "DRTP",
    "FA",
    "FEEDBACK_INITS",
    "FEEDBACK_RULES",
    "IFA",
    "BlockedDFA",
    "FeedbackPropagation",
    "FeedbackRule",
    "GeneralRule",
    "KolenPollack",
    "Progress",
    "Shallow",
    "SignSymmetry",
    "Switch",
    "WeightMirror",
    "register",
]
