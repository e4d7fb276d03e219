"""What a fit reports as it goes: one line per epoch, or a progress bar."""

import warnings


class EpochReport:
    """Report each epoch of a stochastic fit, as ``verbose`` asks.

    ``verbose=0`` prints nothing; ``verbose=1`` prints one line per epoch
    (epoch, training loss, validation score with ``early_stopping``, seconds),
    as MLPClassifier does; ``verbose=2`` shows a tqdm progress bar over the
    epochs instead, with the same figures beside it (a warning and the lines
    when tqdm is not installed). Larger values print the lines, as
    MLPClassifier does for any positive ``verbose`` (scikit-learn's own tests
    pass ``verbose=10``).

    Parameters
    ----------
    verbose : int or bool
        The estimator's ``verbose``.
    total : int
        The most epochs the fit may run (``max_iter``).
    """

    def __init__(self, verbose, total):
        self.verbose = int(verbose)
        self.bar = None
        if self.verbose == 2:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                warnings.warn(
                    "verbose=2 shows a progress bar with tqdm, which is not "
                    "installed (pip install tqdm); printing one line per epoch.",
                    stacklevel=3,
                )
            else:
                self.bar = tqdm(total=total, unit="epoch")

    def __call__(self, epoch, loss, validation_score, seconds):
        """Report one finished epoch."""
        if self.bar is not None:
            figures = {"loss": f"{loss:.6f}"}
            if validation_score is not None:
                figures["validation score"] = f"{validation_score:.6f}"
            self.bar.set_postfix(figures, refresh=False)
            self.bar.update()
        elif self.verbose:
            line = f"Iteration {epoch}, loss = {loss:.8f}"
            if validation_score is not None:
                line += f", validation score = {validation_score:.6f}"
            print(f"{line}, {seconds:.2f} s")

    def close(self):
        """End the report (close the progress bar)."""
        if self.bar is not None:
            self.bar.close()
