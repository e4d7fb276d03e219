"""Reproduce the papers' results (MNIST and XOR) with skfa, beside their figures.

Each experiment trains the papers' networks with the papers' settings where
they give them, and with the choices below where they leave a setting open
(the same choices for the full and the reduced runs). Every model's row goes
to a CSV as soon as it finishes, so an interrupted run keeps what it did, and
the markdown table is rewritten after every row. Both go to a new temporary
folder (its path is printed) unless ``--out-dir DIR`` names one:
``--out-dir benchmarks/results`` updates the committed tables. Each table
starts with the command, the commit, the machine and the libraries.

Experiments (``--experiment NAME``):

``seed001-table2``
    Seed 001, Table 2: 784-800-800-10 tanh trained by the general rule's
    strategies s1, s2, s3 on the output error; paper 1.96 / 1.95 / 2.03 %
    test error. Target: each within +0.3 points.
``seed001-table3``
    Seed 001, Table 3: the same with layer-wise auxiliary errors
    (``GeneralRule(strategy, aux=True)``); paper 1.66 / 1.86 / 1.87 %.
    Target: within +0.3.
``seed001-table4``
    Seed 001, Table 4: DFA with the structured feedback matrices B1..B7;
    paper 2.19 2.32 2.40 2.04 2.22 2.27 2.38 %. Target: within +0.4 each.
``seed001-table4-adam``
    A labelled deviation from Table 4: the same seven matrices, and uniform
    U(-0.5, 0.5) DFA as the reference, trained by Adam at 0.001 instead of
    SGD. Under softmax cross-entropy each sample's error sums to zero over
    the classes, so ``e @ ones = 0``: B1 feeds back what B7 does, B5 tiny
    uniform noise, B2 (identity) reaches 10 of 800 units. Under SGD the
    feedback's scale is the hidden layers' learning rate and these tiny
    feedbacks underfit; Adam normalises the step of each weight, so that
    B1, B3, B5 and B7 should come near uniform DFA while B2 stays worse.
``seed001-autoencoder``
    Seed 001, experiment 3: 784-128-128-784 and 784-800-800-784 autoencoders
    trained by bp, dfa, s1, s2 and s3 with squared error. The paper shows
    reconstructions (Figure 6) and no figures: DFA and s1-s3 "of reasonable
    and similar quality, but all worse than back-propagation. Strategy 2 is
    the worst." Reported: the test reconstruction MSE per pixel, ranked.
``seed000-dfa``
    Nøkland (2016), DFA on 784-800-800-10 tanh with his feedback
    initialisation U(-1/sqrt(fan), 1/sqrt(fan)), without dropout;
    his 1.45 % test error. Target: within +0.3. A second row uses seed
    001's U(-0.5, 0.5) feedback: under SGD the feedback's scale acts as the
    hidden layers' learning rate, and Nøkland's is 14x smaller at width 800.
``seed000-dropout``
    Nøkland (2016)'s headline: DFA on 784-800-800-10 tanh with dropout, 1.45 %
    test error. Target: at most 1.6 %. bp and fa are trained with the same
    settings (``DROPOUT_SETTINGS``) beside it.
``seed003-deep``
    Seed 003, Table 1: 100 hidden layers of 200 units trained by DFA, blocked
    DFA with blocks of 50 and 25, and BP; paper 89.2 / 90.8 / 93.2 % test
    accuracy, BP does not converge. Target: each within 2 points below the
    paper or better; BP below DFA. One more model, not in the paper, is a
    diagnostic: blocked DFA with blocks of 25 that pass down the projection
    before ``f'`` (``SourceBeforeDerivativeBDFA``).
``seed003-bdfa-scale``
    A control for seed 003's blocked-DFA gain, under SGD (our choice: 0.01,
    momentum 0.9; the paper names no optimizer): DFA, blocked DFA with
    blocks of 25, and DFA whose fixed matrices are rescaled to the norm of
    the chained matrices through which blocked DFA feeds each layer
    (``ScaleOnlyDFA``: blocked DFA's feedback scale, DFA's directions). If
    the control moves with blocked DFA, the gain is one of feedback scale,
    which under SGD is a learning rate of the hidden layers: a conjecture
    this run tests, not a result of the paper.
``seed003-fp``
    Seed 003, Section 6.2.2: 15 hidden layers of 720 units trained by
    feedback propagation with ``bp_depth`` 0 to 5; 94.6 % test accuracy after
    10,000 steps for every depth. Target: within 2 points below or better.
``lee2015-dtp``
    Lee, Zhang, Fischer and Bengio (2015), difference target propagation:
    7 hidden layers of 240 tanh units, batches of 100, 100 epochs; the
    paper's 1.94 % test error. Target: within +0.3 points. Lee et al. train
    with RMSprop (forward 0.015, inverses 0.005) on 50,000 images and take
    the last hidden layer's target from the gradient (``DTP(last_target=
    "gradient")``); ours (``LEE_SETTINGS``) is Adam at 0.001 on all 60,000,
    with Lee et al.'s target step 0.33 and noise 0.36, and the inverses'
    Adam at 0.003 (chosen over 0.001 and 0.002 on a 5-epoch trial of 10,000
    images). A second row learns the inverse of the output layer from the
    logits instead (Meulemans et al.'s DTP, skfa's default); a third trains
    the same network by backpropagation.
``nokland2019-les``
    Nøkland and Eidnes (2019), "Training neural networks with local error
    signals": their MNIST multilayer perceptron, 3 x 1024 with batch
    normalisation and dropout 0.1, each hidden layer trained by its own
    ``predsim`` loss (``LocalErrorSignals(beta=0.99)``), no error crossing
    a layer; their 0.62 % test error (the global loss, backpropagation,
    0.75 %). Their training: Adam at 5e-4, batches of 128, 100 epochs, the
    rate x 0.25 at epochs 50, 75, 89 and 94, each epoch's images shifted
    by up to 2 pixels (a random 28 x 28 crop of the image padded by 2),
    then standardised (mean 0.1307, standard deviation 0.3081); the
    authors' ``train.py`` defaults and README recipe. Ours is the same but
    for ReLU where their local-loss runs use leaky ReLU (skfa has none), and
    the local read-outs as skfa's rule defines them (see its docstring).
    Target: within +0.3 points.
``biotorch-lenet``
    Convolutions: a LeNet-style network (two convolution + max-pooling
    stages, one dense layer of 120, tanh) trained on MNIST by bp, fa, dfa,
    usf, brsf, frsf and kp, beside the MNIST row of BioTorch (Sanfiz and
    Akrout 2021, "Benchmarking the accuracy and robustness of feedback
    alignment algorithms"): bp 0.91, fa 1.70, dfa 1.61, usf 0.94, brsf 0.91,
    frsf 0.97 % test error. Target: each at most its figure + 0.2, and kp at
    most usf. Their network and training differ from ours (see the
    settings), so the row is a bar to reach, not a replication. With
    ``--dataset cifar10 --data DIR`` the same network and rules train on
    CIFAR-10's python batches (``input_shape=(3, 32, 32)``); no figure is
    published for it, so the table has ours alone.
``seed002-xor``
    Seed 002: XOR learnt by a 2-10-10-1 ReLU network with feedback alignment,
    with fixed and with resampled feedback (``resample_feedback=True``);
    the paper reaches 100 % accuracy. Reported: the share of 10 seeds that
    classify all four XOR points correctly.

Settings, and the choices where the papers are silent:

- Seed 001 (and seed 000, which follows it here): SGD at learning rate 0.001,
  100 epochs, Xavier weights, feedback U(-0.5, 0.5) (``"uniform"``; B1..B7 in
  Table 4). The paper gives no batch size and no momentum; its training error
  "always below 0.01 %" after 100 epochs points at per-example steps. We use
  batches of 128 with SGD at 0.01 and Nesterov momentum 0.9: per epoch this
  moves the weights as far as per-example SGD at 0.01 / (128 * (1 - 0.9)) =
  0.00078 would, at a fraction of the cost. No weight decay (``alpha=0``).
  The biases are drawn as skfa (and MLPClassifier) draws them, Glorot
  uniform, not N(0, 1) as in the paper: skfa has no bias initialiser.
  Nøkland used U(-1/sqrt(fan), 1/sqrt(fan)) feedback (``"nokland"``).
- Seed 003: the paper gives neither activation, optimizer, learning rate nor
  batch size (its code derives from a TensorFlow notebook). We use tanh, as
  Nøkland did, batches of 100, Adam at 0.001 (``DEEP_SETTINGS``; 0.0001 learnt
  less in a 200-step trial of the 100-layer net: 12 % against 20 %), and count
  steps as the paper does; the test accuracy is also recorded every
  ``eval_every`` steps.
- Seed 002: 2-10-10-1 ReLU, linear output, squared error, SGD at 0.01
  without momentum, one example per step, 5000 steps; skfa's layers have
  biases (the blog's have none) and its feedback is U(-0.5, 0.5), the blog's
  standard normal.

Every model of an experiment starts from the same weights (``random_state=0``)
and sees the same batches. ``--quick`` trains on a subset for a few epochs or
steps (CI); ``--epochs``, ``--steps`` and ``--n-train`` shorten a run.
A run with fewer epochs, steps or training images than the paper's is marked
"reduced" in its table. On a busy machine, one BLAS thread
(``OPENBLAS_NUM_THREADS=1``) runs these small GEMMs many times faster than
several (12x for the 100-layer network on the 2-core machine under load).

Usage, from the repository root (``PYTHONPATH=.`` when skfa is not
installed)::

    python benchmarks/reproduce.py --experiment seed001-table2 --data DIR \
        --out-dir benchmarks/results
    python benchmarks/reproduce.py --experiment seed001-table2 --epochs 20
    python benchmarks/reproduce.py --experiment seed002-xor
    python benchmarks/reproduce.py --experiment all --quick
"""

