"""The example gallery's order, and the arguments it runs the examples with."""

from pathlib import Path

ORDER = [
    "compare_methods.py",
    "grid_search_methods.py",
    "alignment_angles.py",
    "convolutional_rules.py",
    "xor_resampled_feedback.py",
    "deep_network.py",
    "autoencoder_mnist.py",
]


class ExampleOrder:
    """Sort key of sphinx-gallery: the position of an example in ``ORDER``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        return ORDER.index(name) if name in ORDER else len(ORDER)

    def __repr__(self):
        return f"{type(self).__name__}()"


def reset_argv(gallery_conf, script_vars):
    """The command line the gallery runs every example with: draw the figure
    (the gallery shows it) but save no file, whose path would show too."""
    return ["--no-save"]
