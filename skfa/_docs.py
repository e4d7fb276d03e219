"""Docstring sections shared by the estimators (filled in by ``fill_doc``)."""

_SECTIONS = {}

# the classifier's and regressor's first two parameters; the autoencoder
# documents its own (other defaults) and takes "parameters" only
_SECTIONS["network"] = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer. An
        element may also be a layer of :mod:`skfa.layers`: ``Conv2D``,
        ``MaxPool2D`` or ``AvgPool2D`` (with ``input_shape``); a pool has no
        weights and does not count among the ``n_layers``.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Hidden activation ``f``: ``a``, ``1 / (1 + exp(-a))``, ``tanh(a)``,
        ``max(a, 0)``. The feedback rules scale every hidden delta by
        ``f'(a_i)``.
"""

_SECTIONS["parameters"] = """\
    solver : {'sgd', 'adam', 'lbfgs'}, default='adam'
        'sgd': mini-batch SGD with momentum; 'adam': Adam (Kingma and Ba,
        2014); 'lbfgs': L-BFGS-B from ``scipy.optimize`` on the full batch,
        only with ``feedback='bp'``, the one rule whose update is a true
        gradient, or ``'shallow'``, which searches the output layer alone
        (its hidden layers stay as drawn); any other rule raises a
        ``ValueError``.

    alpha : float, default=0.0001
        Strength of the L2 penalty ``0.5 * alpha * sum ||W_i||**2 / n``, as in
        MLPClassifier: every weight gradient gets ``alpha * W_i / m`` for a
        batch of (weighted) size m.

    weight_decay : float, default=0.0
        Coupled weight decay as PyTorch's optimizers mean it: every weight
        gradient gets ``weight_decay * W_i``, whatever the batch's size, and
        the loss ``0.5 * weight_decay * sum ||W_i||**2``; it adds to
        ``alpha``'s term. For batches of m samples (no sample weights) the
        two are one penalty: ``alpha = weight_decay * m``, or PyTorch's
        ``weight_decay = alpha / m`` (``alpha=1e-4`` at m = 128 is
        ``weight_decay=7.8e-7``; PyTorch's ``weight_decay=1e-3`` at m = 64 is
        ``alpha=0.064``). The learned feedback matrices ('kp') get it as the
        weights do; Adam adds it to the gradient (``torch.optim.Adam``, not
        ``AdamW``).

    decay_intercepts : bool, default=False
        Whether ``weight_decay`` also applies to the intercepts (their
        gradients get ``weight_decay * b_i``), as ``torch.optim`` applies it
        to every parameter it is given. ``alpha`` never decays them, as in
        MLPClassifier; BatchNorm's scale and shift are never decayed.

    batch_size : int or 'auto', default='auto'
        Mini-batch size of the stochastic solvers; 'auto' is
        ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'step', 'cosine'} \
