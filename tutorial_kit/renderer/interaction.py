"""What the renderer knows about a point where a ray meets the scene (Mitsuba 3's records).

- :class:`Interaction3f`: a point ``p`` with normal ``n`` at distance ``t``
  along a ray; the reference point of emitter sampling.
- :class:`SurfaceInteraction3f`: what :meth:`Scene.ray_intersect` returns
  for every lane of a ray batch: the hit point, its geometric normal, its
  shading frame ``sh_frame``, texture coordinates and the direction back to
  the ray's origin ``wi``, *local* to the shading frame (see
  :mod:`tutorial_kit.core.frame`): ``wi.z`` is the cosine between the
  shading normal and that direction. ``is_valid()`` is False where the ray
  escaped; there ``wi`` is the world-space direction back along the ray
  (an environment emitter looks it up), as in Mitsuba 3.
- :class:`DirectionSample3f`: a point chosen on an emitter, seen from a
  reference point.

All three are Dr.Jit records (``core.backend.drjit_struct``): one value per
lane in each field; ``dr.zeros(tk.SurfaceInteraction3f, n)``, ``dr.select``
and ``@dr.syntax`` loops take them whole. Lengths are in scene units,
densities per unit solid angle (1/sr). Every field is differentiable: the
scene computes the hit from the vertex data with differentiable operations.
"""
import enum

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.bsdf import live_bsdf_ptr
from tutorial_kit.renderer.last_scene import LastScene

#: Relative offset that lifts a new ray off the surface it starts on, so that
#: it does not hit that surface again through rounding.
RAY_EPSILON = 2.0 ** -24 * 1500

#: The shadow ray of :meth:`Interaction3f.spawn_ray_to` stops this fraction short of its target.
SHADOW_EPSILON = 1e-3


class RayFlags(enum.IntFlag):
    """What Mitsuba 3's ``scene.ray_intersect(ray, ray_flags, coherent)`` may
    be asked to compute (Mitsuba 3.9's values). This scene always computes
    every field and always lets the hit follow the vertices, so the flags
    are accepted and change nothing."""
    Empty = 0
    Minimal = 1
    UV = 2
    ShadingFrame = 8
    All = 14
    FollowShape = 128
    DetachShape = 256
    AllNonDifferentiable = 270


def _field(value, array_type, default):
    return array_type(default) if value is None else array_type(value)


@bk.drjit_struct(t='Float', time='Float', p='Array3f', n='Array3f')
class Interaction3f:
    """A point in the scene: ``t`` (Float, distance along the ray that found
    it; inf where it found nothing), ``time`` (Float, unused: scenes are
    static), ``p`` (Array3f, world position), ``n`` (Array3f, unit geometric
    normal; zero for a point in space)."""

    def __init__(self, t=None, time=None, p=None, n=None):
        self.t = _field(t, bk.Float, dr.inf)
        self.time = _field(time, bk.Float, 0)
        self.p = _field(p, bk.Array3f, 0)
        self.n = _field(n, bk.Array3f, 0)

    def is_valid(self):
        """Bool: whether the ray found a point (``t`` is finite), as in Mitsuba 3."""
        return self.t != dr.inf

    def offset_origin(self, direction):
        """The point moved off its surface towards ``direction`` (world Array3f), by a
        distance relative to its magnitude, so that a ray started there does not
        hit the same surface again through rounding (Mitsuba 3's ``offset_p``)."""
        offset = RAY_EPSILON * (1 + dr.max(dr.abs(dr.detach(self.p))))
        side = dr.select(dr.dot(self.n, direction) >= 0, 1.0, -1.0)
        return self.p + self.n * (offset * side)

    def spawn_ray(self, d):
        """The ray (:class:`Ray3f`, unbounded) leaving this point along the world direction ``d``."""
        return Ray3f(self.offset_origin(d), d, dr.inf, self.time)

    def spawn_ray_to(self, target):
        """The ray from this point towards the world point ``target`` (Array3f), ending
        just short of it: ``d`` is unit, ``maxt`` the distance less SHADOW_EPSILON of it."""
        origin = self.offset_origin(target - self.p)
        to_target = target - origin
        dist = dr.norm(to_target)
        return Ray3f(origin, to_target / dist, dist * (1 - SHADOW_EPSILON), self.time)


@bk.drjit_struct(t='Float', time='Float', p='Array3f', n='Array3f', shape='UInt32', uv='Array2f',
                 sh_frame=Frame, dp_du='Array3f', wi='Array3f', prim_index='UInt32', bsdf_id='UInt32')
