"""The shape interface: the surfaces rays can hit.

Shapes come in two families, as in Mitsuba 3:

- *meshes* (:class:`~tutorial_kit.plugins.shapes.mesh.Mesh`): the file
  formats (``obj``, ``ply``) and the primitives ``rectangle`` and ``cube``.
  Their ``to_world`` transform is applied once when they load; the scene
  joins all their triangles into one list for its BVH.
- *analytic shapes* (``sphere``, ``disk``, ``cylinder``): a surface given by
  an equation in its own object space, placed by ``to_world``, which stays a
  parameter (``traverse`` lists it, differentiable). The scene intersects
  each of them with its own closed-form ray test (:meth:`Shape.ray_intersect_preliminary`)
  and asks it for the hit's differentiable fields
  (:meth:`Shape.compute_surface_interaction`); many of one kind run that
  code together (:mod:`~tutorial_kit.renderer.shape_batch`).

Every shape may carry a BSDF (its material) and an area emitter (which then
covers its surface), and answers the questions an area light asks: its
area, a point on it (:meth:`Shape.sample_position`) and a direction towards
it from a reference point (:meth:`Shape.sample_direction`,
:meth:`Shape.pdf_direction`).

Lengths are in scene units; positions and normals in world space.
"""
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import registry
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.plugin import Plugin