import argparse
import csv
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import _output
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skfa import (
    FeedbackAlignmentAutoencoder,
    FeedbackAlignmentClassifier,
    FeedbackAlignmentRegressor,
)
from skfa.datasets import load_cifar10, load_mnist
from skfa.feedback import (
    DFA,
    DTP,
    BlockedDFA,
    FeedbackPropagation,
    GeneralRule,
    KolenPollack,
    LocalErrorSignals,
)
from skfa.layers import BatchNorm, Conv2D, MaxPool2D
from skfa.schedules import StepDecay

ROOT = Path(__file__).resolve().parent
DEFAULT_DATA = ROOT.parents[1] / "shared" / "data" / "mnist"

#: Seed 001's 2x800 tanh network and training (see the module docstring).
WIDE_SETTINGS = dict(
    hidden_layer_sizes=(800, 800),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.9,
    nesterovs_momentum=True,
    batch_size=128,
    alpha=0.0,
    feedback_init="uniform",
    random_state=0,
)
#: Nøkland's 2x800 tanh network with dropout: his learning rate, its decay and
#: the training time were chosen on a validation set and are not stated; the
#: rates are Srivastava et al.'s for MNIST (20 % of the inputs, 50 % of the
#: hidden units); the decay is our choice: the rate divided by 5 whenever the
#: training loss fails to improve by 1e-4 for more than 10 epochs in a row,
#: until below 1e-6.
DROPOUT_SETTINGS = dict(
    WIDE_SETTINGS,
    dropout=(0.2, 0.5, 0.5),
    learning_rate="adaptive",
    tol=1e-4,
    n_iter_no_change=10,
)
#: BioTorch's own LeNet-5 and training (``jsalbert/biotorch``:
#: ``models/le_net.py``, ``benchmark/optimizers.py``, ``training/trainer.py``):
#: 32x32 inputs, conv 6@5x5, ReLU, 2x2 max pool, conv 16@5x5, ReLU, max pool,
#: conv 120@5x5, ReLU, dense 84, ReLU, output 10, no padding; SGD with
#: momentum 0.9 (not Nesterov), batches of 64, 100 epochs with the rate / 10
#: at epochs 50 and 75, PyTorch's weight decay 1e-3 on every parameter
#: (biases included), Xavier-uniform weights, zero biases, feedback at the
#: weights' Xavier scale; float32.
PROTOCOL_SETTINGS = dict(
    hidden_layer_sizes=(
        Conv2D(6, 5),
        MaxPool2D(2),
        Conv2D(16, 5),
        MaxPool2D(2),
        Conv2D(120, 5),
        84,
    ),
    input_shape=(1, 32, 32),
    activation="relu",
    solver="sgd",
    momentum=0.9,
    nesterovs_momentum=False,
    batch_size=64,
    learning_rate=StepDecay(milestones=(50, 75), factor=0.1),
    alpha=0.0,
    weight_decay=1e-3,
    decay_intercepts=True,
    intercept_init="zeros",
    feedback_init="glorot",
    random_state=0,
)
#: MNIST's standardisation in BioTorch's data module.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

#: The LeNet of ``biotorch-lenet``: LeCun et al. (1998)'s LeNet-5 layout
#: (6 and 16 kernels of 5x5, 2x2 max pooling, a dense layer of 120; the
#: second dense layer of 84 left out, as the issue's "one dense layer" asks),
#: tanh, float32, SGD at 0.01 with Nesterov momentum 0.9, batches of 128,
#: alpha=1e-4 (MLPClassifier's default penalty), feedback U(-0.5, 0.5): our
#: choices, the same for every rule.
LENET_SETTINGS = dict(
    hidden_layer_sizes=(
        Conv2D(6, 5, padding=2),
        MaxPool2D(2),
        Conv2D(16, 5),
        MaxPool2D(2),
        120,
    ),
    input_shape=(1, 28, 28),
    activation="tanh",
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.9,
    nesterovs_momentum=True,
    batch_size=128,
    alpha=1e-4,
    feedback_init="uniform",
    random_state=0,
)
#: Lee et al. (2015)'s MNIST network for difference target propagation:
#: 7 x 240 tanh, batches of 100, no weight decay; Adam at 0.001 in place of
#: their RMSprop (skfa has none), Glorot weights in place of their scaled
#: orthogonal ones.
LEE_SETTINGS = dict(
    hidden_layer_sizes=(240,) * 7,
    activation="tanh",
    solver="adam",
    learning_rate_init=1e-3,
    batch_size=100,
    alpha=0.0,
    random_state=0,
)
#: Lee et al.'s target step and noise; the inverses' Adam rate is ours.
LEE_DTP = dict(target_step=0.33, noise_std=0.36, feedback_learning_rate=0.003)
#: Nøkland and Eidnes (2019)'s MNIST multilayer perceptron and training
#: (``anokland/local-loss``: ``train.py``'s defaults, the README's recipe):
#: 3 x 1024, each linear layer followed by batch normalisation, the
#: non-linearity and dropout 0.1; Adam at 5e-4, batches of 128, no weight
#: decay, the rate x 0.25 at epochs 50, 75, 89 and 94 of 100. ReLU in place
#: of their local-loss runs' leaky ReLU (skfa has none).
LES_SETTINGS = dict(
    hidden_layer_sizes=(1024, BatchNorm(), 1024, BatchNorm(), 1024, BatchNorm()),
    activation="relu",
    solver="adam",
    learning_rate_init=5e-4,
    learning_rate=StepDecay(milestones=(50, 75, 89, 94), factor=0.25),
    batch_size=128,
    dropout=0.1,
    alpha=0.0,
    random_state=0,
)
#: Seed 003's deep networks: the paper leaves these open; our choice.
DEEP_SETTINGS = dict(
    activation="tanh",
    solver="adam",
    learning_rate_init=1e-3,
    batch_size=100,
    alpha=0.0,
    feedback_init="uniform",
    random_state=0,
)