class SurfaceInteraction3f(Interaction3f):
    """A ray's hit on a surface; see the module docstring.

    Fields besides :class:`Interaction3f`'s: ``shape`` (UInt32, index into
    ``scene.shapes()``), ``uv`` (Array2f, texture coordinates; the
    barycentric coordinates on meshes without them), ``sh_frame``
    (:class:`~tutorial_kit.core.frame.Frame`, shading frame around the
    interpolated normal, ``s`` along dp/du), ``dp_du`` (Array3f),
    ``wi`` (Array3f, unit, local), ``prim_index`` (UInt32, triangle index
    within the scene), ``bsdf_id`` (UInt32, the id of the BSDF hit among
    all live BSDFs, 0 where none: what :meth:`bsdf` looks up; see
    :mod:`tutorial_kit.renderer.bsdf`).
    """

    def __init__(self, t=None, time=None, p=None, n=None, shape=None, uv=None, sh_frame=None,
                 dp_du=None, wi=None, prim_index=None, bsdf_id=None):
        super().__init__(t, time, p, n)
        self.shape = _field(shape, bk.UInt32, 0)
        self.uv = _field(uv, bk.Array2f, 0)
        self.sh_frame = Frame() if sh_frame is None else sh_frame
        self.dp_du = _field(dp_du, bk.Array3f, 0)
        self.wi = _field(wi, bk.Array3f, 0)
        self.prim_index = _field(prim_index, bk.UInt32, 0)
        self.bsdf_id = _field(bsdf_id, bk.UInt32, 0)

    def to_world(self, v):
        """Local direction ``v`` (Array3f, shading frame) in world space."""
        return self.sh_frame.to_world(v)

    def to_local(self, v):
        """World direction ``v`` (Array3f) in the shading frame."""
        return self.sh_frame.to_local(v)

    def to_world_mueller(self, M_local, in_forward_local, out_forward_local):
        """A BSDF's Mueller matrix ``M_local`` (Matrix43f) re-expressed in world space.

        ``M_local`` maps Stokes vectors of light travelling along
        ``in_forward_local`` to light travelling along ``out_forward_local``
        (local Array3f), in the implicit bases of those local directions. In
        world space the directions are the same but their implicit bases
        (:func:`~tutorial_kit.core.mueller.stokes_basis` of the world vectors)
        are not: each side is rotated onto them, as Mitsuba 3 does. Anything
        that is not a Mueller matrix is returned unchanged.
        """
        if not mueller.is_mueller(M_local):
            return M_local
        in_world, out_world = self.to_world(in_forward_local), self.to_world(out_forward_local)
        return mueller.rotate_mueller_basis(
            M_local,
            in_world, self.to_world(mueller.stokes_basis(in_forward_local)), mueller.stokes_basis(in_world),
            out_world, self.to_world(mueller.stokes_basis(out_forward_local)), mueller.stokes_basis(out_world))

    def bsdf(self, ray=None, active=True):
        """The BSDF of each lane (:class:`~tutorial_kit.renderer.bsdf.BSDFPtr`):
        its ``eval``, ``sample``, ``pdf`` and ``eval_pdf`` call each lane's own
        BSDF, found by ``bsdf_id`` among every live BSDF, and give zero on lanes
        that hit nothing. ``ray`` (a Ray3f, Mitsuba 3's ``si.bsdf(ray)``) is
        accepted and not needed: there are no ray differentials to compute.
        Integrators that know their scene ask it instead
        (``scene.bsdf_ptr(si)``), which considers only its own BSDFs."""
        return live_bsdf_ptr(self.bsdf_id, active)

    def emitter(self, scene, active=True):
        """The emitter each lane found (:class:`~tutorial_kit.renderer.emitter.EmitterPtr`):
        the area light on the shape it hit, or the scene's environment where it
        escaped; none elsewhere."""
        return scene.emitter_ptr(self, active)

    def __repr__(self):
        fields = ('t', 'p', 'n', 'uv', 'wi', 'shape', 'prim_index', 'bsdf_id')
        body = ',\n'.join(f'  {name} = {getattr(self, name)}' for name in fields)
        return f'SurfaceInteraction3f[\n{body}\n]'


@bk.drjit_struct(p='Array3f', n='Array3f', uv='Array2f', time='Float', pdf='Float', delta='Bool',
                 d='Array3f', dist='Float', emitter_index='UInt32')
