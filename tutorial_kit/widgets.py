"""Widgets and figures for the notebooks.

The notebooks stay short because the code they use lives here::

    from tutorial_kit import widgets

    widgets.show_images([image_ref, image], ['reference', 'current'])
    widgets.ParameterBrowser(params).display()
    widgets.RenderExplorer(scene).display()
    widgets.OptimisationDashboard(scene, key, image_ref, param_ref).display()
    widgets.GradientViewer(scene).display()

Every widget works in two settings:

- **live**, in JupyterLab: ``display()`` shows controls (ipywidgets) that
  re-render as you move them;
- **as a document**, when nothing is there to draw the controls (a notebook
  executed by ``nbconvert`` or ``nbval``, or read on GitHub): ``display()``
  also shows a static figure, and :meth:`RenderExplorer.grid`,
  :meth:`OptimisationDashboard.run` and :meth:`GradientViewer.show` produce
  their figures without any front end.

Figures are drawn with matplotlib's object-oriented API (no ``pyplot``
state) and shown as PNG images. ipywidgets is imported only when a widget
is built, so the figure functions work without it. This module is not
imported by ``import tutorial_kit``.
"""
import io
import threading
import time

import drjit as dr
import numpy as np

from . import backend as bk
from .bitmap import linear_to_srgb
from .render import render
from .traverse import traverse

__all__ = ['show_images', 'show_gradient', 'plot_error_curves', 'images_figure',
           'gradient_figure', 'error_curves_figure', 'show_figure', 'ParameterBrowser',
           'RenderExplorer', 'OptimisationDashboard', 'GradientViewer']

#: Pixels of the square film that the interactive widgets render (fast on a CPU).
PREVIEW_SIZE = 128
#: Seconds between updates of the dashboard's picture and of its error curve while it runs.
IMAGE_UPDATE_INTERVAL = 0.1
CURVE_UPDATE_INTERVAL = 1.0
#: Percentile of |gradient| mapped to the ends of the colour map, so that a
#: few extreme pixels do not wash out the rest.
ROBUST_PERCENTILE = 99.5


# ---------------------------------------------------------------------------
# Images and figures
# ---------------------------------------------------------------------------

def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        raise ImportError('the notebook widgets need ipywidgets: '
                          'pip install "tutorial_kit[notebooks]"') from None
    return ipywidgets


def _new_figure(width, height):
    """A matplotlib Figure that is not registered with pyplot (nothing to close)."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout='constrained')


def to_numpy(image):
    """A Dr.Jit tensor or array-like as a float32 NumPy array (detached)."""
    if dr.is_array_v(image):
        image = dr.detach(image).numpy()
    return np.asarray(image, dtype=np.float32)


def to_srgb(image):
    """Linear RGB (H, W, 3) as display-ready sRGB values in [0, 1]."""
    return np.clip(linear_to_srgb(np.clip(to_numpy(image), 0, None)), 0, 1)


def png_bytes(image):
    """PNG file contents of a linear-RGB image (sRGB-encoded, clipped)."""
    from PIL import Image
    pixels = np.round(to_srgb(image) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format='png')
    return buffer.getvalue()


def figure_png(figure, dpi=80, compact=False):
    """PNG file contents of a matplotlib Figure.

    ``compact``: reduce it to a palette of 256 colours. Noisy renderings
    compress poorly; this halves the size of notebooks that store figures,
    with no visible difference.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=dpi)
    if not compact:
        return buffer.getvalue()
    from PIL import Image
    picture = Image.open(buffer).convert('RGB')
    palette = picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format='png', optimize=True)
    return buffer.getvalue()


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _display(*objects):
    """``IPython.display.display`` when running under IPython; otherwise nothing."""
    if _in_notebook():
        from IPython.display import display
        display(*objects)


def _display_widget(box):
    """Show ipywidgets controls; where they cannot be drawn, a short note stands in for them."""
    if _in_notebook():
        from IPython.display import display
        bundle = box._repr_mimebundle_()
        bundle['text/plain'] = '[interactive controls: run this notebook in JupyterLab to use them]'
        display(bundle, raw=True)


def show_figure(figure, dpi=80):
    """Show a matplotlib Figure in the notebook as a PNG image."""
    from IPython.display import Image
    _display(Image(data=figure_png(figure, dpi, compact=True)))


