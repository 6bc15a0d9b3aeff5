"""The sampler interface: where an integrator's random numbers come from.

A Monte Carlo estimate needs uniform random numbers in [0, 1): the position
inside the pixel, the light sample, the BSDF sample, the roulette. An
integrator asks its sampler for them one or two at a time
(:meth:`Sampler.next_1d`, :meth:`Sampler.next_2d`); each lane of the
wavefront (one camera sample) has a sequence of its own. The methods are
Mitsuba 3's (``mi.Sampler``), so an integrator written for Mitsuba 3 draws
its numbers the same way here.

How a render uses a sampler (:func:`tutorial_kit.render` and path replay),
as Mitsuba 3's ``ADIntegrator.prepare`` does: it takes the sensor's sampler,
makes a :meth:`~Sampler.clone`, sets its :meth:`~Sampler.set_sample_count`
and :meth:`~Sampler.seed`\\ s it for a wavefront of ``width * height * spp``
lanes. The same seed gives the same numbers, which is what lets path replay
retrace a render's paths.

A sampler is a Dr.Jit record (``DRJIT_STRUCT``) of its random state, so
that a ``while`` loop of ``@dr.syntax`` code (or ``dr.while_loop``) carries
it as loop state: every iteration draws new numbers.
"""
from abc import abstractmethod

from tutorial_kit.core.errors import RenderError
from tutorial_kit.renderer.plugin import Plugin

#: Mitsuba 3's default ``wavefront_size`` argument of ``seed``: as many lanes as can exist.
UNKNOWN_WAVEFRONT = 2 ** 32 - 1


class Sampler(Plugin):
    """Base class of sampler plugins (XML ``<sampler>``).

    Subclasses implement :meth:`next_1d`, :meth:`next_2d`, :meth:`seed` and
    :meth:`clone`; ``sample_count`` (samples per pixel) and the wavefront
    size are kept here.
    """

    def __init__(self, sample_count=4):
        self._sample_count = int(sample_count)
        self._wavefront_size = 0

    @abstractmethod
    def next_1d(self, active=True):
        """The next uniform number of every lane: Float in [0, 1).

        ``active``: Bool mask; masked lanes keep their state (Mitsuba 3)."""

    @abstractmethod
    def next_2d(self, active=True):
        """The next two uniform numbers of every lane: Array2f in [0, 1)^2,
        the same numbers as two calls of :meth:`next_1d` (x first)."""

    @abstractmethod
    def seed(self, seed, wavefront_size=UNKNOWN_WAVEFRONT):
        """Start ``wavefront_size`` lanes of numbers that depend only on ``seed``
        (an int) and each lane's index: the same seed, the same numbers."""

    @abstractmethod
    def clone(self):
        """A copy with the same settings and the same state: it draws the same
        numbers as this sampler would, and drawing from it leaves this one as it is."""

    def sample_count(self):
        """Samples per pixel (int)."""
        return self._sample_count

    def set_sample_count(self, spp):
        """Set the samples per pixel (a positive int; RenderError otherwise)."""
        if isinstance(spp, bool) or not isinstance(spp, int) or spp <= 0:
            raise RenderError(f'sample_count must be a positive int, got {spp!r}')
        self._sample_count = spp

    def wavefront_size(self):
        """Lanes of the last :meth:`seed` (int), 0 if the sampler was never seeded."""
        return self._wavefront_size
