"""ViewComparison: a reconstruction beside its reference, one view at a time; a static grid without a front end."""
import numpy as np

from .display import caption, display_widget, image_widget, import_ipywidgets
from .figures import draw_image, new_figure, png_bytes, show_figure, to_numpy


class ViewComparison:
    """Compare ``reconstructions`` with ``references`` view by view.

    ``references``, ``reconstructions``: lists of images of one view each
    (TensorXf or NumPy, H x W x 3, linear RGB), in the same order. A slider
    picks the view; the absolute difference is shown beside them (scaled
    by ``difference_gain`` so that small errors are visible).
    ``errors`` holds each view's mean absolute difference.
    """

    def __init__(self, references, reconstructions, difference_gain=4.0, size=192):
        self.references = [to_numpy(image) for image in references]
        self.reconstructions = [to_numpy(image) for image in reconstructions]
        if len(self.references) != len(self.reconstructions) or not self.references:
            raise ValueError(f'{len(self.references)} references but {len(self.reconstructions)} reconstructions: '
                             'give one of each per view')
        self.gain = difference_gain
        self.errors = [float(np.abs(a - b).mean()) for a, b in zip(self.references, self.reconstructions)]
        widgets = import_ipywidgets()
        self.view = widgets.IntSlider(value=0, min=0, max=len(self.references) - 1, description='view',
                                      continuous_update=True)
        self.images = [image_widget(widgets, size) for _ in range(3)]
        self.info = widgets.Label()
        self.view.observe(lambda change: self.update(), names='value')
        titles = ['reference', 'reconstruction', f'|difference| x {self.gain:g}']
        columns = [widgets.VBox([caption(widgets, title), image]) for title, image in zip(titles, self.images)]
        self.box = widgets.VBox([widgets.HBox(columns), widgets.HBox([self.view, self.info])])
        self.update()

    def difference(self, k):
        """|reference - reconstruction| of view ``k``, times the gain (NumPy H x W x 3)."""
        return np.abs(self.references[k] - self.reconstructions[k]) * self.gain

    def update(self):
        k = self.view.value
        for widget, image in zip(self.images, (self.references[k], self.reconstructions[k], self.difference(k))):
            widget.value = png_bytes(image)
        self.info.value = f'mean |difference| {self.errors[k]:.4f}'

    def figure(self, size=1.6):
        """A static grid: references in the top row, reconstructions below, one column per view."""
        count = len(self.references)
        figure = new_figure(size * count + 0.6, 2 * size + 0.4)
        axes = figure.subplots(2, count, squeeze=False)
        for k in range(count):
            draw_image(axes[0][k], self.references[k], f'view {k}')
            draw_image(axes[1][k], self.reconstructions[k])
        axes[0][0].set_ylabel('reference', fontsize=10)
        axes[1][0].set_ylabel('reconstruction', fontsize=10)
        return figure

    def display(self):
        """Show the slider and the images, and every view as a static figure."""
        display_widget(self.box)
        show_figure(self.figure())