class SourceBeforeDerivativeBDFA(BlockedDFA):
    """Blocked DFA whose blocks pass down their projection before ``f'``.

    Not seed 003's rule: METHODS.md's ``bdfa`` passes down the delta of the
    layer above the block, ``delta_src = (source @ B_src) * f'(a_src)``; this
    variant passes ``source @ B_src`` and multiplies by each layer's own
    ``f'`` only. A diagnostic for ``seed003-deep``: with the ``f'(a_src)``
    factor, a lower block's feedback ``e @ B_src diag(f'(a_src)) B_i``
    changes from sample to sample with the activations of layer ``src``;
    without it, the feedback is the fixed random matrix ``e @ B_src @ B_i``.
    """

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        projections, deltas = {forward.n_layers: error}, {}
        for src, layers, packed in feedback:
            projected = projections[src] @ packed
            start = 0
            for i in layers:
                stop = start + forward.h[i].shape[1]
                projections[i] = projected[:, start:stop]
                deltas[i] = forward.fprime(i, projected[:, start:stop].copy())
                start = stop
        return [deltas[i] for i in range(1, forward.n_layers)]


class ScaleOnlyDFA(BlockedDFA):
    """DFA at blocked DFA's feedback scale: a control, not a rule of the papers.

    Layer ``i`` gets DFA's ``delta_i = (e @ B_i) * f'(a_i)``, with its own
    fixed random ``B_i`` of shape ``(n_L, n_i)`` rescaled to the Frobenius
    norm of ``M_i = B_src ... B_i``, the chain of matrices through which
    ``BlockedDFA(block_size)`` feeds layer ``i`` (its ``f'`` factors left
    out). So the control has blocked DFA's scale, layer by layer, and DFA's
    directions. ``feedback_weights_`` holds blocked DFA's matrices, then
    DFA's.
    """

    def feedback_shapes(self, network):
        chain = super().feedback_shapes(network)
        widths = network.widths
        direct = {i: (widths[-1], widths[i]) for i in range(1, network.n_layers)}
        return {
            **{("chain", i): shape for i, shape in chain.items()},
            **{("dfa", i): shape for i, shape in direct.items()},
        }

    def prepare_feedback(self, feedback, xp):
        chain = {i: B for (kind, i), B in feedback.items() if kind == "chain"}
        n_layers = max(chain) + 1
        products, scaled = {n_layers: None}, {}
        for src, layers in self._blocks(n_layers):
            for i in layers:
                M = chain[i] if products[src] is None else products[src] @ chain[i]
                products[i] = M
                B = feedback[("dfa", i)]
                scaled[i] = B * (xp.linalg.vector_norm(M) / xp.linalg.vector_norm(B))
        return xp.concat([scaled[i] for i in sorted(scaled)], axis=1)

    def hidden_deltas(self, forward, error, targets, weights, feedback):
        projected = error @ feedback  # one GEMM, as DFA
        deltas, start = [], 0
        for i in range(1, forward.n_layers):
            stop = start + forward.h[i].shape[1]
            deltas.append(forward.fprime(i, projected[:, start:stop]))
            start = stop
        return deltas


#: Seed 001's experiment 3, as examples/autoencoder_mnist.py trains it.
AUTOENCODER_SETTINGS = dict(
    hidden_layer_sizes=(128, 128),
    activation="tanh",
    out_activation="logistic",
    solver="adam",
    learning_rate_init=1e-3,
    batch_size=128,
    random_state=0,
)
#: Seed 002's XOR network and training.
XOR_SETTINGS = dict(
    hidden_layer_sizes=(10, 10),
    activation="relu",
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.0,
    batch_size=1,
    alpha=0.0,
)


@dataclass
class Experiment:
    """One paper result: its models, figures, budget and target."""

    title: str
    kind: str  # "epochs", "steps", "autoencoder" (epochs) or "xor"
    metric: str
    models: dict  # label -> (estimator parameters, paper figure or None)
    settings: dict
    budget: int  # the paper's epochs (kind "epochs"), steps or XOR steps
    quick_budget: int
    quick_n_train: int
    target: str
    within: object  # within(ours, paper) -> bool
    notes: str = ""
    caveat: str = ""  # what a reader of the table must know, in its header
    extra: dict = field(default_factory=dict)
    digits: int = 2  # of the figures in the tables
    budget_is_ours: bool = False  # the paper states no budget
    cifar10: bool = False  # also runs on CIFAR-10 (--dataset cifar10)


#: The caveats of an independent reading of the papers against the code
#: (2026-11-29), printed in the tables' headers.
TABLE4_CAVEAT = (
    "under softmax cross-entropy each sample's output error sums to zero over "
    "the classes, so a matrix of ones carries no error: B1 feeds back exactly "
    "what B7 does (the same noise is drawn), B5 only its U(-0.01, 0.01) noise, "
    "and B2 (the identity) reaches 10 of the 800 units per layer. Table 4 is "
    "not reachable with plain SGD at the paper's stated scale; "
    "seed001-table4-adam is the labelled deviation run with Adam"
)
BDFA_CAVEAT = (
    "blocked DFA is read literally, as the paper's words say: each block is "
    "fed the delta, after f', of the layer just above it. The variant that "
    "passes the projection down before f' is not another rule: it is DFA with "
    "the fixed matrices B'_i = B_src @ B_i (equal to 1e-14, "
    "tests/test_reproduce.py), so its accuracy is DFA's; it is a labelled "
    "diagnostic, not a blocked-DFA result. The paper's gain of blocked DFA "
    "over DFA is plausibly an artefact of the feedback's scale under SGD "
    "(a conjecture; seed003-bdfa-scale is the control run)"
)


#: Seed 001's Table 4: DFA with the structured feedback B1..B7.
TABLE4_MODELS = {
    f"B{i} {init}": (dict(feedback="dfa", feedback_init=init), paper)
    for i, (init, paper) in enumerate(
        [
            ("ones_noise", 2.19),
            ("identity", 2.32),
            ("identity_noise", 2.40),
            ("sparse_ones", 2.04),
            ("ones_uniform", 2.22),
            ("sparse_ones_noise", 2.27),
            ("noise", 2.38),
        ],
        start=1,
    )
}


