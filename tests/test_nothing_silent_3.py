"""Issue 27, third pass of "nothing silent": the fused kernels' shape checks,
the ``SKFA_NUMBA`` switch, the exported MLP's warm start with early
stopping, channel-first images in ReconstructionDisplay, SHA256SUMS with
directories, and ``load_mnist`` offline."""

import numpy as np
import pytest

from skfa import FeedbackAlignmentClassifier, _kernels
from skfa._activations import ACTIVATIONS, DERIVATIVES
from skfa.feedback import FeedbackRule
from skfa.layers import Conv2D

# -- item 3: the fused kernels check shapes, with the same error on both paths


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "identity"])
@pytest.mark.parametrize(
    "h_shape, delta_shape",
    [
        ((6, 30), (6, 20)),  # too narrow: the kernel used part of h
        ((6, 30), (6, 5000)),  # too wide: the kernel read past h's end
        ((6, 2, 3, 3), (6, 18)),  # rows on a convolution's maps: TypingError
    ],
)
def test_derivative_checks_the_shapes_on_both_paths(
    activation, h_shape, delta_shape, step_path
):
    rng = np.random.default_rng(0)
    h = ACTIVATIONS[activation](rng.standard_normal(h_shape), np)
    delta = rng.standard_normal(delta_shape)
    before = delta.copy()
    message = (
        rf"delta has shape \({delta_shape[0]}, {delta_shape[1]}\) but the "
        r"layer's output h_i has shape \(6, "
    )
    with pytest.raises(ValueError, match=message) as raised:
        DERIVATIVES[activation](h, delta, np)
    assert "forward.fprime(i, delta)" in str(raised.value)
    assert ("forward.shaped(i, rows)" in str(raised.value)) == (len(h_shape) == 4)
    np.testing.assert_array_equal(delta, before)  # untouched


class _ProjectedRule(FeedbackRule):
    """Sends the error to each hidden layer through a fixed matrix of
    ``extra`` too many columns, as rows, through ``forward.fprime``."""

    def __init__(self, extra=0):
        self.extra = extra

    def feedback_shapes(self, layer_units):
        L = len(layer_units) - 1
        return {i: (layer_units[L], layer_units[i] + self.extra) for i in range(1, L)}

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        return [forward.fprime(i, error @ feedback[i]) for i in sorted(feedback)]


@pytest.mark.parametrize(
    "layers, extra, got, h",
    [
        ((12,), 3, "(40, 15)", "(40, 12)"),
        ((12,), 4000, "(40, 4012)", "(40, 12)"),
        ((Conv2D(2, 3),), 0, "(40, 72)", "(40, 2, 6, 6)"),
    ],
)
def test_a_rule_with_a_delta_of_the_wrong_shape_gets_a_clear_error(
    layers, extra, got, h, step_path
):
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 64)), np.arange(40) % 3
    clf = FeedbackAlignmentClassifier(
        hidden_layer_sizes=layers,
        input_shape=(1, 8, 8) if extra == 0 else None,
        feedback=_ProjectedRule(extra),
        activation="tanh",
        max_iter=1,
        random_state=0,
    )
    message = (
        rf"delta has shape \{got[:-1]}\) but the layer's output h_i "
        rf"has shape \{h[:-1]}\)"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_the_step_checks_the_gradients_shapes_on_both_paths(step_path):
    # the optimizers ask fused(params, grads, state) before either path
    params, state = [np.zeros((4, 3)), np.zeros(3)], [np.zeros((4, 3)), np.zeros(3)]
    grads = [np.ones((4, 2)), np.ones(3)]
    message = (
        r"Parameter 0 of the step has shape \(4, 3\) but its gradient has shape "
        r"\(4, 2\)\. A feedback rule's hidden_deltas must return"
    )
    with pytest.raises(ValueError, match=message):
        _kernels.fused(params, grads, state)
    with pytest.raises(ValueError, match=r"but its optimizer state has shape \(2,\)"):
        _kernels.fused(params, [np.ones((4, 3)), np.ones(3)], [state[0], np.ones(2)])
    assert _kernels.fused(params, params, state) is (step_path == "fast")


# -- item 12: SKFA_NUMBA's values


@pytest.mark.parametrize(
    "value, on",
    [
        ("0", False),
        ("false", False),
        ("OFF", False),
        (" No ", False),
        ("1", True),
        ("True", True),
        ("on", True),
        ("YES", True),
        ("", True),
    ],
)
def test_skfa_numba_accepts_the_usual_words(value, on, monkeypatch):
    monkeypatch.setenv("SKFA_NUMBA", value)
    a = np.zeros((4, 3))
    assert _kernels.enabled() is (on and _kernels.NUMBA_INSTALLED)
    assert _kernels.fused([a], [a.copy()]) is (on and _kernels.NUMBA_INSTALLED)


def test_skfa_numba_unset_leaves_the_kernels_on(monkeypatch):
    monkeypatch.delenv("SKFA_NUMBA", raising=False)
    assert _kernels.enabled() is _kernels.NUMBA_INSTALLED


def test_skfa_numba_with_another_value_is_a_clear_error(monkeypatch, digits):
    monkeypatch.setenv("SKFA_NUMBA", "maybe")
    X, _, y, _ = digits
    clf = FeedbackAlignmentClassifier(hidden_layer_sizes=(8,), max_iter=1)
    message = (
        r"SKFA_NUMBA='maybe' is not understood: set it to one of 0, false, off, "
        r"no to turn skfa's fused kernels off, or to one of 1, true, on, yes"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X[:50], y[:50])