def _image_axes(axes, image, title=None):
    axes.imshow(to_srgb(image), interpolation='nearest')
    axes.set_xticks([])
    axes.set_yticks([])
    if title:
        axes.set_title(title, fontsize=10)


def images_figure(images, titles=None, size=2.6):
    """A Figure with linear-RGB ``images`` side by side (sRGB-encoded, clipped)."""
    images = list(images)
    titles = list(titles) if titles is not None else [None] * len(images)
    if len(titles) != len(images):
        raise ValueError(f'{len(images)} images but {len(titles)} titles')
    figure = _new_figure(size * len(images), size + 0.3)
    for axes, image, title in zip(figure.subplots(1, len(images), squeeze=False)[0], images, titles):
        _image_axes(axes, image, title)
    return figure


def show_images(images, titles=None, size=2.6):
    """Show linear-RGB images side by side, as a display would (sRGB, clipped to [0, 1])."""
    show_figure(images_figure(images, titles, size))


def _signed_channel(image):
    """A gradient image as one signed value per pixel: the mean of its colour channels."""
    values = to_numpy(image)
    return values.mean(axis=2) if values.ndim == 3 else values


def robust_vmax(values):
    """The colour-map range: a high percentile of |values| (never 0)."""
    finite = np.abs(values[np.isfinite(values)])
    vmax = float(np.percentile(finite, ROBUST_PERCENTILE)) if finite.size else 0.0
    return vmax if vmax > 0 else 1.0


def _gradient_axes(figure, axes, image, title=None, vmax=None):
    values = _signed_channel(image)
    vmax = robust_vmax(values) if vmax is None else vmax
    shown = axes.imshow(values, cmap='coolwarm', vmin=-vmax, vmax=vmax, interpolation='nearest')
    axes.set_xticks([])
    axes.set_yticks([])
    if title:
        axes.set_title(title, fontsize=10)
    figure.colorbar(shown, ax=axes, shrink=0.8)


def gradient_figure(image, title=None, vmax=None, size=3.2):
    """A Figure of a signed image (e.g. a gradient) in a diverging colour map centred at 0.

    Colour images are reduced to the mean of their channels. ``vmax``: the
    value shown at the ends of the map (default: the 99.5th percentile of |value|).
    """
    figure = _new_figure(size + 0.8, size)
    _gradient_axes(figure, figure.subplots(), image, title, vmax)
    return figure


def show_gradient(image, title=None, vmax=None):
    """Show a gradient image: blue below 0, white at 0, red above 0, with a colour bar."""
    show_figure(gradient_figure(image, title, vmax))


def error_curves_figure(curves, title='error to the true value', ylabel='squared error to the truth'):
    """A Figure with one logarithmic curve per entry of ``curves`` (label -> list of errors)."""
    figure = _new_figure(5.2, 3.0)
    axes = figure.subplots()
    for label, errors in curves.items():
        axes.semilogy(np.arange(1, len(errors) + 1), np.maximum(errors, 1e-12), label=label)
    axes.set_xlabel('iteration')
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.grid(True, which='both', alpha=0.3)
    if len(curves) > 1:
        axes.legend()
    return figure


def plot_error_curves(curves, title='error to the true value'):
    """Show error curves (label -> list of per-iteration errors) in one logarithmic plot."""
    show_figure(error_curves_figure(curves, title))


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------

class _film_size:
    """Temporarily render ``scene`` at ``size`` x ``size`` pixels (and, optionally, another max_depth)."""

    def __init__(self, scene, size, max_depth=None):
        self.film = scene.sensors()[0].film()
        self.integrator = scene.integrator()
        self.size, self.max_depth = size, max_depth

    def __enter__(self):
        self.saved = (self.film.width, self.film.height, getattr(self.integrator, 'max_depth', None))
        if self.size is not None:
            self.film.width = self.film.height = self.size
        if self.max_depth is not None:
            self.integrator.max_depth = self.max_depth
        return self

    def __exit__(self, *exc):
        self.film.width, self.film.height, depth = self.saved
        if self.max_depth is not None:
            self.integrator.max_depth = depth
        return False


def _caption(widgets, text):
    return widgets.HTML(f'<b>{text}</b>')


def _image_widget(widgets, width=256):
    return widgets.Image(format='png', layout=widgets.Layout(width=f'{width}px', height=f'{width}px'))


