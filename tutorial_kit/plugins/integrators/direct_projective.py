"""``direct_projective``: direct illumination whose geometry derivatives include visibility.

Mitsuba 3's ``direct_projective`` is its projective-sampling integrator
restricted to direct light, "functionally equivalent with
``prb_projective`` when ``max_depth`` is set to be 2". Ours is exactly
that: :class:`~tutorial_kit.plugins.integrators.prb_projective.EdgeSamplingIntegrator`
(edge sampling, Li, Aittala, Durand and Lehtinen, SIGGRAPH Asia 2018) at
``max_depth`` 2. The image is emission seen directly plus one bounce of
light from emitters, emitter and BSDF sampling joined by MIS (Veach 1997,
ch. 9), as the ``direct`` integrator renders it; the derivatives with
respect to moving geometry add the boundary terms of silhouettes seen from
the camera, of edges seen from the first surface point, and of shadows of
area lights (parts 1 to 4 of the ``prb_projective`` module docstring; part
5, shadows seen after a bounce, is indirect light and so absent here).

Parameters, with Mitsuba 3's names, and what each means here:

- ``sppc`` (0): samples per pixel of the continuous (interior) part; as in
  Mitsuba, the ``spp`` of the render call overrides it, so it only matters
  where no ``spp`` is given (then the sampler's count is used).
- ``sppp`` (0): samples per pixel of the primary-visibility part (edges
  seen from the camera); 0 takes the render's ``spp``.
- ``sppi`` (0): samples per pixel of the secondary-visibility parts (edges
  seen from the first surface point, and shadow edges); 0 takes the
  render's ``spp``.
- ``guiding`` (``octree``; ``none``, ``grid``), ``guiding_proj`` (true),
  ``guiding_rounds`` (1), ``clean`` (false): steer the structure Mitsuba's
  projective sampling builds to find indirectly seen edges. Edge sampling
  samples the edges themselves and needs no such structure: accepted and
  unused.
- ``project_seed`` (``both``; ``bsdf``, ``emitter``): how Mitsuba seeds its
  projections; unused for the same reason, checked for its values.
- ``hide_emitters`` (false): emitters seen directly by the camera are left
  out of the image (black), as in ``direct`` and ``path``.
- ``max_depth``: fixed at 2 (emitters seen directly, then direct light),
  which Mitsuba also imposes whatever the file says; another value is
  accepted with a SceneWarning that it is ignored.
"""
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.integrators.prb_projective import EdgeSamplingIntegrator
from tutorial_kit.renderer.integrator import UNLIMITED

#: Emitters seen directly, then one bounce of light: direct illumination.
DIRECT_DEPTH = 2


@register('integrator', 'direct_projective')
class DirectProjectiveIntegrator(EdgeSamplingIntegrator):
    """Edge sampling at ``max_depth`` 2, registered as ``direct_projective``
    (see the module docstring for its parameters)."""

    def __init__(self, props):
        given = props.int('max_depth', DIRECT_DEPTH)
        if given != DIRECT_DEPTH:
            props.warn('max_depth', f'max_depth={given} is ignored: direct_projective renders '
                                    f'direct illumination, max_depth {DIRECT_DEPTH}')
        props.choice('project_seed', ('both', 'bsdf', 'emitter'), 'both')
        super().__init__(props)
        # Mitsuba sets rr_depth to 2, where the path already ends: no roulette.
        self.max_depth, self.rr_depth = DIRECT_DEPTH, UNLIMITED

    def settings(self):
        return dict(hide_emitters=self.hide_emitters, sppc=self.sppc, sppp=self.sppp, sppi=self.sppi)