def _error_within(margin):
    return lambda ours, paper: ours <= paper + margin


def _accuracy_within(margin):
    return lambda ours, paper: ours >= paper - margin


EXPERIMENTS = {
    "seed001-table2": Experiment(
        title="Seed 001, Table 2: general rule on the output error, 2x800 tanh",
        kind="epochs",
        metric="test error %",
        models={
            s: (dict(feedback=GeneralRule(s)), paper)
            for s, paper in [("s1", 1.96), ("s2", 1.95), ("s3", 2.03)]
        },
        settings=WIDE_SETTINGS,
        budget=100,
        quick_budget=3,
        quick_n_train=2000,
        target="test error within +0.3 points of the paper's",
        within=_error_within(0.3),
    ),
    "seed001-table3": Experiment(
        title="Seed 001, Table 3: general rule on auxiliary errors, 2x800 tanh",
        kind="epochs",
        metric="test error %",
        models={
            f"{s} aux": (dict(feedback=GeneralRule(s, aux=True)), paper)
            for s, paper in [("s1", 1.66), ("s2", 1.86), ("s3", 1.87)]
        },
        settings=WIDE_SETTINGS,
        budget=100,
        quick_budget=3,
        quick_n_train=2000,
        target="test error within +0.3 points of the paper's",
        within=_error_within(0.3),
    ),
    "seed001-table4": Experiment(
        title="Seed 001, Table 4: DFA with structured feedback B1..B7, 2x800 tanh",
        kind="epochs",
        metric="test error %",
        models=TABLE4_MODELS,
        settings=WIDE_SETTINGS,
        budget=100,
        quick_budget=3,
        quick_n_train=1000,
        target="test error within +0.4 points of the paper's; B4 among the best",
        within=_error_within(0.4),
        caveat=TABLE4_CAVEAT,
    ),
    "seed001-table4-adam": Experiment(
        title=(
            "Seed 001, Table 4, labelled deviation: DFA with B1..B7 trained by "
            "Adam, not SGD, 2x800 tanh"
        ),
        kind="epochs",
        metric="test error %",
        models={
            "uniform U(-0.5, 0.5) (reference)": (dict(feedback="dfa"), None),
            **TABLE4_MODELS,
        },
        settings={**WIDE_SETTINGS, "solver": "adam", "learning_rate_init": 1e-3},
        budget=100,
        quick_budget=3,
        quick_n_train=1000,
        target=(
            "a deviation, not the paper's setting: B1, B3, B5, B7 near the "
            "uniform reference; B2 still worse"
        ),
        within=_error_within(0.4),
        notes=(
            "solver='adam' at 0.001 replaces the paper's SGD; Table 4 is not "
            "reachable with plain SGD at the paper's stated scale"
        ),
        caveat=TABLE4_CAVEAT,
    ),
    "seed001-autoencoder": Experiment(
        title="Seed 001, experiment 3: autoencoders 784-128-128-784, 784-800-800-784",
        kind="autoencoder",
        metric="test reconstruction MSE",
        models={
            f"{rule} ({width}-{width})": (
                dict(feedback=rule, hidden_layer_sizes=(width, width)),
                None,
            )
            for width in (128, 800)
            for rule in ("bp", "dfa", "s1", "s2", "s3")
        },
        settings=AUTOENCODER_SETTINGS,
        budget=20,
        quick_budget=2,
        quick_n_train=2000,
        target=(
            "the paper's Figure 6 (no figures): every feedback rule's "
            "reconstructions worse than bp's, s2's the worst"
        ),
        within=None,
        notes=(
            "the paper gives no epochs (20 are our choice); the 800-800 rows "
            "override the hidden layers"
        ),
        digits=5,
    ),
    "seed000-dfa": Experiment(
        title="Nøkland (2016): DFA, 2x800 tanh, Nøkland's feedback init",
        kind="epochs",
        metric="test error %",
        models={
            "dfa": (dict(feedback="dfa", feedback_init="nokland"), 1.45),
            # with SGD the feedback's scale is a learning rate of the hidden
            # layers: Nøkland's (bound 0.035 at width 800) against seed 001's
            "dfa, feedback U(-0.5, 0.5)": (dict(feedback="dfa"), 1.45),
        },
        settings=WIDE_SETTINGS,
        budget=100,
        quick_budget=3,
        quick_n_train=2000,
        target="test error within +0.3 points of 1.45 (no dropout)",
        within=_error_within(0.3),
    ),
    "seed000-dropout": Experiment(
        title="Nøkland (2016): DFA, 2x800 tanh, with dropout",
        kind="epochs",
        metric="test error %",
        models={
            "dfa": (dict(feedback="dfa"), 1.45),
            "bp": (dict(feedback="bp"), None),
            "fa": (dict(feedback="fa"), None),
        },
        settings=DROPOUT_SETTINGS,
        budget=200,
        quick_budget=3,
        quick_n_train=2000,
        target=(
            "dfa's test error at most 1.6 % (the paper's 1.45 % + 0.15); bp and "
            "fa trained alike for comparison"
        ),
        budget_is_ours=True,
        within=_error_within(0.15),
        notes=(
            "dropout 20 % on the input and 50 % on each hidden layer "
            "(Srivastava et al. 2014's MNIST rates); SGD at 0.01 with Nesterov "
            "momentum 0.9, divided by 5 whenever the training loss (with "
            "dropout) fails to improve by 1e-4 for more than 10 epochs; at most "
            "200 epochs (our budget: the paper chose its training time on a "
            "validation set and does not state it); feedback U(-0.5, 0.5)"
        ),
    ),
    "biotorch-lenet": Experiment(
        title="Convolutions: a LeNet on MNIST with bp, FA, DFA, sign symmetry, KP",
        kind="epochs",
        metric="test error %",
        models={
            "bp": (dict(feedback="bp"), 0.91),
            "fa": (dict(feedback="fa"), 1.70),
            "dfa": (dict(feedback="dfa"), 1.61),
            # DFA learns the convolutions slower than the other rules at the
            # shared step size: at 0.005 / 0.01 / 0.02 / 0.04, 10.1 / 8.3 /
            # 7.3 / 6.3 % test error after 6 epochs on 10,000 images
            "dfa, learning rate 0.04": (
                dict(feedback="dfa", learning_rate_init=0.04),
                1.61,
            ),
            "usf": (dict(feedback="usf"), 0.94),
            "brsf": (dict(feedback="brsf"), 0.91),
            "frsf": (dict(feedback="frsf"), 0.97),
            # magnitudes at the forward weights' scale, N(0, 1/fan), where
            # U(-0.5, 0.5)'s are several times larger (BioTorch draws them
            # as it draws the weights)
            "brsf, magnitudes N(0, 1/fan)": (
                dict(feedback="brsf", feedback_init="gaussian"),
                0.91,
            ),
            "frsf, magnitudes N(0, 1/fan)": (
                dict(feedback="frsf", feedback_init="gaussian"),
                0.97,
            ),
            "kp": (dict(feedback="kp"), None),
            # B - W.T only decays by learning_rate * alpha / batch per step:
            # 1e-6 here, so B keeps its draw; drawn smaller, it is mostly the
            # updates that B and W share
            "kp, feedback N(0, 1/fan)": (
                dict(feedback="kp", feedback_init="gaussian"),
                None,
            ),
            "kp, feedback N(0, 0.01**2)": (
                dict(feedback="kp", feedback_init="noise"),
                None,
            ),
        },
        settings=LENET_SETTINGS,
        budget=30,
        quick_budget=3,
        quick_n_train=2000,
        target=(
            "each at most BioTorch's MNIST figure + 0.2 points; kp at most usf "
            "(kp has no BioTorch figure)"
        ),
        within=_error_within(0.2),
        budget_is_ours=True,
        cifar10=True,
        extra=dict(dtype="float32"),
        notes=(
            "LeNet-5's layout: 6 kernels of 5x5 (padding 2), 2x2 max pool, 16 "
            "kernels of 5x5, 2x2 max pool, dense 120, output 10; tanh; float32; "
            "SGD at 0.01, Nesterov momentum 0.9, batch 128, alpha=1e-4 "
            "(MLPClassifier's penalty, 1e-4 / 128 a step: not PyTorch's "
            "weight_decay); "
            "feedback U(-0.5, 0.5) unless the model names another; 30 epochs (our "
            "budget). "
            "BioTorch's figures come from its own LeNet and training, so they "
            "are a bar, not the same experiment"
        ),
        caveat=(
            "BioTorch's row is a bar to reach: its network, initialisation and "
            "schedule are its own, not ours"
        ),
    ),
    "biotorch-lenet-protocol": Experiment(
        title=(
            "Convolutions like-for-like: BioTorch's LeNet-5 protocol on MNIST, "
            "bp, FA, DFA, sign symmetry, KP"
        ),
        kind="curve",
        metric="test error %",
        models={
            # MNIST's learning rates are not published: each rule's is chosen
            # on a validation split of the training set (extra["select"]),
            # among candidates that hold the rates BioTorch publishes for its
            # CIFAR-10 LeNet (bp, usf, brsf, frsf 0.1; fa 1e-3; dfa 1e-4)
            "bp": (dict(feedback="bp"), 0.91),
            "fa": (dict(feedback="fa"), 1.70),
            "dfa": (dict(feedback="dfa"), 1.61),
            "usf": (dict(feedback="usf"), 0.94),
            "brsf": (dict(feedback="brsf"), 0.91),
            "frsf": (dict(feedback="frsf"), 0.97),
            # KP aligns through the weight decay that B and W share, as in
            # BioTorch and Akrout et al.'s code: no decay of its own
            "kp": (dict(feedback=KolenPollack(decay=0.0)), None),
        },
        settings=PROTOCOL_SETTINGS,
        budget=100,
        quick_budget=2,
        quick_n_train=1000,
        target=(
            "final-epoch test error at most BioTorch's MNIST figure + 0.2 points; "
            "kp at most usf's figure of the same run"
        ),
        within=_error_within(0.2),
        extra=dict(
            dtype="float32",
            images=32,
            select=dict(candidates=(0.1, 0.01, 0.001, 1e-4), epochs=2, n_val=10_000),
        ),
        notes=(
            "BioTorch's LeNet-5 and training (PROTOCOL_SETTINGS): MNIST resized "
            "to 32x32 (bilinear, half-pixel centres, on floats: torchvision "
            "resizes the uint8 PIL image) and standardised with mean 0.1307 and "
            "std 0.3081; conv 6@5x5, ReLU, max pool 2, conv 16@5x5, ReLU, max "
            "pool 2, conv 120@5x5, ReLU, dense 84, ReLU, dense 10; SGD, momentum "
            "0.9, batches of 64 (the last, smaller batch of each epoch is kept: "
            "BioTorch drops it), 100 epochs, rate / 10 at epochs 50 and 75; "
            "weight_decay=1e-3 on weights and biases (PyTorch's coupled decay); "
            "Xavier-uniform weights, zero biases, feedback_init='glorot'. The "
            "test error is recorded after every epoch: 'final' is the last "
            "epoch's, 'best epoch' BioTorch's figure (the best of the 100 test "
            "evaluations). Each epoch reshuffles the batches (random_state "
            "seed * 1000 + epoch for the shuffle; the weights and feedback are "
            "the seed's)"
        ),
        caveat=(
            "BioTorch publishes no MNIST learning rates: each rule's is the best "
            "of 0.1, 0.01, 0.001 and 1e-4 after 2 epochs on the first 50,000 "
            "training images, scored on the last 10,000 (never the test set)"
        ),
    ),
    "seed003-deep": Experiment(
        title="Seed 003, Table 1: 100 hidden layers x 200 units",
        kind="steps",
        metric="test accuracy %",
        models={
            "dfa (block 100)": (dict(feedback=DFA()), 89.2),
            "bdfa block 50": (dict(feedback=BlockedDFA(block_size=50)), 90.8),
            "bdfa block 25": (dict(feedback=BlockedDFA(block_size=25)), 93.2),
            "bp": (dict(feedback="bp"), None),
            "variant: bdfa block 25, source before f'": (
                dict(feedback=SourceBeforeDerivativeBDFA(block_size=25)),
                None,
            ),
        },
        settings={**DEEP_SETTINGS, "hidden_layer_sizes": (200,) * 100},
        budget=10_000,
        quick_budget=2,
        quick_n_train=200,
        target="accuracy at most 2 points below the paper's; bp below dfa",
        within=_accuracy_within(2.0),
        notes=(
            "paper: BP does not converge (no figure); the variant is not the "
            "paper's rule (see SourceBeforeDerivativeBDFA)"
        ),
        caveat=BDFA_CAVEAT,
        extra=dict(eval_every=500),
    ),
    "seed003-bdfa-scale": Experiment(
        title=(
            "Seed 003, blocked DFA's gain: a scale-only control under SGD, "
            "100 hidden layers x 200 units"
        ),
        kind="steps",
        metric="test accuracy %",
        models={
            "dfa (block 100)": (dict(feedback=DFA()), 89.2),
            "bdfa block 25": (dict(feedback=BlockedDFA(block_size=25)), 93.2),
            "control: dfa at bdfa block 25's feedback scale": (
                dict(feedback=ScaleOnlyDFA(block_size=25)),
                None,
            ),
        },
        settings={
            **DEEP_SETTINGS,
            "hidden_layer_sizes": (200,) * 100,
            "solver": "sgd",
            "learning_rate_init": 0.01,
            "momentum": 0.9,
        },
        budget=10_000,
        quick_budget=2,
        quick_n_train=200,
        target=(
            "a control, not the paper's: does DFA at blocked DFA's feedback "
            "scale move with blocked DFA?"
        ),
        within=_accuracy_within(2.0),
        notes=(
            "SGD at 0.01 with momentum 0.9 is our choice; the control is "
            "ScaleOnlyDFA (see its docstring)"
        ),
        caveat=BDFA_CAVEAT,
        extra=dict(eval_every=500),
    ),
    "seed003-fp": Experiment(
        title="Seed 003, Section 6.2.2: feedback propagation, 15 x 720",
        kind="steps",
        metric="test accuracy %",
        models={
            f"fp bp_depth={k}": (dict(feedback=FeedbackPropagation(bp_depth=k)), 94.6)
            for k in range(6)
        },
        settings={**DEEP_SETTINGS, "hidden_layer_sizes": (720,) * 15},
        budget=10_000,
        quick_budget=2,
        quick_n_train=200,
        target="accuracy at most 2 points below 94.6 for every depth",
        within=_accuracy_within(2.0),
        notes="bp_depth=0 is DFA",
        extra=dict(eval_every=500),
    ),
    "lee2015-dtp": Experiment(
        title="Lee et al. (2015): difference target propagation, 7 x 240 tanh",
        kind="epochs",
        metric="test error %",
        models={
            "dtp": (dict(feedback=DTP(last_target="gradient", **LEE_DTP)), 1.94),
            # not the paper's: Meulemans et al.'s DTP, skfa's default
            "dtp, g_L from the logits": (dict(feedback=DTP(**LEE_DTP)), None),
            # the same network and training by backpropagation, for reference
            "bp": (dict(feedback="bp"), None),
        },
        settings=LEE_SETTINGS,
        budget=100,
        quick_budget=3,
        quick_n_train=2000,
        target="test error within +0.3 points of the paper's 1.94 %",
        within=_error_within(0.3),
        notes=(
            "Adam at 0.001, not the paper's RMSprop; 60,000 training images, "
            "not 50,000; the inverses' own Adam at 0.003; the second row "
            "learns the inverse of the output layer from the logits "
            "(Meulemans et al.'s DTP, skfa's default) where the paper takes "
            "the last hidden layer's target from the gradient"
        ),
    ),
    "nokland2019-les": Experiment(
        title=(
            "Nøkland and Eidnes (2019): local error signals (predsim), "
            "3 x 1024 with batch normalisation"
        ),
        kind="curve",
        metric="test error %",
        models={
            "les predsim": (dict(feedback=LocalErrorSignals(beta=0.99)), 0.62),
            # their global loss: the same network trained by backpropagation
            "bp": (dict(feedback="bp"), 0.75),
        },
        settings=LES_SETTINGS,
        budget=100,
        quick_budget=2,
        quick_n_train=500,
        target="test error within +0.3 points of the paper's",
        within=_error_within(0.3),
        notes=(
            "images shifted by up to 2 pixels each epoch and standardised, as "
            "theirs; ReLU, not their leaky ReLU; the final epoch's test error"
        ),
        extra=dict(jitter=2, standardise=(MNIST_MEAN, MNIST_STD)),
    ),
    "seed002-xor": Experiment(
        title="Seed 002: XOR with fixed and resampled random feedback",
        kind="xor",
        metric="% of seeds with all 4 XOR points right",
        models={
            "bp": (dict(feedback="bp"), 100.0),
            "fa": (dict(feedback="fa"), 100.0),
            "fa, resampled feedback": (
                dict(feedback="fa", resample_feedback=True),
                100.0,
            ),
            "dfa, resampled feedback": (
                dict(feedback="dfa", resample_feedback=True),
                None,
            ),
        },
        settings=XOR_SETTINGS,
        budget=5000,
        quick_budget=2000,
        quick_n_train=3,  # seeds
        target="every seed learns XOR (100 %)",
        within=lambda ours, paper: ours >= paper,
        notes="paper: resampled feedback 'still learns' (no figure)",
        extra=dict(seeds=10),
    ),
}


