"""Differentiation: ``traverse`` and ``ParameterMap``, the optimizers, path
replay, gradient checks against finite differences, and the PyTorch bridge."""