def format_value(value, precision=3):
    """A parameter value as short text: long arrays abbreviated with '...'."""
    if isinstance(value, (int, float)):
        return repr(value)
    array = np.asarray(dr.detach(value).numpy() if dr.is_array_v(value) else value)
    if dr.is_array_v(value) and dr.size_v(value) == 3 and array.ndim == 2:
        array = array.T                          # one RGB colour per row, as Mitsuba prints it
    return np.array2string(array, precision=precision, threshold=12, edgeitems=3,
                           floatmode='maxprec_equal', suppress_small=True, separator=', ')


def describe_shape(value):
    """'3 channels x N', 'N values', '4 x 4 matrix' or 'scalar'."""
    if isinstance(value, (int, float)):
        return 'scalar'
    if dr.is_array_v(value):
        if dr.size_v(value) == 3:
            return f'{dr.width(value)} x 3 (one RGB colour)' if dr.width(value) == 1 else \
                f'{dr.width(value)} x 3'
        return f'{dr.width(value)} values'
    return ' x '.join(str(n) for n in np.shape(value))


# ---------------------------------------------------------------------------
# ParameterBrowser
# ---------------------------------------------------------------------------

class ParameterBrowser:
    """Search a scene's parameters and look at one: its value, size, type and whether it is differentiable.

    ``params``: a :class:`~tutorial_kit.ParameterMap` (from ``tk.traverse``).
    Type part of a name in the search box; the list shows the matching keys,
    differentiable ones marked with ``*`` as ``print(params)`` does.
    """

    def __init__(self, params, rows=12):
        widgets = _ipywidgets()
        self.params = params
        self.search = widgets.Text(description='search', placeholder='part of a name, e.g. reflectance')
        self.matches = widgets.Label()
        self.keys = widgets.Select(options=[], rows=rows, description='parameter',
                                   layout=widgets.Layout(width='380px'))
        self.details = widgets.HTML(layout=widgets.Layout(width='420px'))
        self.search.observe(lambda change: self._filter(), names='value')
        self.keys.observe(lambda change: self._show(), names='value')
        self.box = widgets.VBox([widgets.HBox([self.search, self.matches]),
                                 widgets.HBox([self.keys, self.details])])
        self._filter()

    def filtered_keys(self, text=None):
        """The keys that contain ``text`` (ignoring case); all keys for an empty text."""
        text = (self.search.value if text is None else text).strip().lower()
        return [key for key in self.params.keys() if text in key.lower()]

    @property
    def selected(self):
        """The key selected in the list (None when nothing matches)."""
        return self.keys.value

    def select(self, key):
        """Select ``key`` (clearing the search if it hides the key)."""
        if key not in [value for _, value in self.keys.options]:
            self.search.value = ''
        self.keys.value = key
        return self

    def describe(self, key):
        """Plain-text description of parameter ``key``."""
        value = self.params[key]
        differentiable = self.params.is_differentiable(key)
        return '\n'.join([
            f'{"* " if differentiable else ""}{key}',
            f'differentiable: {"yes" if differentiable else "no"}',
            f'type:  {type(value).__name__}',
            f'size:  {describe_shape(value)}',
            f'value: {format_value(value)}',
        ])

    def _filter(self):
        keys = self.filtered_keys()
        previous = self.keys.value
        self.keys.options = [(('* ' if self.params.is_differentiable(k) else '  ') + k, k) for k in keys]
        self.keys.value = previous if previous in keys else (keys[0] if keys else None)
        self.matches.value = f'{len(keys)} of {len(self.params)} parameters'
        self._show()

    def _show(self):
        import html
        key = self.keys.value
        text = self.describe(key) if key is not None else 'no parameter matches the search'
        self.details.value = f'<pre style="margin:0">{html.escape(text)}</pre>'

    def display(self):
        """Show the browser and, for readers without a front end, the selected parameter as text."""
        _display_widget(self.box)
        key = self.keys.value
        print(f'{len(self.filtered_keys())} of {len(self.params)} parameters match "{self.search.value}"')
        if key is not None:
            print(self.describe(key))


# ---------------------------------------------------------------------------
# RenderExplorer
# ---------------------------------------------------------------------------