class DirectionSample3f(LastScene):
    """A point on an emitter seen from a reference point (Mitsuba 3's record).

    ``p`` (Array3f, the point; far away for environments), ``n`` (Array3f,
    the emitter's normal there), ``uv`` (Array2f, image coordinates on an ``envmap``, else zero), ``time``
    (Float), ``pdf`` (Float, density per unit solid angle at the reference
    point, 1/sr; includes the choice of the emitter when the scene sampled
    it), ``delta`` (Bool: the point was certain, as for a point, spot or
    directional light, which nothing else can find: ``pdf`` is then 1, or the
    probability of choosing the emitter when the scene sampled it),
    ``d`` (Array3f, unit direction from the reference point to ``p``),
    ``dist`` (Float, distance to ``p``; inf for environments),
    ``emitter_index`` (UInt32, index into ``scene.emitters()``, set by the
    scene) and ``emitter``, the same as Mitsuba 3's pointer per lane (an
    ``EmitterPtr``: ``ds.emitter.eval(si)``; assigning an index or a pointer
    sets ``emitter_index``).

    Like :class:`~tutorial_kit.renderer.preliminary_intersection.PreliminaryIntersection3f`,
    a record finds its emitters in the scene that last filled one (:class:`~tutorial_kit.renderer.last_scene.LastScene`):
    Dr.Jit rebuilds records inside loops from their fields alone.
    """
    def __init__(self, p=None, n=None, uv=None, time=None, pdf=None, delta=None, d=None, dist=None,
                 emitter=None, si=None, ref=None):
        if hasattr(p, 'emitter_ptr'):
            # Mitsuba 3's DirectionSample3f(scene, si, ref): the point si as seen from ref.
            scene, si, ref = p, (n if si is None else si), (uv if ref is None else ref)
            self._seen_from(scene, si, ref)
            return
        self.p = _field(p, bk.Array3f, 0)
        self.n = _field(n, bk.Array3f, 0)
        self.uv = _field(uv, bk.Array2f, 0)
        self.time = _field(time, bk.Float, 0)
        self.pdf = _field(pdf, bk.Float, 0)
        self.delta = _field(delta, bk.Bool, False)
        self.d = _field(d, bk.Array3f, 0)
        self.dist = _field(dist, bk.Float, 0)
        self.emitter = 0 if emitter is None else emitter

    @property
    def emitter(self):
        """The emitter of each lane (an ``EmitterPtr`` over the scene's emitters)."""
        scene = DirectionSample3f.last_scene()
        if scene is None:
            raise RuntimeError('DirectionSample3f.emitter: no scene has filled this record yet')
        return scene.emitter_ptr_of(self.emitter_index)

    @emitter.setter
    def emitter(self, value):
        # An EmitterPtr gives its indices (a Dr.Jit array's own .index is not one).
        self.emitter_index = bk.UInt32(value.index if hasattr(value, 'emitters') else value)

    def _seen_from(self, scene, si, ref):
        """The surface point ``si`` as emitter sampling from ``ref`` (an interaction)
        would describe it: pdf 0, not delta, the direction from ``ref`` (``-si.wi``
        where the ray escaped) and the emitter found there (``scene``'s index)."""
        offset = si.p - ref.p
        dist = dr.norm(offset)
        valid = si.is_valid()
        self.p, self.n, self.uv, self.time = bk.Array3f(si.p), bk.Array3f(si.sh_frame.n), bk.Array2f(si.uv), bk.Float(si.time)
        self.pdf, self.delta = dr.zeros(bk.Float, dr.width(dist)), dr.zeros(bk.Bool, dr.width(dist))
        self.d = dr.select(valid, offset / dr.select(dist > 0, dist, 1), -si.wi)
        self.dist = dist
        self.emitter_index = scene.emitter_ptr(si).index
        DirectionSample3f.remember_scene(scene)

    @classmethod
    def from_hit(cls, si, direction, emitter=None):
        """The record of a ray (unit world ``direction``) that ended in ``si``, as
        emitter sampling from the ray's origin would have described that point:
        what :meth:`Emitter.pdf_direction` needs to weigh a hit against it."""
        return cls(p=si.p, n=si.n, uv=si.uv, time=si.time, d=direction, dist=si.t, emitter=emitter)

    def __repr__(self):
        fields = ('p', 'n', 'd', 'dist', 'pdf', 'delta', 'emitter_index')
        body = ',\n'.join(f'  {name} = {getattr(self, name)}' for name in fields)
        return f'DirectionSample3f[\n{body}\n]'


def miss(width, direction=None):
    """The interaction of ``width`` lanes whose rays hit nothing: t = inf, ``wi`` the
    world direction back along the rays (``direction``, Array3f) where given."""
    si = dr.zeros(SurfaceInteraction3f, width)
    si.t = dr.full(bk.Float, dr.inf, width)
    if direction is not None:
        si.wi = -direction
    return si
