"""What the analytic shapes (``sphere``, ``disk``, ``cylinder``) share.

An analytic shape is a surface given by an equation in its own object space
(the unit sphere, the unit disk at z = 0, the unit cylinder along z),
placed in the world by ``to_world``. Unlike a mesh, whose vertices are
moved once when it loads, the shape keeps ``to_world``: it is the
parameter ``traverse`` lists (as in Mitsuba 3), and assigning a new one, or
one whose entries carry derivatives, moves the surface.

A hit is found in two steps, as for meshes:

1. the *search* (:meth:`Shape.ray_intersect_preliminary`): a closed-form ray
   test on detached values, outside automatic differentiation;
2. the *re-evaluation* (:meth:`Shape.compute_surface_interaction`): the point
   found is tied to the moving surface with :func:`attach_motion`, then
   normal, texture coordinates and tangent are computed from it with
   differentiable operations, so derivatives reach ``to_world``.

Edge sampling (``prb_projective``) needs the silhouette of a moving shape
as edges; :meth:`AnalyticShape.triangle_proxy` gives a fine tessellation
for that and nothing else (see its docstring).
"""
import copy
import warnings

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core.bbox import ScalarBoundingBox3f
from tutorial_kit.core.transform4f import Transform4f
from tutorial_kit.io.properties import SceneWarning
from tutorial_kit.plugins.shapes.mesh import nested_bsdf_and_emitter, nested_media, put_media
from tutorial_kit.renderer.shape import Shape
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


class AnalyticShape(Shape):
    """Base of the analytic shapes: ``to_world`` (a Transform4f), ``flip_normals``,
    the nested BSDF and area emitter, ``silhouette_sampling_weight``.

    Subclasses implement the ray test, the surface interaction, the
    sampling routines, :meth:`check_transform` and :meth:`local_proxy`.
    """

    def __init__(self, props, to_world):
        """``to_world``: float64 (4, 4), object space to world, already holding
        the shape's own placement parameters (``center``, ``radius``, ...)."""
        super().__init__(props)
        self.flip_normals = props.bool('flip_normals', False)
        # Mitsuba's weight for its silhouette sampling; edge sampling weighs edges by length.
        self.silhouette_sampling_weight = props.float('silhouette_sampling_weight', 1.0)
        if not transform.is_valid_affine(to_world):
            raise props.error('to_world', 'the transform must be an invertible affine map '
                                          '(finite, last row 0, 0, 0, 1)')
        self._bsdf, self._emitter = nested_bsdf_and_emitter(props)
        self.interior, self.exterior = nested_media(props)
        # The Dr.Jit values are made when first asked for (to_world, to_object):
        # a scene of many shapes intersects them in batches (renderer/shape_batch.py),
        # which read the matrices kept here.
        self._to_world = None
        self._matrix = np.asarray(to_world, dtype=np.float64)
        self._to_object = None
        self._proxy = None
        for message in self.check_transform(to_world):
            props.warn('to_world', message)

    def is_mesh(self):
        return False

    def settings(self):
        return dict(flip_normals=self.flip_normals)

    # -- parameters --------------------------------------------------------------------
    @property
    def to_world(self):
        """The Transform4f from object space to the world (opaque entries unless
        assigned with derivatives)."""
        if self._to_world is None:
            self._to_world = opaque_transform(self._matrix)
        return self._to_world

    @to_world.setter
    def to_world(self, value):
        self._to_world = value
        self.update()

    @property
    def to_object(self):
        """The inverse of ``to_world`` (detached, opaque entries): what the ray search reads."""
        if self._to_object is None:
            self._to_object = opaque_transform(np.linalg.inv(self.host_matrix()))
        return self._to_object

    def host_matrix(self):
        """``to_world``'s values, a float64 (4, 4) NumPy array (no derivatives)."""
        if self._matrix is None:
            self._matrix = dr.detach(self._to_world).matrix
        return self._matrix

    def traverse(self, callback):
        # As in Mitsuba 3: moving the shape moves its silhouette.
        callback.put('to_world', self.to_world, ParamFlags.Differentiable | ParamFlags.Discontinuous,
                     kind=ParamKind.TRANSFORM, attribute='to_world')
        callback.put('silhouette_sampling_weight', self.silhouette_sampling_weight,
                     ParamFlags.NonDifferentiable)
        callback.put('bsdf', self._bsdf, ParamFlags.Differentiable)
        if self._emitter is not None:
            callback.put('emitter', self._emitter, ParamFlags.Differentiable)
        put_media(self, callback)

    def parameters_changed(self, keys=None):
        """Refresh what follows from ``to_world`` after an assignment."""
        self.update()
        for message in self.check_transform(self.host_matrix()):
            warnings.warn(f'{type(self).__name__}: {message}', SceneWarning, stacklevel=3)

    def parameters_grad_enabled(self):
        # A transform not yet made from the loaded matrix tracks nothing.
        return self._to_world is not None and dr.grad_enabled(self._to_world)

    def check_transform(self, matrix):
        """Messages (a list of str) about a ``to_world`` (float64 (4, 4)) the shape
        renders in its own way (Mitsuba 3 warns about the same); empty if none."""
        return []

    def update(self):
        """Forget the values that follow from ``to_world`` (its matrix, ``to_object``):
        they are made again when next asked for."""
        if self._to_world is not None:
            self._matrix = None
        self._to_object = None

    # -- batches of shapes of one kind (renderer/shape_batch.py) ----------------------------
    def batch_key(self):
        """Shapes of equal keys are intersected together: the class and the settings
        that choose code (``flip_normals``)."""
        return (type(self), self.flip_normals)

    @staticmethod
    def boxes(matrices):
        """``(lo, hi)``, float64 (N, 3) each: the bounding boxes of the shapes placed
        by ``matrices`` (float64 (N, 4, 4)). Each analytic shape implements it."""
        raise NotImplementedError

    def bbox(self):
        lo, hi = self.boxes(self.host_matrix()[None])
        return ScalarBoundingBox3f(lo[0], hi[0])

    def batch_view(self, to_world, to_object):
        """A copy of this shape whose transforms are ``to_world`` and ``to_object``
        (Transform4f, a value per lane): the shape of each lane of a batch, running
        this class's own code."""
        view = copy.copy(self)
        view._to_world, view._to_object, view._matrix, view._proxy = to_world, to_object, None, None
        return view

    # -- the tessellation that edge sampling uses ---------------------------------------------
    def local_proxy(self):
        """``(positions (N, 3), faces (M, 3), normals (N, 3) or None)`` in object
        space (NumPy): the surface as triangles, see :meth:`triangle_proxy`."""
        raise NotImplementedError

    def triangle_proxy(self):
        """A fine tessellation of the surface (see :meth:`Shape.triangle_proxy`),
        placed by ``to_world`` with differentiable operations.

        Edge sampling finds the silhouette among its edges and evaluates the
        image's jump across them by tracing the exact shape. The tessellation
        is *circumscribed* (its faces touch the surface from outside), so that
        a ray grazing one of its silhouette edges passes beside the true
        surface rather than through it; with 256 segments around a circle
        (and 128 from pole to pole on a sphere) its vertices lie within
        2e-4 of the radius of the surface, which keeps the edges within
        the offset at which the jump is measured (0.02 pixels) for shapes up
        to about two hundred pixels across; for larger ones the boundary term
        loses the part of the jump that falls between the edge and the true
        silhouette.
        """
        if self._proxy is None:
            positions, faces, normals = self.local_proxy()
            self._proxy = (bk.Array3f(*(bk.from_numpy(bk.Float, positions[:, k].astype(np.float32))
                                        for k in range(3))),
                           bk.from_numpy(bk.UInt32, faces.astype(np.uint32).ravel()),
                           None if normals is None else
                           bk.Array3f(*(bk.from_numpy(bk.Float, normals[:, k].astype(np.float32))
                                        for k in range(3))))
        local, faces, local_normals = self._proxy
        positions = dr.ravel(self.to_world @ local)
        normals = None
        if local_normals is not None:
            with dr.suspend_grad():
                normals = dr.ravel(dr.normalize(self.to_world.transform_normal(local_normals, checked=False)))
        return positions, faces, normals


