"""GradientViewer: the forward-mode gradient image of any differentiable parameter."""
import time

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .display import display_widget, import_ipywidgets, report_failure
from .figures import draw_gradient, figure_png, new_figure, show_figure, to_srgb
from .preview import PREVIEW_SIZE, preview_film


class GradientViewer:
    """Forward-mode gradient images: how the picture changes as one parameter grows.

    For the chosen parameter ``p`` it renders the image ``I(p)`` with
    derivative tracking and pushes the perturbation ``dp = 1`` (every value
    of the parameter, e.g. all three colour channels) forward:
    ``dI = dI/dp * dp``. Shown as RGB images of its positive and (where
    there is one) negative part, divided by the 99th percentile of the
    largest channel so that the top 1 % saturate, and as the channel mean in
    a diverging colour map. Gradients are remembered per parameter, spp, seed and size.
    """

    def __init__(self, scene, spp=16, size=PREVIEW_SIZE, seed=0, key='red.reflectance.value'):
        widgets = import_ipywidgets()
        self.scene, self.spp, self.size, self.seed = scene, spp, size, seed
        self.params = tk.traverse(scene)
        self.keys = [k for k in self.params.differentiable_keys() if dr.width(self.params[k]) > 0]
        self.cache = {}
        self.dropdown = widgets.Dropdown(options=self.keys, description='parameter',
                                         value=key if key in self.keys else self.keys[0],
                                         layout=widgets.Layout(width='420px'))
        self.image = widgets.Image(format='png', layout=widgets.Layout(width='560px'))
        self.info = widgets.Label()
        self.dropdown.observe(lambda change: report_failure(self.info, self.update, self.image), names='value')
        self.box = widgets.VBox([widgets.HBox([self.dropdown, self.info]), self.image])
        self.update()

    def gradient(self, key, direction=None):
        """The forward-mode derivative image dI/dp * direction (NumPy, H x W x 3).

        ``direction``: the push given to the parameter, one number per value
        (default: all ones, every value grows together).
        """
        direction = None if direction is None else np.asarray(direction, dtype=np.float32).ravel()
        cache_key = (key, self.spp, self.seed, self.size,
                     None if direction is None else direction.tobytes())
        if cache_key in self.cache:
            return self.cache[cache_key]
        if key not in self.keys:
            raise KeyError(f'"{key}" is not a differentiable parameter with values')
        original = self.params[key]
        try:
            with preview_film(self.scene, self.size):
                # A fresh copy, so that the scene's own value never tracks derivatives.
                self.params[key] = type(original)(dr.detach(original))
                self.params.update()
                param = self.params[key]
                dr.enable_grad(param)
                # Only the derivative is shown: it may share the image's samples (one pass fewer).
                image = tk.render(self.scene, spp=self.spp, seed=self.seed, unbiased=False)
                push = (dr.full(type(param), 1, dr.width(param)) if direction is None
                        else dr.unravel(type(param), tk.Float(direction)) if dr.size_v(param) == 3
                        else type(param)(direction))
                dr.set_grad(param, push)
                dr.forward_to(image)
                gradient = dr.grad(image).numpy()
        finally:
            self.params[key] = original
            self.params.update()
        self.cache[cache_key] = gradient
        return gradient

    def figure(self, key):
        """A Figure: the gradient's positive and negative parts as RGB, and its channel mean
        in a diverging colour map.

        An sRGB picture cannot show a negative value (it would clip to black), so where
        the gradient has negative values its negative part gets a panel of its own.
        """
        gradient = self.gradient(key)
        scale = tk.util.robust_vmax(np.abs(gradient).max(axis=2))
        parts = [('where it brightens: dI/dp > 0 (RGB)', np.clip(gradient, 0, None))]
        negative = np.clip(-gradient, 0, None)
        if negative.max() > 1e-3 * scale:
            parts.append(('where it darkens: -dI/dp > 0 (RGB)', negative))
        figure = new_figure(3.3 * len(parts) + 3.7, 3.0)
        all_axes = figure.subplots(1, len(parts) + 1)
        for axes, (title, part) in zip(all_axes, parts):
            axes.imshow(to_srgb(part / scale), interpolation='nearest')
            axes.set_title(title, fontsize=9)
            axes.set_xticks([])
            axes.set_yticks([])
        draw_gradient(figure, all_axes[-1], gradient, 'mean over R, G, B (signed)')
        figure.suptitle(f'd image / d {key} (RGB panels scaled by the 99th percentile)', fontsize=10)
        return figure

    def axes_figure(self, key):
        """A Figure: the gradient of a mesh's ``vertex_positions`` for a push of
        every vertex along x, along y and along z alone, on one colour scale."""
        count = dr.width(self.params[key]) // 3
        pushes = {axis: np.tile(np.eye(3)[k], count) for k, axis in enumerate('xyz')}
        gradients = {axis: self.gradient(key, push) for axis, push in pushes.items()}
        vmax = max(tk.util.robust_vmax(g.mean(axis=2)) for g in gradients.values())
        figure = new_figure(11.0, 3.0)
        for axes, (axis, gradient) in zip(figure.subplots(1, 3), gradients.items()):
            draw_gradient(figure, axes, gradient, f'push along {axis} only', vmax=vmax)
        figure.suptitle(f'd image / d {key}, one axis at a time (mean over R, G, B)', fontsize=11)
        return figure

    def show_axes(self, key):
        """Show :meth:`axes_figure`."""
        show_figure(self.axes_figure(key), compact=False)

    def update(self):
        started = time.perf_counter()
        self.image.value = figure_png(self.figure(self.dropdown.value), dpi=80)
        self.info.value = f'{(time.perf_counter() - started) * 1e3:.0f} ms'

    def show(self, key=None):
        """Show the gradient image of ``key`` (default: the selected one) as a static figure."""
        show_figure(self.figure(self.dropdown.value if key is None else key), compact=False)

    def display(self):
        """Show the drop-down and the image, and the selected gradient as a static figure."""
        display_widget(self.box)
        self.show()
