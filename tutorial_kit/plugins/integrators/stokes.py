"""``stokes``: the four Stokes components of the light reaching each pixel, as extra channels.

Wraps a polarised integrator (``path``) and returns, besides its intensity,
the Stokes vector (S0, S1, S2, S3) of each pixel in RGB: ``S0`` the
intensity, ``S1`` horizontal minus vertical linear polarisation, ``S2``
+45 minus -45 degrees, ``S3`` right minus left circular (Collett,
*Polarized Light*, ch. 4). "Horizontal" is the sensor's: the nested
integrator's Stokes vector, in the implicit basis of the ray, is turned
into the basis perpendicular to the ray and to the sensor's up direction,
as Mitsuba 3's ``stokes`` integrator does. The channels are named
``S0.R, S0.G, S0.B, S1.R, ..., S3.B`` and follow the film's colour
channels (``render`` returns H x W x 15 for an RGB film).

Exists only in the polarised variants (``set_variant('llvm_ad_rgb_polarized')``).
Derivatives reach every channel (recorded, as for the nested ``path``).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.errors import RenderError
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.integrator import SamplingIntegrator
from tutorial_kit.renderer.traversal import ParamFlags


@register('integrator', 'stokes', polarized=True)
class StokesIntegrator(SamplingIntegrator):
    """One nested integrator that tracks polarisation (``path``)."""

    def __init__(self, props):
        SamplingIntegrator.__init__(self, props)
        nested = [child for child in props.children if isinstance(child, SamplingIntegrator)]
        nested += [obj for _, obj in props.named_objects() if isinstance(obj, SamplingIntegrator)]
        if len(nested) != 1 or not hasattr(nested[0], 'sample_mueller'):
            raise props.error('integrator', f'stokes needs exactly one nested integrator that tracks '
                                            f'polarisation (such as "path"), got {len(nested)}')
        self.integrator = nested[0]

    def traverse(self, callback):
        callback.put('integrator', self.integrator, ParamFlags.Differentiable)

    def aov_names(self):
        own = [f'S{i}.{channel}' for i in range(4) for channel in 'RGB']
        return own + list(self.integrator.aov_names())

    def sample(self, scene, sampler, ray, medium=None, active=True):
        """``(S0, valid, [S0.R, S0.G, ..., S3.B])``: the intensity (Color3f) and the
        twelve Stokes channels (Float each) along ``ray``, in the sensor's basis."""
        if self.render_sensor is None:
            raise RenderError('the stokes integrator needs the sensor of the render: call it through tk.render')
        spectrum, valid = self.integrator.sample_mueller(scene, sampler, ray, active)
        stokes = self.to_sensor_basis(spectrum, ray.d)
        channels = [stokes[i][0][c] for i in range(4) for c in range(3)]
        return mueller.unpolarized(stokes), valid, channels

    def to_sensor_basis(self, spectrum, direction):
        """``spectrum`` (Matrix43f) with its output basis turned from the ray's
        implicit one to the sensor's horizontal: perpendicular to the ray
        ``direction`` (world Array3f) and to the sensor's up vector."""
        up = self.render_sensor.world_transform().transform_vector(bk.Array3f(0, 1, 0))
        current = mueller.stokes_basis(-direction)
        target = dr.cross(direction, bk.Array3f(up))
        return bk.Matrix43f(mueller.rotate_stokes_basis(-direction, current, target)) @ spectrum