def opaque_transform(matrix):
    """A Transform4f of opaque entries from a finite float64 (4, 4) matrix: a new
    value of it reuses the compiled kernels."""
    return Transform4f._from_rows([[dr.opaque(bk.Float, value) for value in row] for row in matrix.tolist()])


def attach_motion(ray, t, p, n, p_attached):
    """Tie a hit found on detached data to the moving surface (Mitsuba 3's
    ``attach_motion``, the point staying on the ray).

    ``t`` (Float) and ``p`` (Array3f): the detached hit; ``n``: its detached
    normal; ``p_attached``: the same surface point computed from its fixed
    object-space coordinates with the differentiable ``to_world``. The hit
    moves to where the ray meets the tangent plane as it moves (a first-order
    account of the surface's motion, which is all derivatives see). Returns
    ``(t, p)``, equal in value to the inputs and differentiable in the ray
    and the shape.
    """
    n = dr.detach(n)
    t_attached = dr.dot(p_attached - ray.o, n) / dr.dot(n, ray.d)
    t = dr.replace_grad(t, t_attached)
    return t, dr.replace_grad(p, ray.o + ray.d * t)


def solve_quadratic(a, b, c):
    """Real roots of ``a x^2 + b x + c = 0`` (Floats): ``(found, x0, x1)`` with
    x0 <= x1. Computed as Mitsuba 3's ``math::solve_quadratic``: the root of
    larger magnitude first, the other from x0 x1 = c / a, which avoids the
    cancellation of the textbook formula; a = 0 falls back to the linear case."""
    linear = a == 0
    linear_root = -c / b
    discriminant = dr.fma(b, b, -4 * a * c)
    root = dr.sqrt(dr.maximum(discriminant, 0))
    temp = -0.5 * (b + dr.copysign(root, b))
    x0, x1 = temp / a, c / temp
    low, high = dr.minimum(x0, x1), dr.maximum(x0, x1)
    found = dr.select(linear, b != 0, discriminant >= 0)
    return found, dr.select(linear, linear_root, low), dr.select(linear, linear_root, high)


def unit_angle_z(v):
    """The angle (Float, radians) between the unit vector ``v`` and +z, accurate near
    both poles (Mitsuba 3's ``unit_angle_z``: an arcsine of half a chord)."""
    near_north = 2 * dr.safe_asin(0.5 * dr.sqrt(dr.square(v.x) + dr.square(v.y) + dr.square(v.z - 1)))
    near_south = dr.pi - 2 * dr.safe_asin(0.5 * dr.sqrt(dr.square(v.x) + dr.square(v.y)
                                                         + dr.square(v.z + 1)))
    return dr.select(v.z >= 0, near_north, near_south)


def ring(count, radius=1.0):
    """``count`` points (count, 2) around the circle of ``radius``, from angle 0."""
    angle = 2 * np.pi * np.arange(count) / count
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


#: Segments around a circle of a proxy tessellation.
PROXY_SEGMENTS = 256