# --- training -----------------------------------------------------------


def _for_epochs(epochs):
    """Estimator parameters that train exactly ``epochs`` epochs, no early stop."""
    return dict(max_iter=epochs, n_iter_no_change=epochs, tol=0.0)


def _fit_epochs(params, settings, epochs, data):
    """Fit for ``epochs``; return (test error %, train error %, extra text)."""
    X, y, X_test, y_test = data
    # a learning-rate schedule of the settings may keep its own stopping
    # criterion (e.g. 'adaptive', which ends when the rate falls below 1e-6)
    model = FeedbackAlignmentClassifier(
        **{**_for_epochs(epochs), **settings, **params, "max_iter": epochs}
    )
    model.fit(X, y)
    test = 100 * (1 - model.score(X_test, y_test))
    train = 100 * (1 - model.score(X, y))
    return test, f"train error {train:.2f} %, {model.n_iter_} epochs"


def _epoch_by_epoch(params, settings, epochs, X, y, scorer=None, augment=None):
    """Train ``epochs`` epochs, one ``partial_fit`` call each (the optimizer,
    its momentum and the schedule go on; each epoch gets its own shuffle,
    and ``augment(X, rng)``'s copy of the images if given); return the model
    and ``scorer(model)`` after every epoch."""
    seed = settings.get("random_state", 0)
    model = FeedbackAlignmentClassifier(**{**settings, **params})
    classes, scores = np.unique(y), []
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        if epoch:
            # the weights and feedback are drawn once, from the seed; the
            # shuffle of each epoch from its own
            model.set_params(random_state=seed * 1000 + epoch)
        model.partial_fit(X if augment is None else augment(X, rng), y, classes=classes)
        if scorer is not None:
            scores.append(scorer(model))
    return model, scores


