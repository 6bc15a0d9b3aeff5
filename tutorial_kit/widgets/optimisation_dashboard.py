"""OptimisationDashboard: the tutorial's inverse-rendering loop, steered live.

This file owns the controls, their layout, what they show while a run goes
on, and which of them are locked during a run. The loop itself
(``optimisation_loop.py``) and the thread that runs it
(``background_run.py``) live in their own files.
"""
import threading
import time

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .background_run import BackgroundRun, PendingValue
from .display import caption, display_widget, image_widget, import_ipywidgets, report_failure
from .figures import (draw_image, error_curves_figure, figure_png, new_figure, png_bytes,
                      show_figure, show_images)
from .optimisation_loop import GRADIENTS, OPTIMIZERS, OptimisationLoop, RunSettings

#: Seconds between updates of the dashboard's picture and of its error curve while it runs.
IMAGE_UPDATE_INTERVAL = 0.1
CURVE_UPDATE_INTERVAL = 1.0
#: One width for the controls' labels, so that the controls line up.
WIDE_LABELS = {'description_width': '90px'}


class OptimisationDashboard:
    """The tutorial's experiment as a dashboard: recover parameter ``key`` from a reference image.

    Each iteration renders the scene (``spp`` samples per pixel, biased or
    unbiased gradients), takes the mean squared error to ``reference``,
    back-propagates it and lets the optimizer step. The curve shows the
    squared error of the parameter to ``true_value``, which only a
    synthetic experiment knows (see :class:`OptimisationLoop`, which this
    dashboard steers as :attr:`loop`).

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
        self.loop = OptimisationLoop(scene, key, reference, true_value)
        self.render_count, self.current_image = 0, None
        self._background = BackgroundRun()
        # One render of the scene at a time: a preview (the notebook's thread)
        # and a run (its own thread) change and read the same parameters.
        self._lock = threading.RLock()
        # A learning rate set while a run goes on, for its next iteration.
        self._pending_learning_rate = PendingValue()

        self._build_controls(widgets, lr, spp, optimizer, gradients, iterations)
        self._build_displays(widgets, iterations)
        self.box = self._layout(widgets)
        self.spp_slider.observe(self._spp_changed, names='value')
        self.learning_rate_slider.observe(self._learning_rate_changed, names='value')
        self.start_button.on_click(lambda button: self.start())
        self.stop_button.on_click(lambda button: self.stop())
        self._draw_curve()
        self.render_preview()

    # -- layout -------------------------------------------------------------------------
    def _build_controls(self, widgets, lr, spp, optimizer, gradients, iterations):
        """The settings and the Start and Stop buttons, with their starting values."""
        self.learning_rate_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=-3, max=3, step=0.1, description='learning rate',
            readout_format='.3g', continuous_update=False, style=WIDE_LABELS)
        self.spp_slider = widgets.IntSlider(value=spp, min=1, max=16, description='spp',
                                            continuous_update=False, style=WIDE_LABELS)
        self.optimizer_dropdown = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                                   description='optimizer', style=WIDE_LABELS,
                                                   layout=widgets.Layout(width='260px'))
        # Labelled from outside: JupyterLab puts a ToggleButtons' own description above its buttons.
        self.gradients_toggle = widgets.ToggleButtons(options=list(GRADIENTS), value=gradients,
                                                      style={'button_width': '80px'})
        self.iterations_box = widgets.BoundedIntText(value=iterations, min=1, max=100000,
                                                     description='iterations', style=WIDE_LABELS,
                                                     layout=widgets.Layout(width='200px'))
        self.start_button = widgets.Button(description='Start', button_style='success', icon='play')
        self.stop_button = widgets.Button(description='Stop', button_style='danger', icon='stop',
                                          disabled=True)

    def _build_displays(self, widgets, iterations):
        """What a run shows: progress, status line, timing, render count, the pictures, the curve."""
        self.progress = widgets.IntProgress(value=0, min=0, max=iterations, description='progress',
                                            style=WIDE_LABELS)
        self.status = widgets.Label('ready', layout=widgets.Layout(margin='0 0 0 24px'))
        self.timing = widgets.Label('ms per iteration: -', layout=widgets.Layout(margin='0 0 0 24px'))
        self.renders_label = widgets.Label('renders: 0', layout=widgets.Layout(margin='0 0 0 24px'))
        self.current_widget = image_widget(widgets)
        self.reference_widget = image_widget(widgets)
        self.curve_widget = widgets.Image(format='png', layout=widgets.Layout(width='420px'))
        self.current_caption = caption(widgets, 'current')
        self.reference_widget.value = png_bytes(self.reference)

    def _layout(self, widgets):
        """Settings on top, the pictures in the middle, progress and status below."""
        return widgets.VBox([
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

    # -- the experiment, as the loop holds it (read-only here) ------------------------------
    scene = property(lambda self: self.loop.scene, doc='The scene being optimised.')
    key = property(lambda self: self.loop.key, doc='The key of the parameter to recover.')
    params = property(lambda self: self.loop.params, doc='The ParameterMap, kept to ``key``.')
    start_value = property(lambda self: self.loop.start_value,
                           doc="The parameter's value that every run starts from.")
    true_value = property(lambda self: self.loop.true_value, doc='The value to recover (NumPy).')
    reference = property(lambda self: self.loop.reference,
                         doc='The reference image (NumPy, H x W x 3).')
    errors = property(lambda self: self.loop.errors,
                      doc='Per iteration of the latest run: the squared error to the true value.')
    iteration_times = property(lambda self: self.loop.iteration_times,
                               doc='Per iteration of the latest run: seconds (the first compiles).')

    @property
    def value(self):
        """The parameter's current value (NumPy)."""
        return self.loop.value

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
        return self._background.running

    def _control_values(self):
        return RunSettings(self.optimizer_name, self.learning_rate, self.spp, self.gradients)

    def _settings(self):
        """The controls' values as a run starts with them. Clears the pending
        learning rate first: it is in the settings, and a later change is not lost."""
        self._pending_learning_rate.take()
        return self._control_values()

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
            image = tk.render(self.scene, spp=self.spp).numpy()
        self._count_render()
        self._show_current(image, f'current ({self.spp} spp)')
        return image

    def _spp_changed(self, change):
        if not self.running:
            report_failure(self.status, self.render_preview, self.current_widget)

    def _learning_rate_changed(self, change):
        self._pending_learning_rate.put(change['new'])

    # -- optimising ---------------------------------------------------------------------
    def reset(self):
        """Put the parameter back to its starting value and clear the curve."""
        self.loop.reset()
        self.progress.value = 0

    def _optimise(self, iterations, settings):
        """Run the loop with ``settings`` (see ``_settings``), showing its progress;
        stops early when Stop is pressed."""
        with self._lock:
            self.progress.value, self.progress.max = 0, iterations
            self._last_image_update = self._last_curve_update = time.perf_counter()
            self.loop.run(iterations, settings, should_stop=self._background.stop_requested,
                          next_learning_rate=self._pending_learning_rate.take,
                          after_iteration=self._after_iteration)
        if self.current_image is not None:
            self._show_current(self.current_image, f'after {len(self.errors)} iterations')
        self._draw_curve()
        return self.errors

    def _after_iteration(self, it, iterations, image):
        """Update the display: labels every iteration, pictures a few times per second."""
        self._count_render()
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
        return (self.loop.settings if self.errors else self._control_values()).label()

    def run(self, iterations=None, show=True):
        """Run ``iterations`` steps now (in the foreground), then show reference, final render and curve.

        Returns the list of errors to the true value, one per iteration.
        """
        if self.running:
            raise RuntimeError('the dashboard is running: press Stop first')
        iterations = self.iterations_box.value if iterations is None else iterations
        settings = self._settings()
        self._background.run_here(lambda: self._optimise(iterations, settings))
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
            self._background.wait()     # a run has just finished: unlocking was its last step
        self._lock_controls(True)
        self.status.value = 'starting (the first iteration compiles)'
        iterations, settings = self.iterations_box.value, self._settings()
        self._background.start(lambda: self._optimise_and_report(iterations, settings),
                               finished=lambda: self._lock_controls(False))

    def _optimise_and_report(self, iterations, settings):
        """The background run: the loop, then how it ended in the status line."""
        try:
            self._optimise(iterations, settings)
            stopped = len(self.errors) < iterations
            self.status.value = (f'stopped after {len(self.errors)} iterations' if stopped else 'done') + \
                (f': error {self.errors[-1]:.3g}' if self.errors else '')
        except Exception as error:                  # shown in the dashboard, not lost in the thread
            self.status.value = f'failed: {type(error).__name__}: {error}'

    def _lock_controls(self, running):
        """Disable Start and the settings a run reads once while it runs; Stop otherwise."""
        for control in (self.start_button, self.spp_slider, self.optimizer_dropdown,
                        self.gradients_toggle, self.iterations_box):
            control.disabled = running
        self.stop_button.disabled = not running

    def stop(self):
        """Ask a running optimisation to stop after the current iteration (the Stop button)."""
        self._background.stop()

    def wait(self, timeout=None):
        """Wait until a background run has finished."""
        self._background.wait(timeout)

    def display(self):
        """Show the dashboard and, for readers without a front end, the starting state as a figure."""
        display_widget(self.box)
        show_images([self.reference, self.current_image], ['reference', 'start'], size=2.4)
