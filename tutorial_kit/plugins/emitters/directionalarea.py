"""``directionalarea``: a surface that emits only along its normal.

Like an ``area`` light, the emitter covers the shape it is nested in, but
each point sends its radiance ``L`` (W/(m^2 sr)) along one direction only,
the surface normal there: a Dirac delta in direction, like a ``directional``
light restricted to a patch, whose rays stay parallel. A slab of glass lit
this way focuses the parallel rays into a caustic (Schwartzburg, Testuz,
Tagliasacchi and Pauly, "High-contrast Computational Caustic Design",
SIGGRAPH 2014, light their lenses with such a collimated beam).

No camera ray or BSDF-sampled direction ever meets the emission direction
exactly, so the path tracer sees nothing of this light: ``eval``,
``pdf_direction`` and the weight of ``sample_direction`` are zero, as in
Mitsuba 3. Only light paths find it (:mod:`~tutorial_kit.plugins.integrators.ptracer`):
:meth:`DirectionalAreaLight.sample_ray` picks a point uniformly by area
(density 1 / A) and leaves along the normal, carrying ``L A`` (the cosine
between the normal and the emission direction is 1).

``radiance`` may be a texture (a ``bitmap``): it is looked up at the
sampled point's texture coordinates, so a picture can be projected as a
pattern of parallel beams. Parameters as Mitsuba 3's: ``radiance``
(traversed, differentiable); the emitter takes its placement from its shape
and refuses a ``to_world`` of its own.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f, SurfaceInteraction3f
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


@register('emitter', 'directionalarea')
class DirectionalAreaLight(Emitter):
    """``radiance``: a texture (or colour) of linear RGB radiance, looked up by
    the texture coordinates of the emitting point."""
    shape = None                      # set by the scene: the Shape this light covers
    m_flags = EmitterFlags.Surface | EmitterFlags.DeltaDirection

    def __init__(self, props):
        super().__init__(props)
        if 'to_world' in props:
            raise props.error('to_world', 'a directionalarea emitter takes its placement from '
                                          'its shape: give the shape the "to_world"')
        if props.kind('radiance') in ('float', 'integer') and props.float('radiance') < 0:
            raise props.error('radiance', f'"radiance" must not be negative, got {props.float("radiance"):g}')
        self.radiance = texture(props, 'radiance', 1.0, unbounded=True)

    def traverse(self, callback):
        callback.put('radiance', self.radiance, ParamFlags.Differentiable)

    def eval(self, si, active=True):
        """Zero: no ray arrives exactly along the emission direction."""
        return dr.zeros(bk.Color3f, dr.width(si.t))

    def pdf_direction(self, it, ds, active=True):
        return dr.zeros(bk.Float, dr.width(ds.d))

    def sample_direction(self, it, sample, active=True):
        """Nothing: a reference point almost surely does not lie on the normal of
        the point it would pick (Mitsuba 3 does not try either)."""
        width = dr.width(sample)
        return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: a point uniform by area (``sample2``),
        leaving along its normal; weight ``L(uv) / pdf = L(uv) A``. ``sample3``
        is unused: the direction is certain."""
        p, n, uv, pdf = self.shape.sample_surface(sample2)
        radiance = self.radiance.eval(SurfaceInteraction3f(p=p, n=n, uv=uv), active)
        weight = dr.select(pdf > 0, radiance / dr.select(pdf > 0, pdf, 1), 0)
        return Interaction3f(p=p, n=n).spawn_ray(n), weight

    def sample_position(self, time, sample, active=True):
        """See :meth:`Emitter.sample_position`."""
        p, n, uv, pdf = self.shape.sample_surface(sample)
        ps = DirectionSample3f(p=p, n=n, uv=uv, pdf=pdf)
        return ps, dr.select(pdf > 0, dr.rcp(pdf), 0)
