"""Activation functions and their derivatives, as tables of functions.

``ACTIVATIONS[name](a, xp)`` turns pre-activations ``a`` into activations
``h = f(a)``, in place where the namespace allows; the result must be used.
``DERIVATIVES[name](h, delta, xp)`` multiplies ``delta`` in place by
``f'(a)``, written in terms of the layer's output ``h`` so that the forward
pass need not keep ``a``:

=========  ===================  ==========================
name       f(a)                 f'(a) from h = f(a)
=========  ===================  ==========================
identity   a                    1
logistic   1 / (1 + exp(-a))    h (1 - h)
tanh       tanh(a)              1 - h**2
relu       max(a, 0)            1 where h > 0, else 0
=========  ===================  ==========================

Output activations: ``softmax`` (multiclass), ``logistic`` (binary and
multilabel), ``identity`` (squared error) and ``exp`` (Poisson loss).
"""

from scipy.special import expit

from . import _kernels
from ._backend import apply_inplace, is_numpy, supports_out


def _identity(a, xp):
    return a


def _logistic(a, xp):
    if is_numpy(xp):
        return expit(a, out=a)
    return 1 / (1 + xp.exp(-a))


def _tanh(a, xp):
    return apply_inplace(xp, xp.tanh, a)


def _relu(a, xp):
    if supports_out(xp):
        return xp.maximum(a, 0, out=a)
    return xp.where(a > 0, a, xp.zeros_like(a))


def _exp(a, xp):
    return apply_inplace(xp, xp.exp, a)


def _softmax(a, xp):
    a -= xp.max(a, axis=1, keepdims=True)
    a = apply_inplace(xp, xp.exp, a)
    a /= xp.sum(a, axis=1, keepdims=True)
    return a


ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "exp": _exp,
    "softmax": _softmax,
}


def _identity_derivative(h, delta, xp):
    return delta


def _logistic_derivative(h, delta, xp):
    delta *= h
    delta *= 1 - h
    return delta


def _tanh_derivative(h, delta, xp):
    delta *= 1 - h * h
    return delta


def _relu_derivative(h, delta, xp):
    delta[h <= 0] = 0
    return delta


def _fused(name, ufuncs):
    # the compiled one-pass kernel where it applies (skfa._kernels), else
    # ufuncs; _kernels.derivative checks delta's shape against h's first, on
    # both paths (and for the identity, which has no kernel)
    def derivative(h, delta, xp):
        fused = _kernels.derivative(name, h, delta)
        return ufuncs(h, delta, xp) if fused is None else fused

    derivative.__doc__ = ufuncs.__doc__
    return derivative


DERIVATIVES = {
    "identity": _fused("identity", _identity_derivative),
    "logistic": _fused("logistic", _logistic_derivative),
    "tanh": _fused("tanh", _tanh_derivative),
    "relu": _fused("relu", _relu_derivative),
}
