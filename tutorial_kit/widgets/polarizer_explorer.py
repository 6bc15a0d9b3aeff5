"""PolarizerExplorer: turn a polarising filter in front of a scene and watch the picture change."""
import time

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .display import display_widget, image_widget, import_ipywidgets, report_failure
from .figures import draw_image, new_figure, png_bytes, show_figure


class PolarizerExplorer:
    """Render ``scene`` while a slider turns the polariser whose angle is the
    parameter ``key`` (degrees, e.g. ``'filter.bsdf.theta.value'``).

    The scene must be loaded in a polarised variant. Each change renders
    ``spp`` samples per pixel with a fixed ``seed``, so that only the filter
    changes between pictures; the label gives the image's mean intensity.
    ``renders`` counts the renders; the filter's angle is restored by
    :meth:`render`.
    """

    def __init__(self, scene, key, spp=16, seed=0, angle=0.0, scale=3):
        if not tk.is_polarized:
            raise RuntimeError('PolarizerExplorer needs a scene loaded in a polarised variant: '
                               'tk.set_variant("llvm_ad_rgb_polarized") before loading it')
        widgets = import_ipywidgets()
        self.scene, self.key, self.spp, self.seed, self.scale = scene, key, spp, seed, scale
        self.params = tk.traverse(scene)
        if key not in self.params:
            raise KeyError(f'the scene has no parameter {key!r}; its polariser angles: '
                           f'{[k for k in self.params.keys() if k.endswith("theta.value")]}')
        self.renders = 0
        self.slider = widgets.FloatSlider(value=angle, min=0.0, max=180.0, step=5.0,
                                          description='filter angle', continuous_update=False,
                                          style={'description_width': '90px'})
        width = scene.sensors()[0].film().crop_size()[0]
        self.image = image_widget(widgets, width * scale)
        self.info = widgets.Label()
        self.slider.observe(lambda change: report_failure(self.info, self.update, self.image), names='value')
        self.box = widgets.VBox([self.slider, self.image, self.info])
        self.last_image = None
        self.update()

    def render(self, angle):
        """The image (NumPy, H x W x 3, linear RGB) seen through the filter at ``angle`` degrees."""
        before = self.params[self.key]
        try:
            self.params[self.key] = type(before)(float(angle))
            self.params.update()
            with dr.suspend_grad():
                image = tk.render(self.scene, spp=self.spp, seed=self.seed).numpy()[..., :3]
        finally:
            self.params[self.key] = before
            self.params.update()
        self.renders += 1
        return image

    def update(self):
        """Render at the slider's angle and show it."""
        started = time.perf_counter()
        self.last_image = self.render(self.slider.value)
        elapsed = time.perf_counter() - started
        self.image.value = png_bytes(np.kron(self.last_image, np.ones((self.scale, self.scale, 1), np.float32)))
        self.info.value = (f'filter at {self.slider.value:.0f} degrees: mean intensity '
                           f'{self.last_image.mean():.4f} ({elapsed * 1e3:.0f} ms)')
        return self.last_image

    def strip(self, angles=(0, 45, 90, 135), size=2.4):
        """Show the scene through the filter at each of ``angles`` (a static figure)."""
        figure = new_figure(size * len(angles), size + 0.3)
        for k, angle in enumerate(angles):
            image = self.render(angle)
            draw_image(figure.add_subplot(1, len(angles), k + 1), image,
                       f'{angle} deg: mean {image.mean():.3f}')
        show_figure(figure)

    def display(self):
        """Show the slider and the picture; without a front end, a strip of four angles."""
        display_widget(self.box)
        self.strip()
