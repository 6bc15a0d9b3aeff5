"""Light paths that start at an environment (``constant``, ``envmap``).

An emitter at infinity has no surface to start a light path from: the path
enters the scene across a disk of its bounding sphere, perpendicular to the
sampled direction (:func:`~tutorial_kit.renderer.light_rays.environment_ray`).
:class:`EnvironmentRays` gives such an emitter the sphere (kept up to date by
``set_scene``) and ``sample_ray``; the emitter supplies ``sample_direction``.
"""
from tutorial_kit.core import backend as bk
from tutorial_kit.plugins.emitters.directional import bounding_sphere
from tutorial_kit.renderer.light_rays import environment_ray


class EnvironmentRays:
    """Mixin (listed before :class:`~tutorial_kit.renderer.emitter.Emitter`) for
    environment emitters: their light rays enter across the scene's bounding sphere."""

    bsphere = ((0.0, 0.0, 0.0), 1.0)     # the scene's bounding sphere, once the scene calls set_scene

    def set_scene(self, scene):
        self.bsphere = bounding_sphere(scene)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: a direction as :meth:`sample_direction`
        draws it (``sample3``), entering the scene's bounding sphere through a
        disk across it (``sample2``)."""
        center, radius = self.bsphere
        return environment_ray(self, bk.Array3f(*center), radius, sample2, sample3, active)
