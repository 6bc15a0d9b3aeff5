"""An integrator written in a notebook gets what the toolkit's own get: gradient checks,
the optimizers and the widgets (the Cornell box rendered by the direct-light
integrator of ``student_rb_plugins.py``), and the view comparison of notebook 11."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import RED_WALL as RED, white_wall_experiment
import student_rb_plugins

pytest.importorskip('ipywidgets')
pytest.importorskip('matplotlib')
from tutorial_kit import widgets  # noqa: E402

PLUGINS = student_rb_plugins.load_for(tk)
SIZE = 16


@pytest.fixture(autouse=True)
def close_widgets():
    yield
    import gc
    import ipywidgets
    ipywidgets.Widget.close_all()
    gc.collect()


@pytest.fixture
def scene():
    tk.register_integrator('student_direct_replay', lambda props: PLUGINS.DirectReplay(props))
    description = tk.cornell_box()
    description['integrator'] = {'type': 'student_direct_replay'}
    description['sensor']['film'].update(width=SIZE, height=SIZE)
    scene = tk.load_dict(description)
    assert isinstance(scene.integrator(), PLUGINS.DirectReplay)
    return scene


def test_check_gradient_agrees_in_all_three_ways(scene):
    check = tk.check_gradient(scene, RED, spp=4)
    assert check.forward > 0
    assert check.reverse == pytest.approx(check.forward, rel=1e-4)
    assert check.finite_difference == pytest.approx(check.forward, rel=1e-2)


@pytest.mark.parametrize('make', [lambda p: tk.SGD(p, lr=40, momentum=0.5), lambda p: tk.Adam(p, lr=0.1)])
def test_optimizers_recover_the_red_wall(scene, make):
    truth, reference = white_wall_experiment(scene)
    params = tk.traverse(scene)
    params.keep([RED])
    opt = make(params)
    errors = []
    for _ in range(12):
        image = tk.render(scene, optimizer=opt, spp=2)
        dr.backward(dr.mean(dr.square(image - reference), axis=None))
        opt.step()
        errors.append(float(dr.sum(dr.square(truth - params[RED]), axis=None)[0]))
    assert errors[-1] < 0.5 * errors[0]


def test_widgets_render_its_gradients_and_run_its_optimisation(scene):
    viewer = widgets.GradientViewer(scene, spp=2, size=SIZE)
    gradient = viewer.gradient(RED)
    assert gradient.shape == (SIZE, SIZE, 3) and gradient[..., 0].sum() > 0
    truth, reference = white_wall_experiment(scene)
    dashboard = widgets.OptimisationDashboard(scene, RED, reference, truth, lr=0.1)
    start_error = float(np.sum((np.array([.9, .9, .9]) - truth.numpy().ravel()) ** 2))
    errors = dashboard.run(3, show=False)
    assert len(errors) == 3 and errors[-1] < start_error


def test_view_comparison_steps_through_the_views():
    references = [np.full((4, 4, 3), v, np.float32) for v in (0.2, 0.5)]
    reconstructions = [np.full((4, 4, 3), v, np.float32) for v in (0.25, 0.5)]
    comparison = widgets.ViewComparison(references, reconstructions)
    assert comparison.errors == pytest.approx([0.05, 0.0])
    assert comparison.info.value == 'mean |difference| 0.0500'
    comparison.view.value = 1
    assert comparison.info.value == 'mean |difference| 0.0000'
    assert bytes(comparison.images[2].value).startswith(b'\x89PNG')
    assert len(comparison.figure().axes) == 4
    with pytest.raises(ValueError, match='one of each per view'):
        widgets.ViewComparison(references, reconstructions[:1])