def _selected_rate(params, settings, X, y, select):
    """The candidate learning rate of best validation accuracy after
    ``select['epochs']`` epochs on all but the last ``select['n_val']``
    training rows (scored on those)."""
    n_val = min(select["n_val"], X.shape[0] // 5)
    fit_X, fit_y, val_X, val_y = X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]
    scores = {}
    for rate in select["candidates"]:
        try:
            model, _ = _epoch_by_epoch(
                {**params, "learning_rate_init": rate},
                settings,
                select["epochs"],
                fit_X,
                fit_y,
            )
        except ValueError as exc:
            # diverged, or went non-finite, in its first epoch: out
            if "in the first epoch" not in str(exc):
                raise
            scores[rate] = -1.0
            continue
        scores[rate] = model.score(val_X, val_y)
    best = max(scores, key=scores.get)
    text = ", ".join(
        f"{rate:g}: " + ("diverged" if score < 0 else f"{100 * score:.2f}")
        for rate, score in scores.items()
    )
    return best, f"rate {best:g} chosen on validation (accuracy % {text})"


def _fit_curve(params, settings, epochs, data, extra):
    """Fit epoch by epoch, scoring the test set after each; return (final
    test error %, details, the curve of test errors %)."""
    X, y, X_test, y_test = data
    chosen = ""
    if "learning_rate_init" not in params and "select" in extra:
        rate, chosen = _selected_rate(params, settings, X, y, extra["select"])
        params = {**params, "learning_rate_init": rate}
    augment = None
    if "jitter" in extra:
        augment = _jitter(extra["jitter"], extra.get("standardise"))
    model, curve = _epoch_by_epoch(
        params,
        settings,
        epochs,
        X,
        y,
        lambda m: 100 * (1 - m.score(X_test, y_test)),
        augment,
    )
    best = int(np.argmin(curve))
    # the training images as the model saw them, less the jitter
    seen = _standardised(X, extra["standardise"]) if "standardise" in extra else X
    train = 100 * (1 - model.score(seen, y))
    details = (
        f"best epoch {curve[best]:.2f} at epoch {best + 1}; "
        f"train error {train:.2f} %; learning rate "
        f"{params.get('learning_rate_init', settings.get('learning_rate_init')):g}"
        + (f" ({chosen})" if chosen else "")
    )
    return curve[-1], details, curve


