"""The Mueller calculus: how optical elements change the polarisation of light.

The polarisation state of a beam is a *Stokes vector* ``(S0, S1, S2, S3)``:
``S0`` the intensity, ``S1`` the excess of horizontal over vertical linear
polarisation, ``S2`` of +45 over -45 degrees, ``S3`` of right over left
circular polarisation. "Horizontal" needs a reference: a unit *basis*
vector perpendicular to the direction of travel, and the state is seen
looking back along the beam, from the sensor. An optical element (a
filter, a reflection) acts on Stokes vectors as a 4x4 *Mueller matrix*,
and a chain of elements as the product of theirs (Collett, *Polarized
Light*, ch. 5; Goldstein, *Polarized Light*, 3rd ed., ch. 6).

This module follows Mitsuba 3's ``mueller.h`` name for name (``tk.mueller``
is Mitsuba 3's ``mi.mueller``). Each function works on Float entries
(``Matrix4f``) or on one value per colour channel (Color3f entries,
``Matrix43f``): the type of the argument chooses. Like Mitsuba 3, the
renderer carries Stokes vectors as Mueller matrices whose first column
alone is not zero, so that light and elements multiply alike.

Reference bases are never stored: a beam travelling along ``forward`` has
the implicit basis :func:`stokes_basis` (``forward``), and a matrix whose
bases differ is re-expressed in the implicit ones with
:func:`rotate_mueller_basis`.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.frame import coordinate_system
from tutorial_kit.core.polarized_fresnel import c_norm2, fresnel_polarized, sincos_arg_diff


def matrix_type(value):
    """The Mueller matrix type whose entries have the type of ``value``:
    Matrix4f for a Float or a plain number, Matrix43f for a Color3f."""
    return bk.Matrix43f if isinstance(value, bk.Array3f) else bk.Matrix4f


def _matrix(value, *rows):
    """The Mueller matrix of ``value``'s type with the 16 entries ``rows`` (row by row)."""
    return matrix_type(value)(*rows)


def _like(R, M):
    """``R`` widened to one value per colour channel when ``M`` has them."""
    return bk.Matrix43f(R) if isinstance(M, bk.Matrix43f) and isinstance(R, bk.Matrix4f) else R


def is_mueller(value):
    """Whether ``value`` is a Mueller matrix (Matrix4f or Matrix43f)."""
    return isinstance(value, (bk.Matrix4f, bk.Matrix43f))


def unpolarized(value):
    """The (0, 0) entry of a Mueller matrix: what it does to unpolarised light's
    intensity (Mitsuba 3's ``unpolarized_spectrum``); anything else unchanged."""
    return value[0][0] if is_mueller(value) else value


def scaled(M, value):
    """``M`` with every entry times ``value`` (a Color3f per channel, a Float or
    a number): Mitsuba 3's ``M * absorber(value)``."""
    if not isinstance(value, bk.Array3f):
        return M * value
    M = bk.Matrix43f(M) if isinstance(M, bk.Matrix4f) else M
    return bk.Matrix43f(*[M[i][j] * value for i in range(4) for j in range(4)])


# -- optical elements ------------------------------------------------------------------------

def depolarizer(value=1.0):
    """An ideal depolariser of transmittance ``value``: whatever comes in leaves
    unpolarised, its intensity times ``value``. Every surface that does not
    polarise (diffuse, plastic) and every light source is one."""
    zero = dr.zeros(type(value), dr.width(value)) if dr.is_array_v(value) else 0
    return _matrix(value, value, zero, zero, zero, *[zero] * 12)


def absorber(value):
    """An ideal absorber: every Stokes component times ``value`` (a neutral filter)."""
    zero = dr.zeros(type(value), dr.width(value)) if dr.is_array_v(value) else 0
    return _matrix(value, value, zero, zero, zero, zero, value, zero, zero,
                   zero, zero, value, zero, zero, zero, zero, value)


def linear_polarizer(value=1.0):
    """A linear polariser transmitting horizontal light, ``value`` its transmittance
    along that axis (Collett, ch. 5, eq. 13)."""
    a = value * 0.5
    zero = a * 0
    return _matrix(a, a, a, zero, zero, a, a, zero, zero, *[zero] * 8)


