"""OptimisationDashboard: the tutorial's inverse-rendering loop, steered live."""
import threading
import time

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.ad.optimizers import SGD, Adam
from tutorial_kit.renderer.render import render
from tutorial_kit.ad.traverse import traverse
from .display import caption, display_widget, image_widget, import_ipywidgets, report_failure
from .figures import (draw_image, error_curves_figure, figure_png, new_figure, png_bytes,
                      show_figure, show_images, to_numpy)

#: Seconds between updates of the dashboard's picture and of its error curve while it runs.
IMAGE_UPDATE_INTERVAL = 0.1
CURVE_UPDATE_INTERVAL = 1.0


def _make_adam(params, lr):
    return Adam(params, lr=lr)


def _make_sgd(params, lr):
    return SGD(params, lr=lr)


def _make_sgd_momentum(params, lr):
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

    Every run starts from the parameter's value at construction time and
    keeps the optimizer, spp and gradients it started with (their controls
    are locked while it runs); the learning rate can change at any time.
    ``Start``/``Stop`` run in a background thread (the notebook stays
    responsive; wait for Stop before rendering the same scene elsewhere);
    :meth:`run` runs in the foreground and then shows static figures.
    The scene should be small (e.g. 128 x 128 pixels) for live use.
    """

    def __init__(self, scene, key, reference, true_value, lr=0.2, spp=1, optimizer='Adam',
                 gradients='unbiased', iterations=100):
        widgets = import_ipywidgets()
        self.scene, self.key = scene, key
        self.params = traverse(scene)
        self.params.keep([key])
        self.start_value = dr.detach(self.params[key])
        dr.eval(self.start_value)
        self._start_numpy = to_numpy(self.start_value)
        self.true_value = to_numpy(true_value).reshape(self._start_numpy.shape)
        self.reference = to_numpy(reference)
        self._reference = bk.TensorXf(bk.from_numpy(bk.Float, self.reference), self.reference.shape)
        dr.eval(self._reference)
        self.errors, self.iteration_times, self.render_count = [], [], 0
        self.current_image = None
        self._thread, self._stop = None, threading.Event()
        self._lock = threading.RLock()
        # A learning rate set while a run goes on, for its next iteration.
        self._pending_learning_rate, self._pending_lock = None, threading.Lock()
        self._run_settings = None       # what the latest run used (see _settings)

        wide = {'description_width': '90px'}
        self.learning_rate_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=-3, max=3, step=0.1, description='learning rate',
            readout_format='.3g', continuous_update=False, style=wide)
        self.spp_slider = widgets.IntSlider(value=spp, min=1, max=16, description='spp',
                                            continuous_update=False, style=wide)
        self.optimizer_dropdown = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                                   description='optimizer', style=wide,
                                                   layout=widgets.Layout(width='260px'))
        # Labelled from outside: JupyterLab puts a ToggleButtons' own description above its buttons.
        self.gradients_toggle = widgets.ToggleButtons(options=['unbiased', 'biased'], value=gradients,
                                                      style={'button_width': '80px'})
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
        self.current_widget = image_widget(widgets)
        self.reference_widget = image_widget(widgets)
        self.curve_widget = widgets.Image(format='png', layout=widgets.Layout(width='420px'))
        self.current_caption = caption(widgets, 'current')

        self.reference_widget.value = png_bytes(self.reference)
        self.spp_slider.observe(self._spp_changed, names='value')
        self.learning_rate_slider.observe(self._learning_rate_changed, names='value')
        self.start_button.on_click(lambda button: self.start())
        self.stop_button.on_click(lambda button: self.stop())
        self.box = widgets.VBox([
            widgets.HBox([self.learning_rate_slider, self.spp_slider]),
            widgets.HBox([self.optimizer_dropdown,
                          widgets.Label('gradients', layout=widgets.Layout(margin='0 8px 0 24px')),
                          self.gradients_toggle]),
            widgets.HBox([self.iterations_box, self.start_button, self.stop_button]),
            widgets.HBox([widgets.VBox([self.current_caption, self.current_widget]),
                          widgets.VBox([caption(widgets, 'reference'), self.reference_widget]),
                          widgets.VBox([caption(widgets, 'error to the true value'),
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

    def _control_values(self):
        return {'optimizer': self.optimizer_name, 'lr': self.learning_rate, 'spp': self.spp,
                'gradients': self.gradients, 'first lr': self.learning_rate}

    def _settings(self):
        """The controls' values as a run starts with them. Clears the pending
        learning rate first: it is in the settings, and a later change is not lost."""
        self._take_pending_learning_rate()
        return self._control_values()

    def _take_pending_learning_rate(self):
        """The learning rate set since the last call (or None), and forget it."""
        with self._pending_lock:
            value, self._pending_learning_rate = self._pending_learning_rate, None
        return value

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
            report_failure(self.status, self.render_preview, self.current_widget)

    def _learning_rate_changed(self, change):
        with self._pending_lock:
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

    def _optimise(self, iterations, settings):
        """The optimisation loop of the tutorial with ``settings`` (see ``_settings``);
        stops early when Stop is pressed."""
        with self._lock:
            self.reset()
            self.progress.max = iterations
            self._run_settings = settings
            optimizer = OPTIMIZERS[settings['optimizer']](self.params, settings['lr'])
            self._last_image_update = self._last_curve_update = time.perf_counter()
            try:
                for it in range(iterations):
                    if self._stop.is_set():
                        break
                    new_learning_rate = self._take_pending_learning_rate()
                    if new_learning_rate is not None:
                        settings['lr'] = new_learning_rate
                        optimizer.set_learning_rate(new_learning_rate)
                    started = time.perf_counter()
                    image = render(self.scene, optimizer=optimizer, spp=settings['spp'],
                                   unbiased=settings['gradients'] == 'unbiased')
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
        """The settings of the run the curve shows (before any run: of the controls)."""
        settings = self._run_settings if self.errors else self._control_values()
        lr = f'{settings["lr"]:.3g}'
        if settings['first lr'] != settings['lr']:                  # changed during the run
            lr = f'{settings["first lr"]:.3g} to {lr}'
        return f'{settings["optimizer"]}, lr {lr}, {settings["spp"]} spp, {settings["gradients"]}'

    def run(self, iterations=None, show=True):
        """Run ``iterations`` steps now (in the foreground), then show reference, final render and curve.

        Returns the list of errors to the true value, one per iteration.
        """
        if self.running:
            raise RuntimeError('the dashboard is running: press Stop first')
        self._stop.clear()
        self._optimise(self.iterations_box.value if iterations is None else iterations, self._settings())
        self.status.value = f'done: error {self.errors[-1]:.3g}' if self.errors else 'done'
        if show:
            self.show()
        return self.errors

    def summary_figure(self):
        """A Figure with the reference, the latest render and the error curve."""
        figure = new_figure(9.6, 2.9)
        grid = figure.add_gridspec(1, 4)
        draw_image(figure.add_subplot(grid[0, 0]), self.reference, 'reference')
        draw_image(figure.add_subplot(grid[0, 1]), self.current_image,
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
            if self.start_button.disabled:
                return                  # a run is going on
            self._thread.join()         # a run has just finished: unlocking was its last step
        self._stop.clear()
        self._lock_controls(True)
        self.status.value = 'starting (the first iteration compiles)'
        self._thread = threading.Thread(target=self._run_in_background,
                                        args=(self.iterations_box.value, self._settings()),
                                        daemon=True)
        self._thread.start()

    def _run_in_background(self, iterations, settings):
        try:
            self._optimise(iterations, settings)
            stopped = len(self.errors) < iterations
            self.status.value = (f'stopped after {len(self.errors)} iterations' if stopped else 'done') + \
                (f': error {self.errors[-1]:.3g}' if self.errors else '')
        except Exception as error:                  # shown in the dashboard, not lost in the thread
            self.status.value = f'failed: {type(error).__name__}: {error}'
        finally:
            # Dr.Jit queues work per thread: leave nothing queued in this one,
            # which ends here and would never run it.
            try:
                dr.eval()
                dr.sync_thread()
            finally:
                self._lock_controls(False)

    def _lock_controls(self, running):
        """Disable Start and the settings a run reads once while it runs; Stop otherwise."""
        for control in (self.start_button, self.spp_slider, self.optimizer_dropdown,
                        self.gradients_toggle, self.iterations_box):
            control.disabled = running
        self.stop_button.disabled = not running

    def stop(self):
        """Ask a running optimisation to stop after the current iteration (the Stop button)."""
        self._stop.set()

    def wait(self, timeout=None):
        """Wait until a background run has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def display(self):
        """Show the dashboard and, for readers without a front end, the starting state as a figure."""
        display_widget(self.box)
        show_images([self.reference, self.current_image], ['reference', 'start'], size=2.4)