class RenderExplorer:
    """Render ``scene`` live while you change the samples per pixel and the path depth.

    Renders at ``size`` x ``size`` pixels; the scene's own film size and
    ``max_depth`` are restored after every render. ``renders`` counts them.
    """

    def __init__(self, scene, size=PREVIEW_SIZE, spp=4, max_depth=3, seed=None):
        widgets = _ipywidgets()
        self.scene, self.size, self.seed = scene, size, seed
        self.renders = 0
        style = {'description_width': '80px'}
        self.spp = widgets.IntSlider(value=spp, min=1, max=64, description='spp',
                                     continuous_update=False, style=style)
        self.max_depth = widgets.IntSlider(value=max_depth, min=1, max=8, description='max_depth',
                                           continuous_update=False, style=style)
        self.image = _image_widget(widgets, 2 * size)
        self.info = widgets.Label()
        for control in (self.spp, self.max_depth):
            control.observe(lambda change: self.update(), names='value')
        self.box = widgets.HBox([self.image, widgets.VBox([self.spp, self.max_depth, self.info])])
        self.last_image = None
        self.update()

    def render(self, spp, max_depth, seed=None):
        """One image (NumPy, H x W x 3, linear RGB) at the explorer's size."""
        with _film_size(self.scene, self.size, max_depth), dr.suspend_grad():
            image = render(self.scene, spp=spp, seed=seed).numpy()
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
        figure = _new_figure(size * len(depths) + 0.3, size * len(spps) + 0.3)
        axes = figure.subplots(len(spps), len(depths), squeeze=False)
        for row, spp in enumerate(spps):
            for column, depth in enumerate(depths):
                _image_axes(axes[row][column], self.render(spp, depth, seed))
                if row == 0:
                    axes[row][column].set_title(f'max_depth {depth}', fontsize=10)
                if column == 0:
                    axes[row][column].set_ylabel(f'{spp} spp', fontsize=10)
        show_figure(figure)

    def display(self):
        """Show the sliders and the image, and the current image as a static figure."""
        _display_widget(self.box)
        show_images([self.last_image], [f'{self.spp.value} spp, max_depth {self.max_depth.value}'], size=3)


# ---------------------------------------------------------------------------
# OptimisationDashboard
# ---------------------------------------------------------------------------

def _make_adam(params, lr):
    from .optimizers import Adam
    return Adam(params, lr=lr)


def _make_sgd(params, lr):
    from .optimizers import SGD
    return SGD(params, lr=lr)


def _make_sgd_momentum(params, lr):
    from .optimizers import SGD
    return SGD(params, lr=lr, momentum=0.9)


#: The optimizers the dashboard offers, by the names its drop-down shows.
OPTIMIZERS = {'Adam': _make_adam, 'SGD': _make_sgd, 'SGD+momentum': _make_sgd_momentum}