class Shape(Plugin):
    """Base class of shape plugins (XML ``<shape>``).

    :meth:`bsdf` (a BSDF, never None: Mitsuba's default is a diffuse
    reflectance of 0.5, or 0 on a shape that emits) and :meth:`emitter` (an
    area Emitter or None) are methods, as in Mitsuba 3 (``shape.bsdf()``);
    ``flip_normals`` is a bool.

    A mesh implements :meth:`is_mesh` (True), ``triangles_numpy`` and the
    vertex arrays the scene joins; an analytic shape implements
    :meth:`ray_intersect_preliminary`, :meth:`ray_test` and
    :meth:`compute_surface_interaction`, which the scene calls once per
    analytic shape.
    """

    #: The media inside and outside the shape (Medium or None), Mitsuba 3's
    #: ``interior`` and ``exterior``: a ray crossing the surface changes medium.
    interior = None
    exterior = None

    def interior_medium(self):
        return self.interior

    def exterior_medium(self):
        return self.exterior

    def is_medium_transition(self):
        """Whether the shape bounds a medium (Mitsuba 3's name)."""
        return self.interior is not None or self.exterior is not None

    def is_mesh(self):
        """Whether the shape is a triangle mesh (Mitsuba 3's name)."""
        return False

    _bsdf = None
    _emitter = None

    def bsdf(self):
        """The shape's BSDF (Mitsuba 3's ``shape.bsdf()``)."""
        return self._bsdf

    def set_bsdf(self, bsdf):
        """Give the shape another BSDF before it joins a scene (Mitsuba 3's name)."""
        from tutorial_kit.renderer.bsdf import BSDF
        if not isinstance(bsdf, BSDF):
            raise TypeError(f'set_bsdf: expected a BSDF, got {type(bsdf).__name__}')
        self._bsdf = bsdf

    def emitter(self):
        """The area light on the shape, or None (Mitsuba 3's ``shape.emitter()``)."""
        return self._emitter

    def is_emitter(self):
        """Whether the shape carries an area light (Mitsuba 3's name)."""
        return self._emitter is not None

    def is_sensor(self):
        """Whether the shape is a sensor: never here (no shape-attached sensors)."""
        return False

    def has_flipped_normals(self):
        """Whether ``flip_normals`` turned the shape's front side around."""
        return bool(getattr(self, 'flip_normals', False))

    def primitive_count(self):
        """Primitives the shape consists of: its triangles, or 1 for an analytic shape."""
        return self.face_count() if self.is_mesh() else 1

    def effective_primitive_count(self):
        """As :meth:`primitive_count` (no instancing here)."""
        return self.primitive_count()

    @staticmethod
    def prepare_together(shapes):
        """Called by a scene with all its shapes of a class (a list) before it joins
        their data: work that is cheaper for all of them at once than for each
        (a mesh's computed normals). Nothing by default."""

    def batch_key(self):
        """Analytic shapes of equal keys (not None) may be intersected together
        (:mod:`~tutorial_kit.renderer.shape_batch`); None: always on its own."""
        return None

    def has_vertex_normals(self):
        """Whether the shape shades with per-vertex normals (meshes only)."""
        return False

    def parameters_grad_enabled(self):
        """Whether a parameter that moves the surface tracks derivatives
        (Mitsuba 3's name): then renders record the whole path for AD and
        edge sampling treats the shape's silhouette as moving."""
        return False

    @abstractmethod
    def surface_area(self):
        """Total area (Float or float, scene units squared)."""

    @abstractmethod
    def sample_position(self, sample):
        """A point distributed uniformly by area.

        ``sample``: Array2f in [0, 1)^2. Returns ``(p, n, pdf)``: position
        (Array3f, differentiable with respect to the shape's parameters), unit
        normal of the front side (Array3f) and the density per unit area (Float).
        """

    def sample_surface(self, sample):
        """:meth:`sample_position` with the texture coordinates of the point:
        ``(p, n, uv, pdf)``, ``uv`` an Array2f (zero for a shape without
        texture coordinates). What an emitter whose radiance is a texture
        needs when a light path starts on it."""
        p, n, pdf = self.sample_position(sample)
        return p, n, dr.zeros(type(sample), dr.width(sample)), pdf

    @abstractmethod
    def bbox(self):
        """The :class:`~tutorial_kit.core.bbox.ScalarBoundingBox3f` around the shape."""

    @abstractmethod
    def triangle_proxy(self):
        """The shape as triangles, for the edges of edge sampling
        (:mod:`tutorial_kit.renderer.edges`): ``(positions, faces, normals)``,
        a Float of 3N world coordinates (differentiable: it follows the
        shape's parameters), a UInt32 of 3M vertex indices and a Float of 3N
        shading normals (or None for flat faces). A mesh gives itself; an
        analytic shape a fine tessellation of its surface."""

    # -- sampling a direction towards the shape, for area lights --------------------------
    def sample_direction(self, it, sample, active=True):
        """A point on the shape seen from the reference point ``it.p`` (``it``: an
        Interaction3f), drawn with ``sample`` (Array2f in [0, 1)^2).

        Returns a :class:`~tutorial_kit.renderer.interaction.DirectionSample3f`:
        point, normal, unit direction and distance from ``it.p``, and density
        per unit solid angle (1/sr). This default picks a point uniformly by
        area (:meth:`sample_position`) and converts its density with
        dA = r^2 / |cos theta| dOmega (PBR 4th ed., sec. 4.2.3); a shape
        may sample only the part it can show (the sphere samples the cone it
        subtends).
        """
        return seen_from(it, *self.sample_position(sample))

    def pdf_direction(self, it, ds, active=True):
        """Float: the density (1/sr) with which :meth:`sample_direction` from ``it``
        produces the point of ``ds`` (``p``, ``n``, unit ``d`` from ``it.p``, ``dist``)."""
        return solid_angle_density(ds, self.surface_area())

    # -- ray queries of analytic shapes ------------------------------------------------
    def ray_intersect_preliminary(self, ray, active=True):
        """Float: the distance along ``ray`` (a Ray3f, detached) to the first hit
        in [0, ray.maxt], infinite where there is none. Not differentiable: the
        search only. Analytic shapes implement it."""
        raise NotImplementedError(f'{type(self).__name__} is a mesh: the scene intersects its triangles')

    def ray_test(self, ray, active=True):
        """Bool: whether ``ray`` hits the shape within [0, ray.maxt]."""
        return dr.isfinite(self.ray_intersect_preliminary(ray, active))

    def compute_surface_interaction(self, ray, t, active=True):
        """The hit of ``ray`` at the distance ``t`` that :meth:`ray_intersect_preliminary`
        found (detached): a SurfaceInteraction3f whose ``t``, ``p``, ``n``,
        ``uv``, ``dp_du`` and ``sh_frame`` are recomputed with differentiable
        operations, so that they follow the ray and the shape's parameters.
        The scene fills in ``shape``, ``wi`` and ``bsdf_id``."""
        raise NotImplementedError(f'{type(self).__name__} is a mesh: the scene intersects its triangles')


registry.declare_interface('shape', Shape)


def seen_from(it, p, n, pdf_area):
    """The point ``p`` (normal ``n``), drawn with density ``pdf_area`` per unit area,
    as a :class:`~tutorial_kit.renderer.interaction.DirectionSample3f` seen from
    ``it.p``: its density per solid angle by dA = r^2 / |cos theta| dOmega."""
    to_shape = p - it.p
    dist = dr.norm(to_shape)
    d = to_shape / dist
    pdf = pdf_area * dr.square(dist) / dr.abs(dr.dot(n, d))
    return DirectionSample3f(p=p, n=n, d=d, dist=dist, pdf=pdf)


def solid_angle_density(ds, area):
    """Float: the density per solid angle of the point of ``ds`` drawn uniformly
    over a surface of ``area`` (Float)."""
    return dr.square(ds.dist) / (area * dr.abs(dr.dot(ds.n, ds.d)))
