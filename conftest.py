"""Draw with the non-interactive Agg backend in the doctests and tests.

Without matplotlib (the optional ``plot`` extra) the plotting doctests are
not collected; tests/test_plotting.py skips itself.
"""

try:
    import matplotlib
except ImportError:
    collect_ignore_glob = ["skfa/plotting/*.py"]
else:
    matplotlib.use("Agg")
