"""The notebook widgets, built and driven without a front end."""
import subprocess
import sys

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX, RED_WALL as RED, white_wall_experiment

pytest.importorskip('ipywidgets')
pytest.importorskip('matplotlib')
from tutorial_kit import widgets  # noqa: E402

SIZE = 24


@pytest.fixture(autouse=True)
def close_widgets():
    """Close the widgets each test made. ipywidgets keeps every open widget in a
    registry, and through its callbacks the scene and Dr.Jit arrays it renders;
    left there, they would outlive Dr.Jit, which frees its arrays at exit."""
    yield
    import gc
    import ipywidgets
    ipywidgets.Widget.close_all()
    gc.collect()


@pytest.fixture
def scene():
    scene = tk.load_file(CBOX)
    film = scene.sensors()[0].film()
    film.width = film.height = SIZE
    return scene


def is_png(data):
    return bytes(data).startswith(b"\x89PNG")


def test_importing_tutorial_kit_does_not_import_the_widgets():
    code = 'import sys, tutorial_kit; print("tutorial_kit.widgets" in sys.modules, "ipywidgets" in sys.modules)'
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ['False', 'False']


def test_figures():
    image = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32)
    figure = widgets.images_figure([image, image * 2], ['a', 'b'])
    assert len(figure.axes) == 2 and is_png(widgets.figure_png(figure))
    gradient = widgets.gradient_figure(image - 0.5)
    assert len(gradient.axes) == 2                        # the image and its colour bar
    vmin, vmax = gradient.axes[0].images[0].get_clim()
    assert vmin == -vmax > -1
    assert is_png(widgets.figure_png(widgets.error_curves_figure({'a': [1, .5], 'b': [1, .1]})))
    with pytest.raises(ValueError):
        widgets.images_figure([image], ['a', 'b'])


def test_parameter_browser_filters_and_describes(scene):
    browser = widgets.ParameterBrowser(tk.traverse(scene))
    assert len(browser.keys.options) == len(tk.traverse(scene))
    browser.search.value = 'REFLECTANCE'
    keys = [value for _, value in browser.keys.options]
    assert keys == browser.filtered_keys() and len(keys) == 5 and RED in keys
    assert all(label.startswith('* ') for label, _ in browser.keys.options)
    browser.select(RED)
    assert browser.search.value == 'REFLECTANCE' and browser.selected == RED
    text = browser.describe(RED)
    assert text.startswith('* red.reflectance.value') and 'differentiable: yes' in text
    assert '[[0.570, 0.043, 0.044]]' in text and RED in browser.details.value
    assert 'differentiable: no' in browser.describe('OBJMesh.faces')
    browser.search.value = 'no such parameter'
    assert browser.keys.options == () and browser.selected is None
    browser.select('OBJMesh.face_count')                  # clears the search
    assert browser.selected == 'OBJMesh.face_count'


def test_render_explorer_rerenders_and_restores_the_scene(scene):
    integrator = scene.integrator()
    depth = integrator.max_depth
    explorer = widgets.RenderExplorer(scene, size=16, spp=1, seed=0)
    assert explorer.renders == 1 and is_png(explorer.image.value)
    explorer.max_depth.value = 1                          # emitters only: the light and black
    assert explorer.renders == 2 and explorer.last_image.shape == (16, 16, 3)
    assert np.count_nonzero(explorer.last_image.max(axis=2)) < 16 * 16 / 4
    explorer.spp.value = 2
    assert explorer.renders == 3
    assert scene.sensors()[0].film().crop_size() == (SIZE, SIZE) and integrator.max_depth == depth


def test_preview_film_takes_unlimited_depth_and_refuses_bad_ones(scene):
    from tutorial_kit.widgets.preview import preview_film
    integrator = scene.integrator()
    depth = integrator.max_depth
    with preview_film(scene, 8, max_depth=-1):
        assert integrator.max_depth == 2 ** 32 - 1 and scene.sensors()[0].film().crop_size() == (8, 8)
    for bad in (-2, 2.5, True):
        with pytest.raises(ValueError, match='max_depth'), preview_film(scene, 8, max_depth=bad):
            pass
    assert integrator.max_depth == depth and scene.sensors()[0].film().crop_size() == (SIZE, SIZE)


