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

    ``options`` are SciPy's ``maxfun``, ``maxiter`` and ``gtol``.
    """
    X, sample_weight = data.X, data.sample_weight
    xp = namespace(X)
    y = xp.asarray(data.y, dtype=X.dtype)
    rule = state.feedback.rule
    shapes = [p.shape for p in state.coefs + state.intercepts]
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    n = len(state.coefs)

    # scipy steps on the host; the loss and gradients are computed in xp,
    # one copy of the parameters and one of the gradients per evaluation
    def unpack(packed):
        params = [
            asarray_like(np.reshape(packed[start:stop], shape), X)
            for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)
        ]
        state.coefs, state.intercepts = params[:n], params[n:]

    def loss_and_grad(packed):
        unpack(packed)
        loss, coef_grads, intercept_grads, _ = loss_and_gradients(
            state, model, rule, state.feedback.prepared, (X, y, sample_weight), xp
        )
        grad = np.concatenate(
            [np.ravel(to_host(g)) for g in coef_grads + intercept_grads]
        ).astype(np.float64)
        return float(loss), grad

    packed = np.concatenate(
        [np.ravel(to_host(p)) for p in state.coefs + state.intercepts]
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
