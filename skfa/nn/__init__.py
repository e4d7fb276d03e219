"""The network: weighted layers, the weightless layers after them, the
forward pass and the losses (private; the public layer specs are in
:mod:`skfa.layers`)."""