def test_dashboard_run_lowers_the_error(scene):
    truth, reference = white_wall_experiment(scene)
    dashboard = widgets.OptimisationDashboard(scene, RED, reference, truth, lr=0.1)
    assert dashboard.renders_label.value == 'renders: 1'
    dashboard.spp = 2                                     # re-renders the preview at once
    assert dashboard.renders_label.value == 'renders: 2'
    dashboard.spp = 1
    start_error = float(np.sum((np.array([.9, .9, .9]) - truth.numpy().ravel()) ** 2))
    errors = dashboard.run(3, show=False)
    assert len(errors) == 3 and errors[-1] < start_error
    assert dashboard.progress.value == 3 and dashboard.renders_label.value == 'renders: 6'
    assert 'ms per iteration' in dashboard.timing.value
    assert is_png(widgets.figure_png(dashboard.summary_figure()))
    assert not dr.grad_enabled(tk.traverse(scene)[RED])  # later renders do not track derivatives


def test_dashboard_start_and_stop_in_the_background(scene):
    truth, reference = white_wall_experiment(scene)
    dashboard = widgets.OptimisationDashboard(scene, RED, reference, truth, optimizer='SGD+momentum',
                                              gradients='biased', iterations=2)
    dashboard.start_button.click()
    dashboard.wait(timeout=120)
    assert not dashboard.running and len(dashboard.errors) == 2
    assert not dashboard.start_button.disabled and dashboard.stop_button.disabled
    dashboard.iterations_box.value = 1000
    dashboard.start()
    dashboard.stop()
    dashboard.wait(timeout=120)
    assert len(dashboard.errors) < 1000 and dashboard.status.value.startswith('stopped')


def test_dashboard_run_keeps_the_settings_it_started_with(scene):
    truth, reference = white_wall_experiment(scene)
    dashboard = widgets.OptimisationDashboard(scene, RED, reference, truth, lr=0.1, spp=1,
                                              iterations=3)
    with dashboard._lock:                                 # the run waits until the settings changed
        dashboard.start()
        assert dashboard.spp_slider.disabled and dashboard.optimizer_dropdown.disabled
        assert dashboard.gradients_toggle.disabled and not dashboard.learning_rate_slider.disabled
        dashboard.spp, dashboard.optimizer_name, dashboard.gradients = 4, 'SGD', 'biased'
        dashboard.learning_rate = 0.05                    # the learning rate may change at any time
    dashboard.wait(timeout=120)
    assert len(dashboard.errors) == 3 and not dashboard.spp_slider.disabled
    assert dashboard._label() == 'Adam, lr 0.1 to 0.05, 1 spp, unbiased'
    assert dashboard.render_count == 1 + 3                # no preview re-render while it ran


def test_gradient_viewer(scene):
    viewer = widgets.GradientViewer(scene, spp=2, size=16)
    assert RED in viewer.keys and 'OBJMesh.vertex_texcoords' not in viewer.keys   # empty arrays left out
    gradient = viewer.gradient(RED)
    assert gradient.shape == (16, 16, 3) and np.all(np.isfinite(gradient))
    assert gradient[..., 0].sum() > 0                      # brighter red wall, brighter image
    assert is_png(viewer.image.value)
    assert not dr.grad_enabled(tk.traverse(scene)[RED])    # the scene's value is untouched
    viewer.spp = 4                                         # other samples: computed again
    assert not np.array_equal(viewer.gradient(RED), gradient)


def test_widget_callbacks_report_failures(scene):
    explorer = widgets.RenderExplorer(scene, size=16, spp=1, seed=0)
    explorer.size = 0                                      # no pixels: rendering fails
    explorer.spp.value = 2                                 # the callback says why, it does not raise
    assert explorer.info.value.startswith('failed: RenderError: the film must have a positive')
    assert explorer.image.value == b''                    # no outdated picture left
    assert scene.sensors()[0].film().crop_size() == (SIZE, SIZE)
