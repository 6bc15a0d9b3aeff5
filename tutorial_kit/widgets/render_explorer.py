"""RenderExplorer: re-render live as spp and max_depth change; a static grid without a front end."""
import time

import drjit as dr

import tutorial_kit as tk
from .display import display_widget, image_widget, import_ipywidgets, report_failure
from .figures import draw_image, new_figure, png_bytes, show_figure, show_images
from .preview import PREVIEW_SIZE, preview_film


class RenderExplorer:
    """Render ``scene`` live while you change the samples per pixel and the path depth.

    Renders at ``size`` x ``size`` pixels; the scene's own film size and
    ``max_depth`` are restored after every render. ``renders`` counts them.
    """

    def __init__(self, scene, size=PREVIEW_SIZE, spp=4, max_depth=3, seed=None):
        widgets = import_ipywidgets()
        self.scene, self.size, self.seed = scene, size, seed
        self.renders = 0
        style = {'description_width': '80px'}
        self.spp = widgets.IntSlider(value=spp, min=1, max=64, description='spp',
                                     continuous_update=False, style=style)
        self.max_depth = widgets.IntSlider(value=max_depth, min=1, max=8, description='max_depth',
                                           continuous_update=False, style=style)
        self.image = image_widget(widgets, 2 * size)
        self.info = widgets.Label()
        for control in (self.spp, self.max_depth):
            control.observe(lambda change: report_failure(self.info, self.update, self.image), names='value')
        self.box = widgets.HBox([self.image, widgets.VBox([self.spp, self.max_depth, self.info])])
        self.last_image = None
        self.update()

    def render(self, spp, max_depth, seed=None):
        """One image (NumPy, H x W x 3, linear RGB) at the explorer's size."""
        with preview_film(self.scene, self.size, max_depth), dr.suspend_grad():
            image = tk.render(self.scene, spp=spp, seed=seed).numpy()
        self.renders += 1
        return image

    def update(self):
        """Render with the sliders' values and show the result."""
        started = time.perf_counter()
        self.last_image = self.render(self.spp.value, self.max_depth.value, self.seed)
        elapsed = time.perf_counter() - started
        self.image.value = png_bytes(self.last_image)
        self.info.value = f'render {self.renders}: {elapsed * 1e3:.0f} ms'
        return self.last_image

    def grid(self, spps=(1, 4, 16), depths=(1, 2, 3), seed=0, size=1.9):
        """Show a static grid of renders: one row per spp, one column per max_depth."""
        figure = new_figure(size * len(depths) + 0.3, size * len(spps) + 0.3)
        axes = figure.subplots(len(spps), len(depths), squeeze=False)
        for row, spp in enumerate(spps):
            for column, depth in enumerate(depths):
                draw_image(axes[row][column], self.render(spp, depth, seed))
                if row == 0:
                    axes[row][column].set_title(f'max_depth {depth}', fontsize=10)
                if column == 0:
                    axes[row][column].set_ylabel(f'{spp} spp', fontsize=10)
        show_figure(figure)

    def display(self):
        """Show the sliders and the image, and the current image as a static figure."""
        display_widget(self.box)
        show_images([self.last_image], [f'{self.spp.value} spp, max_depth {self.max_depth.value}'], size=3)