class OptimisationDashboard:
    """The tutorial's experiment as a dashboard: recover parameter ``key`` from a reference image.

    Each iteration renders the scene (``spp`` samples per pixel, biased or
    unbiased gradients), takes the mean squared error to ``reference``,
    back-propagates it and lets the optimizer step. The curve shows the
    squared error of the parameter to ``true_value``, which only a
    synthetic experiment knows.

    Every run starts from the parameter's value at construction time.
    ``Start``/``Stop`` run in a background thread (the notebook stays
    responsive; wait for Stop before rendering the same scene elsewhere);
    :meth:`run` runs in the foreground and then shows static figures.
    The scene should be small (e.g. 128 x 128 pixels) for live use.
    """

    def __init__(self, scene, key, reference, true_value, lr=0.2, spp=1, optimizer='Adam',
                 gradients='unbiased', iterations=100):
        widgets = _ipywidgets()
        self.scene, self.key = scene, key
        self.params = traverse(scene)
        self.params.keep([key])
        self.start_value = dr.detach(self.params[key])
        dr.eval(self.start_value)
        self._start_numpy = to_numpy(self.start_value)
        self.true_value = to_numpy(true_value).reshape(self._start_numpy.shape)
        self.reference = to_numpy(reference)
        self._reference = bk.TensorXf(self.reference)
        dr.eval(self._reference)
        self.errors, self.iteration_times, self.render_count = [], [], 0
        self.current_image = None
        self._thread, self._stop = None, threading.Event()
        self._lock = threading.RLock()
        self._pending_learning_rate = None

        wide = {'description_width': '90px'}
        self.learning_rate_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=-3, max=3, step=0.1, description='learning rate',
            readout_format='.3g', continuous_update=False, style=wide)
        self.spp_slider = widgets.IntSlider(value=spp, min=1, max=16, description='spp',
                                            continuous_update=False, style=wide)
        self.optimizer_dropdown = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                                   description='optimizer', style=wide,
                                                   layout=widgets.Layout(width='260px'))
        self.gradients_toggle = widgets.ToggleButtons(options=['unbiased', 'biased'], value=gradients,
                                                      description='gradients',
                                                      style={**wide, 'button_width': '80px'},
                                                      layout=widgets.Layout(width='auto'))
        self.iterations_box = widgets.BoundedIntText(value=iterations, min=1, max=100000,
                                                     description='iterations', style=wide,
                                                     layout=widgets.Layout(width='200px'))
        self.start_button = widgets.Button(description='Start', button_style='success', icon='play')
        self.stop_button = widgets.Button(description='Stop', button_style='danger', icon='stop',
                                          disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=iterations, description='progress',
                                            style=wide)
        self.status = widgets.Label('ready', layout=widgets.Layout(margin='0 0 0 24px'))
        self.timing = widgets.Label('ms per iteration: -', layout=widgets.Layout(margin='0 0 0 24px'))
        self.renders_label = widgets.Label('renders: 0', layout=widgets.Layout(margin='0 0 0 24px'))
        self.current_widget = _image_widget(widgets)
        self.reference_widget = _image_widget(widgets)
        self.curve_widget = widgets.Image(format='png', layout=widgets.Layout(width='420px'))
        self.current_caption = _caption(widgets, 'current')

        self.reference_widget.value = png_bytes(self.reference)
        self.spp_slider.observe(self._spp_changed, names='value')
        self.learning_rate_slider.observe(self._learning_rate_changed, names='value')
        self.start_button.on_click(lambda button: self.start())
        self.stop_button.on_click(lambda button: self.stop())
        self.box = widgets.VBox([
            widgets.HBox([self.learning_rate_slider, self.spp_slider]),
            widgets.HBox([self.optimizer_dropdown, self.gradients_toggle]),
            widgets.HBox([self.iterations_box, self.start_button, self.stop_button]),
            widgets.HBox([widgets.VBox([self.current_caption, self.current_widget]),
                          widgets.VBox([_caption(widgets, 'reference'), self.reference_widget]),
                          widgets.VBox([_caption(widgets, 'error to the true value'),
                                        self.curve_widget])]),
            widgets.HBox([self.progress, self.status, self.timing, self.renders_label]),
        ])
        self._draw_curve()
        self.render_preview()

    # -- settings, readable and writable from code -----------------------------------------
    @property
    def learning_rate(self):
        return self.learning_rate_slider.value

    @learning_rate.setter
    def learning_rate(self, value):
        self.learning_rate_slider.value = value

    @property
    def spp(self):
        return self.spp_slider.value

    @spp.setter
    def spp(self, value):
        self.spp_slider.value = value

    @property
    def optimizer_name(self):
        return self.optimizer_dropdown.value

    @optimizer_name.setter
    def optimizer_name(self, value):
        self.optimizer_dropdown.value = value

    @property
    def gradients(self):
        return self.gradients_toggle.value

    @gradients.setter
    def gradients(self, value):
        self.gradients_toggle.value = value

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    @property
    def value(self):
        """The parameter's current value (NumPy)."""
        return to_numpy(self.params[self.key])

    # -- rendering ----------------------------------------------------------------------
    def _count_render(self):
        self.render_count += 1
        self.renders_label.value = f'renders: {self.render_count}'

    def _show_current(self, image, caption):
        self.current_image = image
        self.current_widget.value = png_bytes(image)
        self.current_caption.value = f'<b>{caption}</b>'

    def render_preview(self):
        """Render the scene as it is now (no derivatives) at the chosen spp and show it."""
        with self._lock, dr.suspend_grad():
            image = render(self.scene, spp=self.spp).numpy()
        self._count_render()
        self._show_current(image, f'current ({self.spp} spp)')
        return image

    def _spp_changed(self, change):
        if not self.running:
            self.render_preview()

    def _learning_rate_changed(self, change):
        self._pending_learning_rate = change['new']

    # -- optimising ---------------------------------------------------------------------
    def reset(self):
        """Put the parameter back to its starting value and clear the curve."""
        self.params[self.key] = type(self.start_value)(self.start_value)
        self.params.update()
        self.errors, self.iteration_times = [], []
        self.progress.value = 0

    def _error(self):
        return float(np.sum((self.value.astype(np.float64) - self.true_value) ** 2))

    def _optimise(self, iterations):
        """The optimisation loop of the tutorial; stops early when Stop is pressed."""
        with self._lock:
            self.reset()
            self.progress.max = iterations
            optimizer = OPTIMIZERS[self.optimizer_name](self.params, self.learning_rate)
            self._pending_learning_rate = None
            self._last_image_update = self._last_curve_update = time.perf_counter()
            try:
                for it in range(iterations):
                    if self._stop.is_set():
                        break
                    if self._pending_learning_rate is not None:
                        optimizer.set_learning_rate(self._pending_learning_rate)
                        self._pending_learning_rate = None
                    started = time.perf_counter()
                    image = render(self.scene, optimizer=optimizer, spp=self.spp,
                                   unbiased=self.gradients == 'unbiased')
                    loss = dr.mean(dr.square(image - self._reference), axis=None)
                    dr.backward(loss)
                    optimizer.step()
                    self.errors.append(self._error())       # reading the value waits for the GPU/CPU
                    self.iteration_times.append(time.perf_counter() - started)
                    self._count_render()
                    self._after_iteration(it, iterations, image)
            finally:
                # Leave the scene without derivative tracking for later renders.
                self.params[self.key] = dr.detach(self.params[self.key])
                self.params.update()
        if self.current_image is not None:
            self._show_current(self.current_image, f'after {len(self.errors)} iterations')
        self._draw_curve()
        return self.errors

    def _after_iteration(self, it, iterations, image):
        """Update the display: labels every iteration, pictures a few times per second."""
        self.current_image = dr.detach(image).numpy()
        self.progress.value = it + 1
        self.status.value = f'iteration {it + 1}/{iterations}: error {self.errors[-1]:.3g}'
        times = self.iteration_times[1:] or self.iteration_times  # the first one compiles
        self.timing.value = f'ms per iteration: {1e3 * np.mean(times[-20:]):.0f}'
        now = time.perf_counter()
        if now - self._last_image_update >= IMAGE_UPDATE_INTERVAL:
            self._show_current(self.current_image, f'iteration {it + 1}')
            self._last_image_update = now
        if now - self._last_curve_update >= CURVE_UPDATE_INTERVAL:
            self._draw_curve()
            self._last_curve_update = time.perf_counter()

    def _draw_curve(self):
        figure = error_curves_figure({self._label(): self.errors} if self.errors else {},
                                     title=self._label())
        self.curve_widget.value = figure_png(figure, dpi=70)

    def _label(self):
        return f'{self.optimizer_name}, lr {self.learning_rate:.3g}, {self.spp} spp, {self.gradients}'

    def run(self, iterations=None, show=True):
        """Run ``iterations`` steps now (in the foreground), then show reference, final render and curve.

        Returns the list of errors to the true value, one per iteration.
        """
        if self.running:
            raise RuntimeError('the dashboard is running: press Stop first')
        self._stop.clear()
        self._optimise(self.iterations_box.value if iterations is None else iterations)
        self.status.value = f'done: error {self.errors[-1]:.3g}' if self.errors else 'done'
        if show:
            self.show()
        return self.errors

    def summary_figure(self):
        """A Figure with the reference, the latest render and the error curve."""
        figure = _new_figure(9.6, 2.9)
        grid = figure.add_gridspec(1, 4)
        _image_axes(figure.add_subplot(grid[0, 0]), self.reference, 'reference')
        _image_axes(figure.add_subplot(grid[0, 1]), self.current_image,
                    f'after {len(self.errors)} iterations' if self.errors else 'start')
        axes = figure.add_subplot(grid[0, 2:])
        if self.errors:
            axes.semilogy(np.arange(1, len(self.errors) + 1), np.maximum(self.errors, 1e-12))
        axes.set_xlabel('iteration')
        axes.set_ylabel('squared error to the truth')
        axes.set_title(self._label(), fontsize=9)
        axes.grid(True, which='both', alpha=0.3)
        return figure

    def show(self):
        """Show :meth:`summary_figure` as a static image."""
        show_figure(self.summary_figure())

    # -- live, with the buttons ------------------------------------------------------------
    def start(self):
        """Start a run in a background thread (what the Start button does)."""
        if self.running:
            return
        self._stop.clear()
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = 'starting (the first iteration compiles)'
        self._thread = threading.Thread(target=self._run_in_background,
                                        args=(self.iterations_box.value,), daemon=True)
        self._thread.start()

    def _run_in_background(self, iterations):
        try:
            self._optimise(iterations)
            stopped = len(self.errors) < iterations
            self.status.value = (f'stopped after {len(self.errors)} iterations' if stopped else 'done') + \
                (f': error {self.errors[-1]:.3g}' if self.errors else '')
        except Exception as error:                  # shown in the dashboard, not lost in the thread
            self.status.value = f'failed: {type(error).__name__}: {error}'
        finally:
            self.start_button.disabled, self.stop_button.disabled = False, True

    def stop(self):
        """Ask a running optimisation to stop after the current iteration (the Stop button)."""
        self._stop.set()

    def wait(self, timeout=None):
        """Wait until a background run has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def display(self):
        """Show the dashboard and, for readers without a front end, the starting state as a figure."""
        _display_widget(self.box)
        show_images([self.reference, self.current_image], ['reference', 'start'], size=2.4)


# ---------------------------------------------------------------------------
# GradientViewer
# ---------------------------------------------------------------------------

class GradientViewer:
    """Forward-mode gradient images: how the picture changes as one parameter grows.

    For the chosen parameter ``p`` it renders the image ``I(p)`` with
    derivative tracking and pushes the perturbation ``dp = 1`` (every value
    of the parameter, e.g. all three colour channels) forward:
    ``dI = dI/dp * dp``. Shown as RGB (positive part, normalised) and as
    the channel mean in a diverging colour map.
    """

    def __init__(self, scene, spp=16, size=PREVIEW_SIZE, seed=0, key='red.reflectance.value'):
        widgets = _ipywidgets()
        self.scene, self.spp, self.size, self.seed = scene, spp, size, seed
        self.params = traverse(scene)
        self.keys = [k for k in self.params.differentiable_keys() if dr.width(self.params[k]) > 0]
        self.cache = {}
        self.dropdown = widgets.Dropdown(options=self.keys, description='parameter',
                                         value=key if key in self.keys else self.keys[0],
                                         layout=widgets.Layout(width='420px'))
        self.image = widgets.Image(format='png', layout=widgets.Layout(width='560px'))
        self.info = widgets.Label()
        self.dropdown.observe(lambda change: self.update(), names='value')
        self.box = widgets.VBox([widgets.HBox([self.dropdown, self.info]), self.image])
        self.update()

    def gradient(self, key):
        """The forward-mode derivative image dI/dp * [1, 1, ...] (NumPy, H x W x 3)."""
        if key in self.cache:
            return self.cache[key]
        if key not in self.keys:
            raise KeyError(f'"{key}" is not a differentiable parameter with values')
        original = self.params[key]
        try:
            with _film_size(self.scene, self.size):
                # A fresh copy, so that the scene's own value never tracks derivatives.
                self.params[key] = type(original)(dr.detach(original))
                self.params.update()
                param = self.params[key]
                dr.enable_grad(param)
                image = render(self.scene, spp=self.spp, seed=self.seed)
                dr.set_grad(param, dr.full(type(param), 1, dr.width(param)))
                dr.forward_to(image)
                gradient = dr.grad(image).numpy()
        finally:
            self.params[key] = original
            self.params.update()
        self.cache[key] = gradient
        return gradient

    def figure(self, key):
        """A Figure: the gradient as RGB and its channel mean in a diverging colour map."""
        gradient = self.gradient(key)
        figure = _new_figure(7.0, 3.0)
        rgb_axes, signed_axes = figure.subplots(1, 2)
        scale = robust_vmax(np.abs(gradient).max(axis=2))
        rgb_axes.imshow(to_srgb(gradient / scale), interpolation='nearest')
        rgb_axes.set_title('dI/dp as an image (sRGB, scaled)', fontsize=10)
        rgb_axes.set_xticks([])
        rgb_axes.set_yticks([])
        _gradient_axes(figure, signed_axes, gradient, 'mean over R, G, B')
        figure.suptitle(f'd image / d {key}', fontsize=11)
        return figure

    def update(self):
        started = time.perf_counter()
        self.image.value = figure_png(self.figure(self.dropdown.value), dpi=80)
        self.info.value = f'{(time.perf_counter() - started) * 1e3:.0f} ms'

    def show(self, key=None):
        """Show the gradient image of ``key`` (default: the selected one) as a static figure."""
        show_figure(self.figure(self.dropdown.value if key is None else key))

    def display(self):
        """Show the drop-down and the image, and the selected gradient as a static figure."""
        _display_widget(self.box)
        self.show()
