"""``direct``: direct illumination only, a path tracer stopped after the first surface.

Emitter and BSDF sampling are combined with MIS as in ``path``, one sample
of each per camera ray; there is no Russian roulette.
"""
from tutorial_kit.renderer.integrator import UNLIMITED
from tutorial_kit.plugins.integrators.path import PathIntegrator
from tutorial_kit.core.registry import register


@register('integrator', 'direct')
class DirectIntegrator(PathIntegrator):
    """``hide_emitters`` (false). ``emitter_samples`` and ``bsdf_samples``
    other than 1 are taken as 1 with a SceneWarning: the image has the same
    expected value, and more samples come from a higher ``spp``."""

    def __init__(self, props):
        for name in ('emitter_samples', 'bsdf_samples'):
            count = props.int(name, 1)
            if count != 1:
                props.warn(name, f'{name}={count} is not implemented: one sample of each strategy '
                           'is taken per camera ray (same expected image; raise spp for less noise)')
        self.hide_emitters = props.bool('hide_emitters', False)
        self.max_depth, self.rr_depth = 2, UNLIMITED

    def settings(self):
        return dict(hide_emitters=self.hide_emitters)
