"""``aov``: arbitrary output variables, what the camera sees besides radiance.

Denoisers, compositing and inverse rendering often want more than colour:
the distance to the first surface, its position, normal or texture
coordinates, which triangle and which shape it belongs to. Mitsuba 3's
``aov`` integrator returns them as extra image channels. Its ``aovs``
string lists ``<name>:<type>`` pairs, separated by commas or spaces::

    <integrator type="aov">
        <string name="aovs" value="dd.y:depth,nn:sh_normal"/>
        <integrator type="path" name="my_image"/>
    </integrator>

Each type (:class:`AOVType`) gives one or more channels named
``<name>.<suffix>`` (``dd.y.T``; ``nn.X``, ``nn.Y``, ``nn.Z``). Nested
integrators are rendered along (each from the same random numbers as a
render of its own would draw), each giving channels ``<name>.R``, ``.G``,
``.B``, ``.A`` and its own AOVs.

What a render returns is Mitsuba 3's stacking: for each nested integrator
its image in the film's pixel format (plus its AOVs), then the AOV
channels; without a nested integrator, the AOV channels alone. The film
keeps every channel under its name, ``R, G, B`` (the first nested
integrator's image) first, for ``film.write``.

Every channel is averaged over each pixel's samples through the film's
filter, so integer-valued ones (``prim_index``, ``shape_index``) are
fractional wherever a pixel sees two primitives. Camera rays that miss the
scene give 0 in every channel.
"""
import enum
import math

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.bsdf import BSDFContext
from tutorial_kit.renderer.film_channels import film_channels
from tutorial_kit.renderer.integrator import Integrator, SamplingIntegrator, sample_radiance


class AOVType(enum.Enum):
    """The quantities an ``aovs`` entry may ask for (Mitsuba 3.9's names), with the
    suffixes of their channels."""
    Albedo = 'albedo'
    Depth = 'depth'
    Position = 'position'
    UV = 'uv'
    GeometricNormal = 'geo_normal'
    ShadingNormal = 'sh_normal'
    dPdU = 'dp_du'
    PrimIndex = 'prim_index'
    ShapeIndex = 'shape_index'

    @property
    def suffixes(self):
        return _SUFFIXES[self]


_SUFFIXES = {AOVType.Albedo: 'RGB', AOVType.Depth: 'T', AOVType.Position: 'XYZ', AOVType.UV: 'UV',
             AOVType.GeometricNormal: 'XYZ', AOVType.ShadingNormal: 'XYZ', AOVType.dPdU: 'XYZ',
             AOVType.PrimIndex: 'I', AOVType.ShapeIndex: 'I'}

#: Types Mitsuba 3 offers that need what this renderer's interactions do not
#: carry (ray differentials, the second surface tangent): refused by name.
UNAVAILABLE = {'dp_dv': 'interactions here carry dp_du only',
               'duv_dx': 'camera rays here carry no ray differentials',
               'duv_dy': 'camera rays here carry no ray differentials'}


def parse_aovs(text, props):
    """``[(name, AOVType), ...]`` from an ``aovs`` string such as
    ``"dd.y:depth,nn:sh_normal"``; a PluginError naming a malformed entry or an
    unknown type."""
    entries = []
    for token in (t for t in text.replace(' ', ',').split(',') if t):
        parts = [p for p in token.split(':') if p]
        if len(parts) != 2:
            raise props.error('aovs', f'each AOV is a <name>:<type> pair, got "{token}"')
        name, kind = parts
        if kind in UNAVAILABLE:
            raise props.error('aovs', f'the AOV type "{kind}" is not available: {UNAVAILABLE[kind]}')
        try:
            entries.append((name, AOVType(kind)))
        except ValueError:
            known = ', '.join(t.value for t in AOVType)
            raise props.error('aovs', f'unknown AOV type "{kind}" in "{token}" (known: {known})') from None
    return entries


