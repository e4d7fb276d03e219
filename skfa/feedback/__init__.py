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
``fdfa``                       :class:`FDFA`, forward direct feedback alignment
``sdfa``                       :class:`SignDFA`, DFA with the sign of the error
``dkp``                        :class:`DirectKolenPollack`, DFA whose matrices
                               learn (direct Kolen-Pollack)
``ifa``                        :class:`IFA`, indirect feedback alignment
``fp``                         :class:`FeedbackPropagation`
``bdfa``                       :class:`BlockedDFA`
``s1``, ``s2``, ``s3``         :class:`GeneralRule` with that ``strategy``
``kp``                         :class:`KolenPollack`
``wm``                         :class:`WeightMirror`
``pfa``                        :class:`ProductFA`, product feedback alignment
``usf``, ``brsf``, ``frsf``    :class:`SignSymmetry`, uniform, batchwise-random or
                               fixed-random ``magnitude``
``drtp``                       :class:`DRTP`, direct random target projection
``dtp``                        :class:`DTP`, difference target propagation
``ddtp``                       :class:`DDTP`, target propagation with the
                               difference reconstruction loss
``les``                        :class:`LocalErrorSignals`, local losses of each
                               hidden layer (Nøkland and Eidnes)
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
from ._direct_kp import DirectKolenPollack
from ._forward_gradient import FDFA
from ._general import GeneralRule
from ._init import FEEDBACK_INITS
from ._learned import KolenPollack, WeightMirror
from ._local import LocalErrorSignals
from ._product import ProductFA
from ._shallow import Shallow
from ._sign import SignSymmetry
from ._sign_direct import SignDFA
from ._switch import Switch
from ._target import DRTP
from ._target_prop import DDTP, DTP

__all__ = [
    "BP",
    "DFA",
    "DDTP",
    "DRTP",
    "DTP",
    "FA",
    "FDFA",
    "FEEDBACK_INITS",
    "FEEDBACK_RULES",
    "IFA",
    "BlockedDFA",
    "DirectKolenPollack",
    "FeedbackPropagation",
    "FeedbackRule",
    "GeneralRule",
    "KolenPollack",
    "LocalErrorSignals",
    "ProductFA",
    "Progress",
    "Shallow",
    "SignDFA",
    "SignSymmetry",
    "Switch",
    "WeightMirror",
    "register",
]
