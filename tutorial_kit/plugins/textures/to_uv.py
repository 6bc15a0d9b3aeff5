"""``to_uv``: the affine map that textures apply to texture coordinates first.

Mitsuba reads it as a 4x4 ``<transform>`` and keeps the part that acts on
(u, v): the upper-left 2x2 block and the translation column. ``<scale
x="4" y="4"/>`` repeats a texture four times in each direction.
"""
import numpy as np

from tutorial_kit.core import backend as bk


def read_to_uv(props):
    """The ``to_uv`` of ``props`` as a float64 (2, 3) matrix [A | t]: uv -> A uv + t."""
    matrix = props.transform('to_uv')
    return np.array([[matrix[0, 0], matrix[0, 1], matrix[0, 3]],
                     [matrix[1, 0], matrix[1, 1], matrix[1, 3]]])


def apply_to_uv(matrix, uv):
    """``matrix`` (2, 3) applied to the Array2f ``uv``; the identity costs nothing."""
    if np.array_equal(matrix, np.array([[1.0, 0, 0], [0, 1.0, 0]])):
        return uv
    m = [[float(v) for v in row] for row in matrix]
    return bk.Array2f(m[0][0] * uv.x + m[0][1] * uv.y + m[0][2],
                      m[1][0] * uv.x + m[1][1] * uv.y + m[1][2])