def _jitter(shift, standardise=None):
    """``augment(X, rng)`` for :func:`_epoch_by_epoch`: each 28 x 28 image
    (a row of ``X``, in [0, 1]) cut from itself padded by ``shift`` zeros at
    a random offset (torchvision's ``RandomCrop(28, padding=shift)``), then
    standardised by ``(mean, std)`` if given. The test images are only
    standardised (:func:`_load`)."""

    def augment(X, rng):
        m = X.shape[0]
        padded = np.pad(X.reshape(m, 28, 28), ((0, 0), (shift, shift), (shift, shift)))
        top, left = rng.integers(0, 2 * shift + 1, size=(2, m))
        rows = top[:, None] + np.arange(28)  # (m, 28)
        columns = left[:, None] + np.arange(28)
        out = padded[np.arange(m)[:, None, None], rows[:, :, None], columns[:, None, :]]
        out = out.reshape(m, -1).astype(X.dtype, copy=False)
        return out if standardise is None else _standardised(out, standardise)

    return augment


def _standardised(X, mean_std):
    """``(X - mean) / std``, in ``X``'s dtype."""
    mean, std = mean_std
    return ((X - mean) / std).astype(X.dtype, copy=False)


def _lenet_images(X, size):
    """MNIST rows (28x28 in [0, 1]) resized to ``size`` x ``size`` by
    bilinear interpolation with half-pixel centres (PIL's and torchvision's
    convention for enlarging), then standardised as BioTorch does."""
    images = X.reshape(-1, 28, 28)
    source = (np.arange(size) + 0.5) * (28 / size) - 0.5
    source = np.clip(source, 0, 27)
    low = np.floor(source).astype(np.intp)
    high = np.minimum(low + 1, 27)
    frac = (source - low).astype(X.dtype)
    rows = images[:, low, :] * (1 - frac)[:, None] + images[:, high, :] * frac[:, None]
    both = rows[:, :, low] * (1 - frac) + rows[:, :, high] * frac
    return ((both - MNIST_MEAN) / MNIST_STD).reshape(X.shape[0], -1).astype(X.dtype)


def _fit_autoencoder(params, settings, epochs, data):
    """Fit for ``epochs``; return (test reconstruction MSE, extra text)."""
    X, _, X_test, _ = data
    model = FeedbackAlignmentAutoencoder(
        **{**settings, **params},
        **_for_epochs(epochs),
    )
    model.fit(X)
    return -model.score(X_test), f"train MSE {-model.score(X):.5f}"


def _fit_steps(params, settings, steps, data, eval_every):
    """Train ``steps`` batches (epochs over shuffled X, cut at ``steps``).

    Returns the final test accuracy % and the accuracy every ``eval_every``
    steps, as text.
    """
    X, y, X_test, y_test = data
    model = FeedbackAlignmentClassifier(**{**settings, **params}, max_iter=1)
    batch = settings["batch_size"]
    rng = np.random.default_rng(0)
    classes = np.unique(y)
    curve, done, stream = [], 0, np.empty(0, dtype=np.intp)
    while done < steps:
        chunk = min(eval_every, steps - done)
        while stream.shape[0] < chunk * batch:
            stream = np.concatenate([stream, rng.permutation(X.shape[0])])
        rows, stream = stream[: chunk * batch], stream[chunk * batch :]
        model.partial_fit(X[rows], y[rows], classes=classes)
        done += chunk
        accuracy = 100 * model.score(X_test, y_test)
        curve.append(f"{done}: {accuracy:.1f}")
    return accuracy, "accuracy by step " + ", ".join(curve)


def _xor_data():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0.0, 1.0, 1.0, 0.0])


def _fit_xor(params, settings, steps, seeds):
    """Share (%) of ``seeds`` fits that get all four XOR points right."""
    X, y = _xor_data()
    epochs = steps // X.shape[0]
    solved, mse = 0, []
    for seed in range(seeds):
        model = FeedbackAlignmentRegressor(
            **{**settings, **params},
            **_for_epochs(epochs),
            random_state=seed,
        )
        model.fit(X, y)
        pred = model.predict(X)
        solved += bool(np.all((pred > 0.5) == (y > 0.5)))
        mse.append(float(np.mean((pred - y) ** 2)))
    return 100 * solved / seeds, f"mean final MSE {np.mean(mse):.4f}"


# --- output -------------------------------------------------------------

CSV_FIELDS = [
    "experiment",
    "model",
    "metric",
    "paper",
    "ours",
    "target_met",
    "budget",
    "n_train",
    "seconds",
    "mode",
    "date",
    "details",
    "command",
]


class Report:
    """The CSV (a row per finished model) and the markdown table of one run."""

    def __init__(
        self, name, experiment, out_dir, header, models=None, seed=None, dataset=None
    ):
        stem = "reproduce_" + name.replace("-", "_")
        if dataset not in (None, "mnist"):
            stem += f"__{dataset}"
        if models:
            # one process per model: each writes files of its own
            stem += "__" + "_".join(
                "".join(c if c.isalnum() else "_" for c in label) for label in models
            )
        if seed is not None:
            stem += f"__seed{seed}"
        self.models = models or list(experiment.models)
        self.csv_path = Path(out_dir) / f"{stem}.csv"
        self.md_path = Path(out_dir) / f"{stem}.md"
        self.experiment = experiment
        self.header = header
        self.rows = []
        self.curves = []  # the models whose curves are written
        self.curves_path = self.csv_path.with_name(f"{stem}_curves.csv")
        self.started = time.perf_counter()
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.csv_path, "w", newline="") as f:
            csv.DictWriter(f, CSV_FIELDS).writeheader()
        self._write_md(finished=False)

    def add(self, row):
        self.rows.append(row)
        with open(self.csv_path, "a", newline="") as f:
            csv.DictWriter(f, CSV_FIELDS).writerow(row)
        self._write_md(finished=False)

    def add_curve(self, label, curve):
        """The test error % after every epoch of ``label``, to ``*_curves.csv``."""
        with open(self.curves_path, "a" if self.curves else "w", newline="") as f:
            writer = csv.writer(f)
            if not self.curves:
                writer.writerow(["model", "epoch", "test_error"])
            writer.writerows(
                [label, epoch, f"{error:.4f}"]
                for epoch, error in enumerate(curve, start=1)
            )
        self.curves.append(label)

    def finish(self):
        self._write_md(finished=True)

    def _write_md(self, finished):
        exp = self.experiment
        wall = time.perf_counter() - self.started
        n = len(self.models)
        status = (
            f"finished, wall time {wall:.0f} s"
            if finished
            else f"running: {len(self.rows)} of {n} models done after {wall:.0f} s"
        )
        # errors and MSEs: lower is better; accuracies and shares: higher
        lower_is_better = "error" in exp.metric or "MSE" in exp.metric
        ranked = sorted(
            self.rows, key=lambda row: float(row["ours"]), reverse=not lower_is_better
        )
        lines = [
            f"# {exp.title}",
            "",
            *self.header,
            f"- status: {status}",
            "- ours, best first: " + ", ".join(row["model"] for row in ranked),
            "",
            f"| model | paper ({exp.metric}) | ours | target met | seconds | details |",
            "| --- | ---: | ---: | :---: | ---: | --- |",
        ]
        for row in self.rows:
            paper = "—" if row["paper"] == "" else row["paper"]
            lines.append(
                f"| {row['model']} | {paper} | {row['ours']} | {row['target_met']} "
                f"| {row['seconds']} | {row['details']} |"
            )
        self.md_path.write_text("\n".join(lines) + "\n")


