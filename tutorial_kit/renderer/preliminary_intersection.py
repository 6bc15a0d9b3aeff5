"""``PreliminaryIntersection3f``: where a ray hits, before anything about the hit is computed.

Mitsuba 3 splits a ray query in two: ``scene.ray_intersect_preliminary(ray)``
finds the nearest hit (its distance, the shape and the triangle) and
``pi.compute_surface_interaction(ray)`` then computes the point, normals,
texture coordinates and frame there. Integrators that differentiate with
respect to moving geometry use the split: they search once, outside automatic
differentiation, and compute the interaction again, differentiably, when they
replay the path (Mitsuba 3's ``prb_basic``). ``scene.ray_intersect`` does both
at once.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.renderer.last_scene import LastScene


@bk.drjit_struct(t='Float', prim_index='UInt32', shape_index='UInt32')
class PreliminaryIntersection3f(LastScene):
    """``t`` (Float: the hit distance, infinite for a miss), ``prim_index`` (UInt32:
    the triangle, among all the scene's; invalid for an analytic shape or a miss)
    and ``shape_index`` (UInt32: into ``scene.shapes()``).

    The scene that computes the interaction is the one whose
    ``ray_intersect_preliminary`` was called last (Dr.Jit rebuilds records
    inside loops from their fields alone, so a record cannot carry it).
    """
    def __init__(self, t=None, prim_index=None, shape_index=None):
        self.t = bk.Float(dr.inf) if t is None else bk.Float(t)
        self.prim_index = bk.UInt32(INVALID_INDEX) if prim_index is None else bk.UInt32(prim_index)
        self.shape_index = bk.UInt32(INVALID_INDEX) if shape_index is None else bk.UInt32(shape_index)

    @property
    def shape(self):
        """The hit shape's identifier, its index into ``scene.shapes()`` (UInt32).
        Mitsuba 3 holds a pointer here; code that only compares shapes or uses
        them as a sorting key (``dr.reorder_threads``) works alike."""
        return self.shape_index

    def is_valid(self):
        """Bool: where the ray hit something."""
        return self.t != dr.inf

    def __setitem__(self, mask, other):
        """``pi[mask] = other``: ``other``'s fields where ``mask`` (Bool) holds."""
        self.t = dr.select(mask, other.t, self.t)
        self.prim_index = dr.select(mask, other.prim_index, self.prim_index)
        self.shape_index = dr.select(mask, other.shape_index, self.shape_index)

    def compute_surface_interaction(self, ray, ray_flags=None, active=True):
        """The :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f` of the
        hit along ``ray`` (the ray that found it), as ``scene.ray_intersect`` computes
        it: differentiable with respect to the ray and the hit shape. ``ray_flags``
        is accepted for Mitsuba 3's signature (every field is computed)."""
        scene = PreliminaryIntersection3f.last_scene()
        if scene is None:
            raise RuntimeError('compute_surface_interaction: no scene has searched for this hit '
                               '(call scene.ray_intersect_preliminary first)')
        return scene.surface_interaction(self, ray, active)

    def __repr__(self):
        return f'PreliminaryIntersection3f[t={self.t}, prim_index={self.prim_index}, shape_index={self.shape_index}]'
