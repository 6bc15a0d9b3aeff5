"""Warps: map uniform samples on [0, 1)^2 to points and directions with a known density.

Each ``square_to_X`` comes with ``square_to_X_pdf`` giving the density of the
result: per unit area for points on the disk and the triangle, per unit
solid angle (1/sr) for directions. The formulas are the standard ones of
Shirley and Chiu, "A Low Distortion Map Between Disk and Square" (1997)
for the concentric disk, and of Pharr, Jakob and Humphreys, *Physically
Based Rendering* (4th ed., A.5) for the others.

A warp takes what Mitsuba 3's takes: an ``Array2f`` of many samples of the
active backend, or, as in the ``scalar_rgb`` variant, one sample given as
two numbers (a list, a tuple or a scalar ``Array2f``); the result is of the
same kind (``Array3f`` or ``drjit.scalar.Array3f``). Differentiable with
respect to the sample and the cone's angle.
"""
import drjit as dr

from tutorial_kit.core import backend as bk


def _kind(value):
    """(Float, Array2f, Array3f) of the kind of ``value``: the active backend's
    for Dr.Jit arrays that are not scalar, Dr.Jit's scalar types otherwise."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None         # a pair of Floats, or of numbers
    if dr.is_array_v(value) and dr.is_jit_v(value):
        return bk.Float, bk.Array2f, bk.Array3f
    return float, dr.scalar.Array2f, dr.scalar.Array3f


def _sample(sample):
    """``sample`` as a 2-vector of its kind, with the types that go with it."""
    kind = _kind(sample)
    return kind[1](sample), kind


def _vector(v):
    kind = _kind(v)
    return kind[2](v), kind


def _full(kind, value, like):
    """``value`` as a Float of the width of ``like`` (a Python float for a scalar)."""
    return value if kind[0] is float else dr.full(kind[0], value, dr.width(like))


# -- disks and the triangle (points in the plane) --------------------------------------------

def square_to_uniform_disk(sample):
    """Uniform point on the unit disk: radius sqrt(sample.y), angle 2 pi sample.x."""
    sample, kind = _sample(sample)
    r = dr.sqrt(sample.y)
    s, c = dr.sincos(dr.two_pi * sample.x)
    return kind[1](r * c, r * s)


def square_to_uniform_disk_pdf(p):
    """1/pi inside the unit disk (per unit area)."""
    p, kind = _sample(p)
    return dr.select(dr.squared_norm(p) <= 1, _full(kind, dr.inv_pi, p.x), 0)


def square_to_uniform_disk_concentric(sample):
    """Uniform point on the unit disk that keeps neighbouring samples close."""
    sample, kind = _sample(sample)
    x, y = 2 * sample.x - 1, 2 * sample.y - 1
    # Map concentric squares to concentric circles (two wedge cases).
    first = dr.abs(x) > dr.abs(y)
    r = dr.select(first, x, y)
    safe = dr.select(r == 0, 1, r)
    phi = dr.select(first, (dr.pi / 4) * (y / safe), dr.pi / 2 - (dr.pi / 4) * (x / safe))
    s, c = dr.sincos(phi)
    return kind[1](r * c, r * s)


def square_to_uniform_disk_concentric_pdf(p):
    """1/pi inside the unit disk (per unit area)."""
    return square_to_uniform_disk_pdf(p)


def square_to_uniform_triangle(sample):
    """Uniform point (u, v) on the triangle u, v >= 0, u + v <= 1 (barycentric coordinates)."""
    sample, kind = _sample(sample)
    t = dr.safe_sqrt(1 - sample.x)
    return kind[1](1 - t, t * sample.y)


def square_to_uniform_triangle_pdf(p):
    """2 inside the triangle (its area is 1/2), 0 outside."""
    p, kind = _sample(p)
    inside = (p.x >= 0) & (p.y >= 0) & (p.x + p.y <= 1)
    return dr.select(inside, _full(kind, 2.0, p.x), 0)


# -- directions ----------------------------------------------------------------------------

def square_to_cosine_hemisphere(sample):
    """Direction on the z > 0 hemisphere with density cos(theta) / pi (Malley's method)."""
    p = square_to_uniform_disk_concentric(sample)
    kind = _kind(p)
    z = dr.safe_sqrt(1 - dr.squared_norm(p))
    return kind[2](p.x, p.y, z)


def square_to_cosine_hemisphere_pdf(v):
    v, kind = _vector(v)
    return dr.select(v.z > 0, v.z * dr.inv_pi, 0)


def square_to_uniform_hemisphere(sample):
    """Direction uniformly distributed on the z > 0 hemisphere (density 1 / 2 pi).

    Drawn through the concentric disk map, as Mitsuba 3 does, so that
    neighbouring samples stay close: the disk's radius squared becomes 1 - z.
    """
    p = square_to_uniform_disk_concentric(sample)
    kind = _kind(p)
    z = 1 - dr.squared_norm(p)
    p *= dr.sqrt(z + 1)
    return kind[2](p.x, p.y, z)


def square_to_uniform_hemisphere_pdf(v):
    v, kind = _vector(v)
    return dr.select(v.z >= 0, _full(kind, dr.inv_two_pi, v.z), 0)


def square_to_uniform_sphere(sample):
    """Direction uniformly distributed on the unit sphere (Archimedes: z uniform in [-1, 1])."""
    sample, kind = _sample(sample)
    z = 1 - 2 * sample.y
    r = dr.safe_sqrt(1 - z * z)
    s, c = dr.sincos(dr.two_pi * sample.x)
    return kind[2](r * c, r * s, z)


def square_to_uniform_sphere_pdf(v):
    """1 / 4 pi for every direction."""
    v, kind = _vector(v)
    return _full(kind, dr.inv_four_pi, v.x)


def square_to_uniform_cone(sample, cos_cutoff):
    """Direction uniformly distributed in the cone around +z of half-angle
    acos(``cos_cutoff``). The concentric disk sample's radius squared sets
    1 - z in proportion to the cap's height 1 - cos_cutoff."""
    p = square_to_uniform_disk_concentric(sample)
    kind = _kind(p)
    height = 1 - cos_cutoff
    radius_2 = dr.squared_norm(p)
    z = cos_cutoff + height * (1 - radius_2)
    p *= dr.safe_sqrt(height * (2 - height * radius_2))      # so that |(x, y, z)| = 1
    return kind[2](p.x, p.y, z)


def square_to_uniform_cone_pdf(v, cos_cutoff):
    """1 / (2 pi (1 - cos_cutoff)) inside the cone, 0 outside."""
    v, kind = _vector(v)
    return dr.select(v.z >= cos_cutoff, dr.inv_two_pi / (1 - cos_cutoff), 0)