def linear_retarder(phase):
    """A linear retarder with its fast axis horizontal, delaying the vertical
    field by ``phase`` radians (pi/2: a quarter-wave plate; Goldstein, eq. 6.43)."""
    s, c = dr.sincos(phase)
    one, zero = c * 0 + 1, c * 0
    return _matrix(phase, one, zero, zero, zero, zero, one, zero, zero,
                   zero, zero, c, s, zero, zero, -s, c)


def right_circular_polarizer():
    """A right circular polariser (Chipman, *Polarized Light and Optical Systems*, table 6.2)."""
    return bk.Matrix4f(0.5, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0.5)


def left_circular_polarizer():
    """A left circular polariser (Chipman, table 6.2)."""
    return bk.Matrix4f(0.5, 0, 0, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, -0.5, 0, 0, 0.5)


def diattenuator(x, y):
    """A linear diattenuator: the field's horizontal component times ``x``,
    its vertical one times ``y``."""
    a, b, c = 0.5 * (x + y), 0.5 * (x - y), dr.sqrt(x * y)
    zero = a * 0
    return _matrix(a, a, b, zero, zero, b, a, zero, zero, zero, zero, c, zero, zero, zero, zero, c)


def rotator(theta):
    """Rotates the reference basis counter-clockwise by ``theta`` radians, seen
    from the sensor (Collett, ch. 5, eq. 43): horizontal light [1, 1, 0, 0]
    reads [1, 0, -1, 0] after a rotator of 45 degrees."""
    s, c = dr.sincos(2 * theta)
    one, zero = c * 0 + 1, c * 0
    return _matrix(theta, one, zero, zero, zero, zero, c, s, zero,
                   zero, -s, c, zero, zero, zero, zero, one)


def rotated_element(theta, M):
    """The element ``M`` turned counter-clockwise by ``theta`` radians about the beam."""
    R = _like(rotator(theta), M)
    return R.T @ M @ R


# -- reflection and refraction ---------------------------------------------------------------

def specular_reflection(cos_theta_i, eta, k=0.0):
    """The Mueller matrix of reflection at a smooth interface of relative index
    ``eta + i k`` (``k`` = 0: a dielectric), in the basis perpendicular to the
    plane of reflection. ``cos_theta_i``: Float or Color3f; ``eta``, ``k`` of the
    same type or numbers. Its (0, 0) entry is the unpolarised Fresnel reflectance.
    """
    a_s, a_p = fresnel_polarized(cos_theta_i, eta, k)[:2]
    sin_delta, cos_delta = sincos_arg_diff(a_p, a_s)       # the phase delay between p and s
    r_s, r_p = c_norm2(a_s), c_norm2(a_p)
    a, b, c = 0.5 * (r_s + r_p), 0.5 * (r_s - r_p), dr.sqrt(r_s * r_p)
    sin_delta = dr.select(c == 0, 0, sin_delta)            # no phase where a wave vanishes
    cos_delta = dr.select(c == 0, 0, cos_delta)
    zero = a * 0
    return _matrix(a, a, b, zero, zero, b, a, zero, zero,
                   zero, zero, c * cos_delta, -c * sin_delta, zero, zero, c * sin_delta, c * cos_delta)


def specular_transmission(cos_theta_i, eta):
    """The Mueller matrix of refraction through a smooth dielectric interface of
    relative index ``eta`` (real), radiance converted between the two media's
    beam cross-sections; basis perpendicular to the plane of incidence."""
    a_s, a_p, cos_theta_t, eta_it, eta_ti = fresnel_polarized(cos_theta_i, eta)
    factor = -eta_it[0] * dr.select(dr.abs(cos_theta_i) > 1e-8, cos_theta_t / cos_theta_i, 0)
    t_s = dr.square(1 + a_s[0])
    t_p = dr.square((1 + a_p[0]) * eta_ti[0])
    a, b, c = 0.5 * factor * (t_s + t_p), 0.5 * factor * (t_s - t_p), factor * dr.sqrt(t_s * t_p)
    zero = a * 0
    return _matrix(a, a, b, zero, zero, b, a, zero, zero, zero, zero, c, zero, zero, zero, zero, c)