def _budget(exp, args):
    """(budget, n_train or seeds, reduced?) of this run."""
    if exp.kind == "xor":
        seeds = exp.quick_n_train if args.quick else exp.extra["seeds"]
        steps = exp.quick_budget if args.quick else exp.budget
        return steps, seeds, args.quick
    n_full = 50_000 if args.dataset == "cifar10" else 60_000
    if args.quick:
        return exp.quick_budget, exp.quick_n_train, True
    asked = args.steps if exp.kind == "steps" else args.epochs
    budget = exp.budget if asked is None else asked
    n_train = n_full if args.n_train is None else args.n_train
    return budget, n_train, budget < exp.budget or n_train < n_full


def _load(exp, name, args):
    """``(X, y, X_test, y_test)`` of the run's dataset, in the experiment's dtype."""
    if args.dataset == "cifar10":
        if not exp.cifar10:
            raise SystemExit(
                f"--dataset cifar10: {name} is an MNIST experiment; biotorch-lenet "
                "runs on CIFAR-10"
            )
        data = load_cifar10(args.data, return_X_y=True)
    else:
        data = load_mnist(
            DEFAULT_DATA if args.data is None else args.data, return_X_y=True
        )
    X, y, X_test, y_test = data
    if "dtype" in exp.extra:
        X, X_test = X.astype(exp.extra["dtype"]), X_test.astype(exp.extra["dtype"])
    if "images" in exp.extra:
        X, X_test = (_lenet_images(A, exp.extra["images"]) for A in (X, X_test))
    if "standardise" in exp.extra:
        # the training images are standardised after their jitter, each epoch
        X_test = _standardised(X_test, exp.extra["standardise"])
    return X, y, X_test, y_test


def run(name, args, argv):
    """Run one experiment; return its rows."""
    exp = EXPERIMENTS[name]
    command = _output.command_line("reproduce.py", argv)
    budget, n_train, reduced = _budget(exp, args)
    unit = "steps" if exp.kind in ("steps", "xor") else "epochs"
    if exp.kind == "xor":
        scope = f"{n_train} seeds, {budget} steps of one example"
        data = None
    else:
        X, y, X_test, y_test = _load(exp, name, args)
        X, y = X[:n_train], y[:n_train]
        n_train = X.shape[0]  # a dataset smaller than asked gives what it has
        if args.quick:
            X_test, y_test = X_test[:1000], y_test[:1000]
        data = X, y, X_test, y_test
        paper = (
            f"the paper states none: {exp.budget} is our budget"
            if exp.budget_is_ours
            else f"paper: 60000 images, {exp.budget} {unit}"
        )
        if args.dataset == "cifar10":
            paper = "no published figure for this network: ours alone"
        scope = (
            f"{'CIFAR-10' if args.dataset == 'cifar10' else 'MNIST'}, "
            f"{X.shape[0]} training and {X_test.shape[0]} test images, "
            f"{budget} {unit} ({paper})"
        )
    mode = "reduced" + (" (--quick)" if args.quick else "") if reduced else "full"
    fit_settings = dict(exp.settings)
    if args.seed is not None:
        if exp.kind == "xor":
            raise SystemExit(f"--seed: {name} runs its own {n_train} seeds")
        fit_settings["random_state"] = args.seed
    if args.dataset == "cifar10":
        fit_settings["input_shape"] = (3, 32, 32)
    settings = ", ".join(
        f"{k}={v!r}" for k, v in fit_settings.items() if k != "hidden_layer_sizes"
    )
    widths = exp.settings["hidden_layer_sizes"]
    network = f"{len(widths)} x {widths[0]}" if len(set(widths)) == 1 else widths
    header = [
        *_output.provenance("reproduce.py", argv),
        f"- mode: **{mode}**; {scope}",
        f"- network: hidden layers {network}; {settings}",
        f"- target: {exp.target}" + (f"; {exp.notes}" if exp.notes else ""),
        *([f"- caveat: {exp.caveat}"] if exp.caveat else []),
    ]
    unknown = set(args.model or ()) - set(exp.models)
    if unknown:
        raise SystemExit(
            f"--model {sorted(unknown)}: {name} has the models {list(exp.models)}"
        )
    report = Report(
        name, exp, args.out_dir, header, args.model, args.seed, args.dataset
    )
    print(f"{name}: {mode}; {scope}", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for label, (params, paper) in exp.models.items():
            if args.model and label not in args.model:
                continue
            start = time.perf_counter()
            if exp.kind == "epochs":
                ours, details = _fit_epochs(params, fit_settings, budget, data)
            elif exp.kind == "curve":
                ours, details, curve = _fit_curve(
                    params, fit_settings, budget, data, exp.extra
                )
                report.add_curve(label, curve)
            elif exp.kind == "autoencoder":
                ours, details = _fit_autoencoder(params, fit_settings, budget, data)
            elif exp.kind == "steps":
                every = min(exp.extra["eval_every"], budget)
                ours, details = _fit_steps(params, fit_settings, budget, data, every)
            else:
                ours, details = _fit_xor(params, exp.settings, budget, n_train)
            seconds = time.perf_counter() - start
            if args.dataset == "cifar10":
                paper = None  # the figures are MNIST's
            met = "" if paper is None else ("yes" if exp.within(ours, paper) else "no")
            row = dict(
                experiment=name,
                model=label,
                metric=exp.metric,
                paper="" if paper is None else paper,
                ours=f"{ours:.{exp.digits}f}",
                target_met=met,
                budget=f"{budget} {unit}",
                n_train=n_train if exp.kind != "xor" else "",
                seconds=f"{seconds:.1f}",
                mode=mode,
                date=date.today().isoformat(),
                details=details,
                command=command,
            )
            report.add(row)
            print(f"  {label}: ours {row['ours']}, paper {paper}, {seconds:.1f} s")
    report.finish()
    return report.rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--experiment", required=True, choices=[*EXPERIMENTS, "all"], nargs="+"
    )
    parser.add_argument(
        "--data",
        help=(
            "MNIST IDX directory (default: ../shared/data/mnist beside the "
            "checkout); with --dataset cifar10, CIFAR-10's python batches "
            "(default: OpenML's copy, downloaded)"
        ),
    )
    parser.add_argument(
        "--dataset",
        choices=["mnist", "cifar10"],
        default="mnist",
        help="CIFAR-10 runs the experiments that allow it (biotorch-lenet)",
    )
    parser.add_argument("--quick", action="store_true", help="CI: a subset, seconds")
    parser.add_argument("--epochs", type=int, help="fewer epochs than the paper's")
    parser.add_argument("--steps", type=int, help="fewer steps than the paper's")
    parser.add_argument("--n-train", type=int, help="fewer training images")
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        help="where the tables go (default: a new temporary folder; "
        "benchmarks/results updates the committed ones)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="another random_state for every model (files named after it)",
    )
    parser.add_argument(
        "--model",
        action="append",
        help=(
            "only the model of this label (repeatable), written to files named "
            "after it: one process per model"
        ),
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    names = list(EXPERIMENTS) if "all" in args.experiment else args.experiment
    args.out_dir = _output.results_dir(args.out_dir)
    print(f"results go to {args.out_dir}", flush=True)
    return {name: run(name, args, argv) for name in names}


if __name__ == "__main__":
    main()
