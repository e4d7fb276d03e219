"""The lbfgs fit: SciPy's L-BFGS-B on the exact loss and gradient."""

import numpy as np
import scipy.optimize

from .._backend import asarray_like, namespace, to_host
from .._compat import _check_optimize_result
from .step import loss_and_gradients


def fit_lbfgs(state, model, data, options):
    """Minimise the loss over the whole data with L-BFGS-B, as
    ``MLPClassifier`` does; the state's weights and intercepts become the
    solution (new arrays), its record's ``n_iter`` and ``loss`` the run's.

    ``options`` are SciPy's ``maxfun``, ``maxiter`` and ``gtol``. A rule
    whose hidden layers do not learn (:class:`~skfa.feedback.Shallow`)
    leaves them out of the minimisation: only the output layer's weights and
    intercepts are searched, and the hidden layers stay as drawn.
    """
    X, sample_weight = data.X, data.sample_weight
    xp = namespace(X)
    y = xp.asarray(data.y, dtype=X.dtype)
    rule = state.feedback.rule
    n = len(state.coefs)
    layers = list(range(n)) if rule.trains_hidden else [n - 1]

    def trained(coefs, intercepts):
        return [coefs[i] for i in layers] + [intercepts[i] for i in layers]

    shapes = [p.shape for p in trained(state.coefs, state.intercepts)]
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    # scipy steps on the host; the loss and gradients are computed in xp,
    # one copy of the parameters and one of the gradients per evaluation
    def unpack(packed):
        params = [
            asarray_like(np.reshape(packed[start:stop], shape), X)
            for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)
        ]
        coefs, intercepts = list(state.coefs), list(state.intercepts)
        for k, i in enumerate(layers):
            coefs[i], intercepts[i] = params[k], params[len(layers) + k]
        state.coefs, state.intercepts = coefs, intercepts

    def loss_and_grad(packed):
        unpack(packed)
        loss, coef_grads, intercept_grads, _ = loss_and_gradients(
            state, model, rule, state.feedback.prepared, (X, y, sample_weight), xp
        )
        grad = np.concatenate(
            [np.ravel(to_host(g)) for g in trained(coef_grads, intercept_grads)]
        ).astype(np.float64)
        return float(loss), grad

    packed = np.concatenate(
        [np.ravel(to_host(p)) for p in trained(state.coefs, state.intercepts)]
    )
    result = scipy.optimize.minimize(
        loss_and_grad,
        packed.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options=options,
    )
    state.record.n_iter = _check_optimize_result("lbfgs", result, options["maxiter"])
    state.record.loss = float(result.fun)
    unpack(result.x)
