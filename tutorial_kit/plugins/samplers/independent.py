"""The independent sampler: uniform random numbers, fresh for every sample.

Each lane (one camera sample) owns a PCG32 stream
(:func:`tutorial_kit.core.random.make_generator`).
"""

from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.core.registry import register


@register('sampler', 'independent')
class IndependentSampler(Plugin):
    """``sample_count``: samples per pixel; ``seed``: base seed of the streams."""

    def __init__(self, props):
        self.sample_count_ = props.int('sample_count', 4)
        self.seed = props.int('seed', 0)
        if self.sample_count_ <= 0:
            raise props.error('sample_count', f'sample_count must be positive, got {self.sample_count_}')

    def sample_count(self):
        return self.sample_count_

    def settings(self):
        return dict(sample_count=self.sample_count_, seed=self.seed)