# -- reference bases ------------------------------------------------------------------------

def stokes_basis(forward):
    """The implicit reference basis of a beam travelling along ``forward`` (unit
    Array3f): the first vector :func:`~tutorial_kit.core.frame.coordinate_system` gives."""
    return coordinate_system(forward)[0]


def rotate_stokes_basis(forward, basis_current, basis_target):
    """The rotator that re-expresses a Stokes vector of a beam along ``forward``
    from ``basis_current`` to ``basis_target`` (unit vectors perpendicular to it):
    horizontal light [1, 1, 0, 0] in basis (1, 0, 0) is +45 degree light
    [1, 0, 1, 0] in the basis (0.707, -0.707, 0) of a beam along +z.

    The angle is the angle between the two basis vectors, signed by the sense
    of rotation about ``forward``, as in Mitsuba 3 (which some elements call
    with a basis not quite perpendicular to the beam). It is taken with
    ``atan2`` of the sine and cosine rather than an arc sine, so that it stays
    differentiable where the bases are opposite, as a polariser's are.
    """
    current, target = dr.normalize(basis_current), dr.normalize(basis_target)
    axis = dr.cross(current, target)
    # |current x target|, with a derivative of zero (not NaN) where it vanishes.
    sine = dr.sqrt(dr.maximum(dr.squared_norm(axis), 1e-30))
    theta = dr.atan2(dr.mulsign(sine, dr.dot(forward, axis)), dr.dot(current, target))
    return rotator(theta)


def rotate_mueller_basis(M, in_forward, in_basis_current, in_basis_target,
                         out_forward, out_basis_current, out_basis_target):
    """``M``, which maps Stokes vectors in ``in_basis_current`` to ones in
    ``out_basis_current``, re-expressed from ``in_basis_target`` to
    ``out_basis_target`` (each beam's bases perpendicular to its ``forward``)."""
    R_in = _like(rotate_stokes_basis(in_forward, in_basis_current, in_basis_target), M)
    R_out = _like(rotate_stokes_basis(out_forward, out_basis_current, out_basis_target), M)
    return R_out @ M @ R_in.T


def rotate_mueller_basis_collinear(M, forward, basis_current, basis_target):
    """:func:`rotate_mueller_basis` for an element that does not turn the beam
    (a filter): the same rotation on both sides."""
    R = _like(rotate_stokes_basis(forward, basis_current, basis_target), M)
    return R @ M @ R.T


def light_directions(mode_is_radiance, wi, wo):
    """``(wo_hat, wi_hat)``: a BSDF's two local directions named by the way light
    travels, arriving along ``-wo_hat`` and leaving along ``wi_hat``. In radiance
    mode (paths from the camera) light comes from ``wo`` towards ``wi``; on light
    paths the other way round."""
    return (wo, wi) if mode_is_radiance else (wi, wo)


def from_plane_of_incidence(M, wo_hat, wi_hat, normal=None):
    """``M`` of a reflection or refraction at a surface of local ``normal``
    (default +z), whose bases are perpendicular to the plane of incidence (the
    s-direction of the Fresnel equations), re-expressed in the implicit bases
    of the light arriving along ``-wo_hat`` and leaving along ``wi_hat``.

    At normal incidence there is no plane: (1, 0, 0) serves, as in Mitsuba 3.
    """
    array = type(wo_hat)
    normal = array(0, 0, 1) if normal is None else normal
    s_in, s_out = dr.cross(normal, -wo_hat), dr.cross(normal, wi_hat)
    collinear = dr.all(s_in == 0)
    s_in = dr.select(collinear, array(1, 0, 0), dr.normalize(s_in))
    s_out = dr.select(collinear, array(1, 0, 0), dr.normalize(s_out))
    return rotate_mueller_basis(M, -wo_hat, s_in, stokes_basis(-wo_hat),
                                wi_hat, s_out, stokes_basis(wi_hat))


def from_channels(red, green, blue):
    """The Matrix43f whose colour channels are the Matrix4f ``red``, ``green``, ``blue``."""
    return bk.Matrix43f(*[bk.Color3f(red[i][j], green[i][j], blue[i][j])
                          for i in range(4) for j in range(4)])
