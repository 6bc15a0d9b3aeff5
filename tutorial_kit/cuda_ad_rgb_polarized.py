"""Mitsuba 3's ``mitsuba.cuda_ad_rgb_polarized``: the cuda_ad_rgb_polarized variant's array types and classes
(``Float``, ``Point3f``, ``Transform4f``, ``Frame3f``, the ``Scalar*`` types...),
whichever variant is active (see ``tutorial_kit.variant_types``)::

    from tutorial_kit.cuda_ad_rgb_polarized import Transform4f, Point3f

Functions and plugins are the same in every variant: they are in ``tutorial_kit`` itself.
"""
from tutorial_kit.variant_types import types_of as _types_of

globals().update(_types_of('cuda_ad_rgb_polarized'))
__all__ = sorted(_types_of('cuda_ad_rgb_polarized'))