@register('integrator', 'aov')
class AOVIntegrator(SamplingIntegrator):
    """``aovs`` (string of ``<name>:<type>`` pairs) and any number of nested
    integrators; see the module docstring."""

    def __init__(self, props):
        super().__init__(props)
        named = {id(obj): name for name, obj in props.named_objects()}
        self.integrators = []
        for k, obj in enumerate(props.nested_objects()):
            if not isinstance(obj, Integrator):
                raise props.error(named.get(id(obj), 'aovs'), f'nested objects of an aov integrator must '
                                                               f'be integrators, got {type(obj).__name__}')
            self.integrators.append((named.get(id(obj), f'_arg_{k}'), obj))
        self.aovs = parse_aovs(props.string('aovs', ''), props)
        if not self.aovs and not self.integrators:
            props.warn('aovs', 'no AOVs were specified')

    def settings(self):
        return dict(aovs=self.aov_names(), integrators=[name for name, _ in self.integrators])

    def traverse(self, callback):
        for k, (_, integrator) in enumerate(self.integrators):
            callback.put(f'integrator_{k}', integrator, 0)

    def aov_names(self):
        """Mitsuba 3's channel names: each nested integrator's ``<name>.R, .G, .B,
        .A`` and its own AOVs, then ``<name>.<suffix>`` of each AOV."""
        names = []
        for name, integrator in self.integrators:
            names += [f'{name}.{c}' for c in 'RGBA'] + [f'{name}.{a}' for a in integrator.aov_names()]
        return names + [f'{name}.{s}' for name, kind in self.aovs for s in kind.suffixes]

    def sample(self, scene, sampler, ray, medium=None, active=True):
        """The first nested integrator's radiance and validity (0 and False
        without one), and every channel of :meth:`aov_names` (Floats)."""
        width = dr.width(ray)
        L, valid = dr.zeros(bk.Color3f, width), dr.zeros(bk.Bool, width)
        channels = []
        for k, (_, integrator) in enumerate(self.integrators):
            # A copy of the sampler in its present state: each nested integrator draws
            # the numbers a render of its own would.
            result, hit, aovs, _ = sample_radiance(integrator, dr.ADMode.Primal, scene, sampler.clone(), ray)
            channels += [result[0], result[1], result[2], dr.select(hit, bk.Float(1), bk.Float(0))]
            channels += list(aovs)
            if k == 0:
                L, valid = bk.Color3f(result), bk.Bool(hit)
        if self.aovs:
            si = scene.ray_intersect(ray, active)
            for _, kind in self.aovs:
                channels += self._values(kind, scene, si)
        return L, valid, channels

    def output_channels(self, pixel_format, rgb, alpha, aovs):
        """Mitsuba 3's stacking (module docstring): each nested integrator's image
        in ``pixel_format`` and its AOVs, then the AOV channels."""
        output, start = [], 0
        for _, integrator in self.integrators:
            own = len(integrator.aov_names())
            channels = aovs[start:start + 4 + own]
            output += film_channels(pixel_format, channels[:3], channels[3], channels[4:])
            start += 4 + own
        return output + list(aovs[start:])

    @staticmethod
    def _values(kind, scene, si):
        """The channels (Floats) of one AOV at the hits ``si``; 0 where the ray missed."""
        hit = si.is_valid()

        def where_hit(*values):
            return [dr.select(hit, bk.Float(v), 0) for v in values]

        if kind == AOVType.Depth:
            return where_hit(si.t)
        if kind == AOVType.Position:
            return where_hit(*si.p)
        if kind == AOVType.UV:
            return where_hit(*si.uv)
        if kind == AOVType.GeometricNormal:
            return where_hit(*si.n)
        if kind == AOVType.ShadingNormal:
            return where_hit(*si.sh_frame.n)
        if kind == AOVType.dPdU:
            return where_hit(*si.dp_du)
        if kind == AOVType.PrimIndex:
            # Mitsuba counts triangles within each shape; ours are numbered scene-wide
            # (over the meshes; an analytic shape is one primitive, 0).
            counts = [s.face_count() if s.is_mesh() else 0 for s in scene.shapes()]
            first = np.cumsum([0] + counts[:-1]).astype(np.uint32)
            local = si.prim_index - dr.gather(bk.UInt32, bk.from_numpy(bk.UInt32, first), si.shape, hit)
            return where_hit(bk.Float(local))
        if kind == AOVType.ShapeIndex:
            # Shapes counted from 1 in scene order (0: no shape), as Mitsuba 3 numbers
            # the shapes of the first scene it loads.
            return where_hit(bk.Float(si.shape + 1))
        # Albedo: Mitsuba 3's default eval_diffuse_reflectance, pi times the BSDF
        # (cosine included) towards the normal, for light arriving along the ray.
        value = scene.bsdf_ptr(si).eval(BSDFContext(), si, bk.Array3f(0, 0, 1), hit) * math.pi
        return where_hit(*value)
