"""``Ray3f``: a batch of rays, the question every renderer keeps asking the scene.

A ray is the half line ``o + t d`` for ``0 <= t < maxt`` (PBR 4th ed.,
sec. 3.1.4; Mitsuba 3's ``Ray3f``). Each field holds one value per lane, so
one ``Ray3f`` is as many rays as its arrays are wide::

    ray = tk.Ray3f(o=tk.Array3f(0, 1, 3), d=tk.Array3f(0, 0, -1))
    si = scene.ray_intersect(ray)

``d`` is expected to have unit length: hit distances ``t`` are then
lengths in scene units. ``time`` and ``wavelengths`` exist for Mitsuba 3's
signatures; this renderer is static and RGB, so they are carried but unused.
"""
import drjit as dr

from tutorial_kit.core import backend as bk


@bk.drjit_struct(o='Array3f', d='Array3f', maxt='Float', time='Float', wavelengths='Color3f')
class Ray3f:
    """Rays ``o + t d``, ``0 <= t < maxt``: o, d (Array3f, world space), maxt
    and time (Float), wavelengths (Color3f, unused in RGB rendering).

    Differentiable in ``o`` and ``d``: a ray built from parameters that track
    derivatives carries them to whatever is computed along it.
    """

    def __init__(self, o=None, d=None, maxt=None, time=None, wavelengths=None):
        if isinstance(o, Ray3f):
            # A copy, as Mitsuba 3's Ray3f(ray): the arrays are shared, the record is new.
            o, d, maxt, time, wavelengths = o.o, o.d, o.maxt, o.time, o.wavelengths
        self.o = bk.Array3f(0) if o is None else bk.Array3f(o)
        self.d = bk.Array3f(0) if d is None else bk.Array3f(d)
        self.maxt = bk.Float(float('inf')) if maxt is None else bk.Float(maxt)
        self.time = bk.Float(0) if time is None else bk.Float(time)
        self.wavelengths = bk.Color3f(0) if wavelengths is None else bk.Color3f(wavelengths)

    def __call__(self, t):
        """The point ``o + t d`` (Array3f) at distance ``t`` (Float) along each ray."""
        return self.o + self.d * t

    def __setitem__(self, mask, other):
        """``rays[mask] = other``: ``other``'s fields in the lanes where ``mask`` (Bool)
        holds, as Mitsuba 3's masked assignment of a record."""
        for name in ('o', 'd', 'maxt', 'time', 'wavelengths'):
            setattr(self, name, dr.select(mask, getattr(other, name), getattr(self, name)))

    def __repr__(self):
        return f'Ray3f[\n  o = {self.o},\n  d = {self.d},\n  maxt = {self.maxt}\n]'
