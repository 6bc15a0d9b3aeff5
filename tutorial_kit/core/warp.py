"""Warps: map uniform samples on [0, 1)^2 to directions with a known density.

Each ``square_to_X`` comes with ``square_to_X_pdf`` giving the density of the
result per unit solid angle (1/sr).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
def square_to_uniform_disk_concentric(sample):
    """Uniform point on the unit disk that keeps neighbouring samples close."""
    x, y = 2 * sample.x - 1, 2 * sample.y - 1
    # Map concentric squares to concentric circles (two wedge cases).
    first = dr.abs(x) > dr.abs(y)
    r = dr.select(first, x, y)
    safe = dr.select(r == 0, 1, r)
    phi = dr.select(first, (dr.pi / 4) * (y / safe), dr.pi / 2 - (dr.pi / 4) * (x / safe))
    s, c = dr.sincos(phi)
    return bk.Array2f(r * c, r * s)


def square_to_cosine_hemisphere(sample):
    """Direction on the z > 0 hemisphere with density cos(theta) / pi."""
    p = square_to_uniform_disk_concentric(bk.Array2f(sample))
    z = dr.safe_sqrt(1 - dr.squared_norm(p))
    return bk.Array3f(p.x, p.y, z)


def square_to_cosine_hemisphere_pdf(v):
    return dr.select(v.z > 0, v.z * dr.inv_pi, 0)


def square_to_uniform_hemisphere(sample):
    """Direction uniformly distributed on the z > 0 hemisphere (density 1 / 2 pi).

    ``sample``: Array2f in [0, 1)^2 (or a pair of Floats). Mitsuba 3 draws
    it through the concentric disk map, so that neighbouring samples stay
    close; the result is the same distribution.
    """
    p = square_to_uniform_disk_concentric(bk.Array2f(sample))
    z = 1 - dr.squared_norm(p)
    p *= dr.sqrt(z + 1)
    return bk.Array3f(p.x, p.y, z)


def square_to_uniform_hemisphere_pdf(v):
    return dr.select(v.z >= 0, dr.inv_two_pi, 0)


def square_to_uniform_sphere(sample):
    """Direction uniformly distributed on the unit sphere."""
    z = 1 - 2 * sample.y
    r = dr.safe_sqrt(1 - z * z)
    s, c = dr.sincos(2 * dr.pi * sample.x)
    return bk.Array3f(r * c, r * s, z)


def square_to_uniform_sphere_pdf(v):
    return dr.full(bk.Float, dr.inv_four_pi, dr.width(v))
