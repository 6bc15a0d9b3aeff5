"""``heterogeneous``: a medium whose coefficients vary in space (smoke, clouds).

``sigma_t`` and ``albedo`` are volumes, usually ``gridvolume``s; ``scale``
multiplies sigma_t. The medium exists inside the box of its ``sigma_t``
volume (:meth:`~tutorial_kit.renderer.volume.Volume.bbox`). Its majorant is
one number, ``scale`` times the largest value of the grid, refreshed
whenever the grid changes: free-flight sampling then draws tentative
collisions at that constant rate and delta tracking accepts each with
probability sigma_t(x) / majorant (Woodcock et al. 1965; Novák et al. 2018,
sec. 4). A tight majorant wastes few null collisions; a smaller one than
the true maximum would bias the image, which is why it follows the data.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.medium import Medium
from tutorial_kit.renderer.traversal import ParamFlags
from tutorial_kit.renderer.volume import volume


@register('medium', 'heterogeneous')
class HeterogeneousMedium(Medium):
    """``sigma_t`` (volume, default 1), ``albedo`` (volume, default 0.75), ``scale``
    (float, default 1), ``phase`` (default isotropic), ``sample_emitters``."""

    def __init__(self, props):
        super().__init__(props)
        self.albedo = volume(props, 'albedo', 0.75)
        self.sigma_t = volume(props, 'sigma_t', 1.0)
        self.scale = props.float('scale', 1.0)

    def traverse(self, callback):
        callback.put('scale', self.scale, ParamFlags.NonDifferentiable)
        callback.put('albedo', self.albedo, ParamFlags.Differentiable)
        callback.put('sigma_t', self.sigma_t, ParamFlags.Differentiable)
        super().traverse(callback)

    def max_density(self):
        """Float (width 1, detached): the majorant, scale times the grid's maximum."""
        return self.sigma_t.max() * self.scale

    def get_majorant(self, mi, active=True):
        return bk.Color3f(self.max_density()) + dr.zeros(bk.Color3f, dr.width(mi.p))

    def get_scattering_coefficients(self, mi, active=True):
        sigma_t = self.sigma_t.eval(mi, active) * self.scale
        sigma_s = sigma_t * self.albedo.eval(mi, active)
        sigma_n = self.max_density() - sigma_t
        return sigma_s, sigma_n, sigma_t

    def intersect_aabb(self, ray):
        """The slab test against the box of ``sigma_t`` (Kay and Kajiya 1986)."""
        box = self.sigma_t.bbox()
        mint = dr.full(bk.Float, -dr.inf, dr.width(ray.d))
        maxt = dr.full(bk.Float, dr.inf, dr.width(ray.d))
        for axis in range(3):
            origin, direction = ray.o[axis], ray.d[axis]
            inverse = dr.rcp(direction)
            t0 = (box.min[axis] - origin) * inverse
            t1 = (box.max[axis] - origin) * inverse
            near, far = dr.minimum(t0, t1), dr.maximum(t0, t1)
            # A ray parallel to the slab: inside it for all t, or never.
            parallel = direction == 0
            inside = (origin >= box.min[axis]) & (origin <= box.max[axis])
            near = dr.select(parallel, dr.select(inside, -dr.inf, dr.inf), near)
            far = dr.select(parallel, dr.select(inside, dr.inf, -dr.inf), far)
            mint, maxt = dr.maximum(mint, near), dr.minimum(maxt, far)
        hit = (maxt >= mint) & (maxt >= 0)
        return hit, mint, maxt
