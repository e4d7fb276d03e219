"""The fit: batches, the divergence guard, stopping, the alignment tracker,
the optimizers and the progress report (private)."""
