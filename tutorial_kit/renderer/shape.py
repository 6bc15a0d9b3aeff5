"""The shape interface: the surfaces rays can hit.

Every shape in the toolkit is a triangle mesh (:class:`~tutorial_kit.plugins.shapes.mesh.Mesh`):
the file formats (``obj``, ``ply``) and the primitives (``rectangle``,
``cube``) all become one, and the scene joins them into a single triangle
list for its BVH. A shape may carry a BSDF (its material) and an area
emitter (which then covers its surface).

Lengths are in scene units; positions and normals in world space (the
``to_world`` transform is applied when the shape loads).
"""
from abc import abstractmethod

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin


class Shape(Plugin):
    """Base class of shape plugins (XML ``<shape>``).

    Attributes: ``bsdf`` (a BSDF, never None: Mitsuba's default is a diffuse
    reflectance of 0.5, or 0 on a shape that emits), ``emitter`` (an area Emitter or None),
    ``flip_normals`` (bool), ``face_normals`` (bool: shade with the
    triangles' own normals even where vertex normals exist).
    """

    @abstractmethod
    def surface_area(self):
        """Total area (float, scene units squared)."""

    @abstractmethod
    def sample_position(self, sample):
        """A point distributed uniformly by area.

        ``sample``: Array2f in [0, 1)^2. Returns ``(p, n, pdf)``: position
        (Array3f, differentiable with respect to the vertices), unit normal of
        the front side (Array3f) and the density per unit area (Float).
        """

    @abstractmethod
    def triangles_numpy(self):
        """Corner positions as three float64 NumPy arrays of shape (M, 3),
        detached, for building the scene's BVH."""


registry.declare_interface('shape', Shape)
