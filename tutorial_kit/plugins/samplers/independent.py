"""``independent``: uniform random numbers, independent from sample to sample.

Mitsuba 3's ``independent`` sampler on PCG32 streams (O'Neill, "PCG: A
family of simple fast space-efficient statistically good algorithms for
random number generation", 2014): after :meth:`IndependentSampler.seed`, lane
``i`` of the wavefront draws from a stream of its own, started by
:func:`tutorial_kit.core.random.make_generator`. A render numbers sample
``k`` of pixel ``j`` as lane ``j * spp + k``, so a seed gives the same image
however the render groups its samples into kernels.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.core.random import make_generator
from tutorial_kit.core.registry import register
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.sampler import Sampler, UNKNOWN_WAVEFRONT


@register('sampler', 'independent')
@bk.drjit_struct(rng='PCG32')
class IndependentSampler(Sampler):
    """``sample_count``: samples per pixel (4); ``seed``: the seed of renders
    that are given none (0), kept as ``base_seed``.

    ``rng``: the PCG32 of the lanes (a Dr.Jit record field, loop state);
    unseeded until :meth:`seed`. Dr.Jit creates records without arguments,
    so ``props`` may be left out (the defaults).
    """

    def __init__(self, props=None):
        props = Properties('independent') if props is None else props
        sample_count = props.int('sample_count', 4)
        if sample_count <= 0:
            raise props.error('sample_count', f'sample_count must be positive, got {sample_count}')
        super().__init__(sample_count)
        self.base_seed = props.int('seed', 0)
        self.rng = bk.PCG32()

    def seed(self, seed, wavefront_size=UNKNOWN_WAVEFRONT, *, sample_index=None):
        """See :meth:`Sampler.seed`. ``seed``: an int (or a UInt32 of width 1).

        ``sample_index`` (UInt64, one per lane; default the lane index) makes
        lane ``i`` draw the numbers of sample ``sample_index[i]``: a render that
        loops over a pixel's samples in one lane draws those of a render
        that gives each sample a lane of its own.
        """
        if dr.is_array_v(seed):
            seed = int(seed[0])
        if wavefront_size == UNKNOWN_WAVEFRONT and sample_index is None:
            raise RenderError('the independent sampler needs the wavefront size (lanes) to seed')
        lanes = dr.width(sample_index) if sample_index is not None else int(wavefront_size)
        self.rng = make_generator(lanes, seed, sample_index)
        self._wavefront_size = lanes

    def next_1d(self, active=True):
        """See :meth:`Sampler.next_1d`."""
        return self.rng.next_float32() if active is True else self.rng.next_float32(active)

    def next_2d(self, active=True):
        """See :meth:`Sampler.next_2d`."""
        x = self.next_1d(active)
        return bk.Array2f(x, self.next_1d(active))

    def clone(self):
        """See :meth:`Sampler.clone`."""
        copy = IndependentSampler()
        copy._sample_count, copy._wavefront_size, copy.base_seed = \
            self._sample_count, self._wavefront_size, self.base_seed
        copy.rng = bk.PCG32(self.rng)
        copy.id = self.id
        return copy

    def settings(self):
        return dict(sample_count=self._sample_count, seed=self.base_seed)
