"""Mitsuba 3's ``mi.ad.loaders``: minibatches of training data for an optimisation."""
from tutorial_kit.ad.loaders.ray_loader import RayDataLoader  # noqa: F401

__all__ = ['RayDataLoader']