or LearningRateSchedule, default='constant'
        How the learning rate changes. As in MLPClassifier, for the 'sgd'
        solver only: constant ``learning_rate_init``; 'invscaling'
        ``learning_rate_init / (t + 1) ** power_t`` with t the number of
        samples seen; 'adaptive' divides the rate by 5 whenever the training
        loss (or the validation score with ``early_stopping``) fails to
        improve by ``tol`` for ``n_iter_no_change`` epochs. For 'sgd' and
        'adam', a schedule of :mod:`skfa.schedules` sets the rate of each
        epoch: 'step' is :class:`~skfa.schedules.StepDecay` (the rate times
        0.1 at half and three quarters of ``max_iter``), 'cosine'
        :class:`~skfa.schedules.CosineAnnealing` (from ``learning_rate_init``
        to 0 over ``max_iter`` epochs); pass an object for other settings
        (``StepDecay(milestones=(50, 75))``). A schedule counts the epochs
        over the model's life, so ``warm_start`` fits and ``partial_fit``
        calls (one epoch each) go on along it.

    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'. Should the loss or the weights
        become non-finite (too high a rate, too large feedback matrices), the
        fit stops with a ``RuntimeWarning`` that names the remedy and keeps
        the weights of the last finite epoch, so predictions stay finite; a
        diverging ``warm_start`` fit or ``partial_fit`` call leaves the model
        as it was before that epoch. A loss that stays finite but explodes
        (over 1e4 times the untrained network's first batch, or over twice it
        and rising for 5 epochs in a row) is divergence too: the fit stops with
        the same warning and keeps the weights of its epoch of lowest loss.
        Where the model's very first epoch diverges, nothing was learnt and
        fit raises ``ValueError``.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations ('lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the weights (Glorot uniform, drawn exactly as MLPClassifier
        draws them), the shuffles, the early-stopping split and the feedback
        matrices. The feedback matrices come from their own host generator,
        ``numpy.random.default_rng(random_state)`` for an int (for a
        RandomState instance, seeded by one integer drawn from it after the
        weights), layer by layer bottom up, so that under the same
        ``random_state`` every feedback rule starts from the same weights and
        sees the same batches, whatever the device.

    tol : float, default=1e-4
        Improvement of the loss (or validation score) below which an epoch
        counts as no improvement.

    verbose : bool or int, default=False
        Report progress of the stochastic solvers: 1 (or True) prints one line
        per epoch, ``Iteration 3, loss = 0.12345678, validation score =
        0.951200, 0.42 s`` (the validation score with ``early_stopping``);
        2 shows a tqdm progress bar over the epochs instead (tqdm installed,
        e.g. ``pip install tqdm``). 0 prints nothing. Larger values print the
        lines, as MLPClassifier does.

    warm_start : bool, default=False
        Start from the previous fit's weights, optimizer and feedback matrices.
        The feedback matrices are drawn afresh (from ``random_state``, as
        at the first fit) when ``feedback`` now names a rule of another
        kind (e.g. 'kp' then 'fa', 'dfa' then 'drtp') or ``feedback_init``
        changed: matrices drawn or trained for another rule are never
        reused silently. The same holds for ``partial_fit``.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' and ``momentum > 0``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when the
        validation score has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are kept.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Numerical stability term of Adam.

    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    feedback : str or FeedbackRule, default='dfa'
        How the output error reaches the hidden layers: a name of
        :data:`skfa.feedback.FEEDBACK_RULES` or a
        :class:`skfa.feedback.FeedbackRule` instance, whose parameters a grid
        search reaches as ``feedback__<param>`` (for a name too:
        ``feedback__block_size`` with ``feedback='bdfa'`` sets
        ``feedback=BlockedDFA(block_size=...)``). With ``e`` the output error,
        ``Y`` the targets and ``B`` fixed random matrices:

        - 'bp': ``delta_i = (delta_{i+1} @ W_{i+1}.T) * f'(a_i)``, the gradient;
        - 'fa': ``delta_i = (delta_{i+1} @ B_{i+1}) * f'(a_i)`` (Lillicrap 2016);
        - 'dfa': ``delta_i = (e @ B_i) * f'(a_i)`` (Nøkland 2016);
        - 'ifa': ``delta_1 = (e @ B_1) * f'(a_1)``, then
          ``delta_i = (delta_{i-1} @ W_i) * f'(a_i)`` (Nøkland 2016);
        - 'fp': feedback propagation, bp on the top ``bp_depth`` hidden layers,
          DFA from the lowest bp delta below (Espinosa Zarlenga and
          Niklasson);
        - 'bdfa': blocked DFA, blocks of ``block_size`` layers, each fed the
          delta just above it (Espinosa Zarlenga and Niklasson);
        - 's1', 's2', 's3': the general rule, ``delta_i = mean(terms) *
          f'(a_i)`` mixing the direct term ``e @ B_i`` with the neighbours'
          deltas (the general feedback-alignment update rule, Table 1);
          ``aux=True`` uses layer-local errors;
        - 'kp': Kolen-Pollack, ``B`` trained with ``W.T``'s update and decay
          (Akrout 2019);
        - 'wm': weight mirroring, ``B`` learns ``W.T`` from noise (Akrout 2019);
        - 'usf', 'brsf', 'frsf': sign symmetry, ``B = M * sign(W).T`` with a
          uniform, batchwise-random or fixed-random magnitude (Liao 2016);
        - 'drtp': ``delta_i = (Y @ B_i) * f'(a_i)``, the target projected
          (Frenkel 2021);
        - 'switch': one rule for the first epochs, then another (by default
          bp for 5 epochs, then dfa);
        - 'shallow': ``delta_i = 0``, only the output layer learns: the
          control that shows how much the hidden layers learnt.

        See each class in :mod:`skfa.feedback` for its parameters (e.g.
        ``DFA(aux=True)``, ``DFA(derivative=False)``,
        ``BlockedDFA(block_size=25)``). The default, 'dfa', is the fastest
        (one GEMM sends the error to every layer, no layer waits for another)
        and trains as well as 'bp' on MNIST-sized problems (Nøkland 2016,
        Table 1). This is the one default that MLPClassifier does not have:
        pass ``feedback='bp'`` for its update.

        Read more about each rule, its equation and its paper in
        :ref:`rules`, and about which to use in :ref:`choosing`.

    feedback_init : str or callable, default='uniform'
        How the feedback matrices are drawn, with ``n`` the width of the layer
        a matrix feeds (for a kernel ``(F, C, kh, kw)``, ``n = C * kh * kw``):

        - 'uniform': U(-0.5, 0.5) (Lillicrap 2016);
        - 'nokland': U(-1/sqrt(n), 1/sqrt(n)) (Nøkland's code);
        - 'gaussian': N(0, 1/n);
        - 'glorot': Xavier-uniform on the matrix's own fans, U(-r, r) with
          ``r = sqrt(6 / (fan_in + fan_out))``: for a matrix ``(a, b)`` the
          fans are a and b, for a kernel ``(F, C, kh, kw)`` ``C * kh * kw``
          and ``F * kh * kw``, as for the weights (Glorot and Bengio 2010;
          ``torch.nn.init.xavier_uniform_``): feedback at the weights'
          scale, as BioTorch draws it;
        - the structured matrices B1-B7 of the general feedback-alignment
          update rule's experiment 4: 'ones_noise' (B1,
          ones + N(0, 0.01**2)), 'identity' (B2, the non-square identity),
          'identity_noise' (B3), 'sparse_ones' (B4, ones with probability
          0.25, else zeros), 'ones_uniform' (B5, ones + U(-0.01, 0.01)),
          'sparse_ones_noise' (B6), 'noise' (B7, N(0, 0.01**2)). The
          paper's "N(0, 0.01)" is read as a standard deviation of 0.01 and
          its unstated sparsity as a density of 0.25.

        A callable ``init(shape, rng) -> array`` draws its own, with ``rng`` a
        ``numpy.random.Generator``. 'uniform' is the default because it
        trained best on MNIST in skfa's measurements (the user guide has the
        figures): its larger feedback gives the hidden layers larger steps;
        with 'nokland' they are on the gradient's scale and learn more slowly
        under SGD.

        What a callable returns is copied (a read-only or broadcast array is
        fine) and must be real.

    intercept_init : {'glorot', 'zeros'}, default='glorot'
        How the intercepts start: 'glorot' draws them like the weights,
        uniform in ``+-sqrt(6 / (fan_in + fan_out))`` (``2`` in place of
        ``6`` for 'logistic'), as MLPClassifier does; 'zeros' starts them at
        0, as PyTorch's Xavier-initialised models do (``nn.init.
        xavier_uniform_`` on the weights, zero biases: BioTorch's). The
        weights are drawn alike either way, from the same random stream.

    resample_feedback : bool, default=False
        Draw fresh feedback matrices (from ``feedback_init``, continuing the
        feedback generator) before every step, instead of fixing them for the
        whole fit: learning survives this, slowed down (the XOR example of
        the gallery shows it).
        ``feedback_weights_`` then holds the last draw. Not allowed with
        rules that change their feedback themselves ('kp', 'wm', 'brsf').

    track_alignment : bool, default=False
        After every epoch, measure on a fixed probe batch (the first
        ``batch_size`` training samples) how far the rule's updates are from
        backpropagation's, and store the angles in ``alignment_curve_`` and
        ``weight_alignment_curve_`` (Lillicrap et al. 2016: learning works
        while the update stays within 90 degrees of the gradient, and ``W``
        comes to align with ``B.T``). Cost per epoch: one forward pass and
        two feedback passes (the rule's and bp's) on the probe batch, a small
        fraction of an epoch; nothing when False. Stochastic solvers only.

    device : {'cpu', 'cuda'} or str, default='cpu'
        Where fit computes. 'cpu': where the data is, NumPy on the host, or,
        under ``sklearn.config_context(array_api_dispatch=True)``, the data's
        own namespace and device (CuPy, PyTorch, ...), with the fitted arrays
        left there (scikit-learn needs ``SCIPY_ARRAY_API=1`` for that).
        'cuda' or 'cuda:N': NumPy data is copied once to that NVIDIA GPU and
        trained there with CuPy (``pip install "skfa[cuda12]"`` or
        ``"skfa[cuda13]"``); the weights, the optimizer's state and the
        feedback matrices stay on the GPU during fit, the host sees the loss
        once per epoch, and at the end of fit ``coefs_``, ``intercepts_`` and
        ``feedback_weights_`` come back as NumPy arrays, so the model pickles,
        loads and predicts (on the host, with NumPy) where CuPy is missing.
        The random draws (weights, feedback matrices, shuffles) stay on the
        host generator, so one ``random_state`` gives the same model on the
        CPU and the GPU, up to float rounding. ``solver='lbfgs'`` computes
        its loss and gradients on the GPU and steps on the host.

    dropout : float or array-like of shape (n_layers - 1,), default=0.0
        Dropout rates (Srivastava et al. 2014, "Dropout: a simple way to
        prevent neural networks from overfitting", JMLR 15). A float is the
        rate of every hidden layer, the input kept whole; a sequence gives
        the input's rate, then each hidden layer's (``(0.2, 0.5, 0.5)`` for
        two hidden layers is Srivastava et al.'s MNIST setting). Each rate is
        in [0, 1). Inverted dropout: at every training step each unit is
        silenced with its layer's probability ``p`` and the kept ones are
        scaled by ``1 / (1 - p)``; prediction drops nothing and needs no
        rescaling. Every rule sees the network as it was trained: the hidden
        deltas of dropped units are 0 (for 'bp' this is the exact gradient of
        the thinned network). The masks come from the estimator's own
        generator, seeded by ``random_state`` apart from the weights, the
        batches and the feedback matrices (which stay those of the same fit
        without dropout), and are drawn on the host, so CPU and GPU fits
        drop the same units. Stochastic solvers only. The training loss
        (``loss_curve_``, and with it ``n_iter_no_change``, the 'adaptive'
        schedule and the divergence guard) is that of the thinned networks
        as trained, so it is noisier and higher than the network's own; the
        alignment probe of ``track_alignment`` and the validation score of
        ``early_stopping`` are measured without dropout. Input dropout in the
        autoencoder, whose target stays the clean input, makes it a
        denoising autoencoder.

    input_shape : tuple of int or None, default=None
        ``(channels, height, width)`` of one sample, whose row of ``X`` holds
        it flattened in C order (``(height, width)`` means one channel):
        e.g. ``(1, 28, 28)`` for MNIST's 784 columns. Needed by the
        convolutions and pools of :mod:`skfa.layers` in
        ``hidden_layer_sizes``; a network of dense layers ignores it. Every
        feedback rule applies to convolutions: see :mod:`skfa.layers`.
"""

_SECTIONS["attributes"] = """\
    loss_ : float
        The loss at the end of the last epoch (after a divergence, that of
        the epoch whose weights were kept).

    best_loss_ : float or None
        The lowest training loss reached (None with ``early_stopping``).

    loss_curve_ : list of float
        The training loss after each epoch (stochastic solvers).

    validation_scores_ : list of float or None
        The validation score after each epoch, with ``early_stopping``; NaN
        for an epoch that diverged (see ``learning_rate_init``).

    best_validation_score_ : float or None
        The best validation score, with ``early_stopping``.

    t_ : int
        The number of training samples seen.

    coefs_ : list of ndarray
        ``W_1 .. W_L``; ``coefs_[i]`` has shape ``(n_i, n_{i+1})``.

    intercepts_ : list of ndarray
        ``b_1 .. b_L``.

    feedback_weights_ : list of ndarray
        The feedback matrices drawn for the rule, in the order of its
        ``feedback_shapes`` (layer by layer, bottom up); empty for 'bp'. For
        rules whose feedback learns ('kp', 'wm'), as trained.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when they are all strings.

    n_iter_ : int
        The number of epochs (or L-BFGS iterations) run.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation.

    alignment_curve_ : ndarray of shape (n_epochs, n_hidden_layers)
        With ``track_alignment``: after each epoch, for each hidden layer ``i``,
        the angle in degrees between the rule's update of ``W_i``,
        ``h_{i-1}.T @ delta_i``, and the gradient, the same product with bp's
        ``delta_i``, on the probe batch (weight decay left out). 0 for 'bp';
        below 90 when the rule's update descends the loss. Epochs of
        ``warm_start`` and ``partial_fit`` calls append rows.

    weight_alignment_curve_ : ndarray of shape (n_epochs, n_hidden_layers) or None
        With ``track_alignment``, for rules whose feedback replaces ``W.T``
        layer by layer ('fa', 'kp', 'wm', 'usf', 'brsf', 'frsf'): after each
        epoch, the angle in degrees between ``W_{i+1}`` and ``B_{i+1}.T`` for
        each hidden layer ``i``. None for the other rules; NaN in the rows
        of epochs trained by a rule without such matrices (a
        :class:`~skfa.feedback.Switch`, or a ``warm_start`` or
        ``partial_fit`` that changed the rule), so that it has a row per
        epoch.

    feedback_norm_ratio_curve_ : ndarray of shape (n_epochs, n_hidden_layers) \
            or None
        With ``track_alignment``, for the same rules as
        ``weight_alignment_curve_``: after each epoch, the ratio of the
        Frobenius norms ``||B_{i+1}|| / ||W_{i+1}||`` for each hidden layer
        ``i`` (as BioTorch reports it). The angle says whether ``B.T``
        points where ``W`` does; the ratio, whether the feedback carries the
        error at backpropagation's scale (1) or larger or smaller, which
        under SGD acts as a learning rate of the layers below. None or NaN
        as ``weight_alignment_curve_``.
"""


def fill_doc(cls):
    """Put the shared sections into ``cls.__doc__`` where it names them."""
    doc = cls.__doc__
    for key, text in _SECTIONS.items():
        doc = doc.replace("    {%s}\n" % key, text + "\n")
    cls.__doc__ = doc
    return cls
