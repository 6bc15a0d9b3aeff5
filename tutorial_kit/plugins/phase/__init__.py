"""Phase function plugins; their interface is in :mod:`tutorial_kit.renderer.medium`."""
