"""The notebooks' experiments (seeded optimisation runs, gradients over seeds,
path replay against a recorded render) and exercise checks."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import small_cbox

pytest.importorskip('ipywidgets')
pytest.importorskip('matplotlib')
from tutorial_kit import widgets  # noqa: E402
from tutorial_kit.widgets import experiments  # noqa: E402

RED = 'red.reflectance.value'
SIZE = 24
WHITE = [.9, .9, .9]


@pytest.fixture
def scene():
    return small_cbox(SIZE)


def reference(scene):
    """The true colour (NumPy) and a 64-spp reference image of it."""
    return tk.traverse(scene)[RED].numpy().ravel(), tk.render(scene, spp=64, seed=7)


def test_check_reports_the_first_condition_that_fails(capsys):
    widgets.check(('one is one', lambda: 1 == 1))
    assert capsys.readouterr().out == 'check passed\n'
    with pytest.raises(AssertionError, match='^not yet: two is one$'):
        widgets.check(('one is one', lambda: True), ('two is one', lambda: 2 == 1),
                      ('never asked', lambda: 1 / 0))
    assert capsys.readouterr().out == ''


def test_check_survives_an_unfinished_answer():
    with pytest.raises(widgets.ExerciseNotPassed, match=r'^not yet: a function answer \(NameError:'):
        widgets.check(('a function answer', lambda: callable(undefined_answer)))  # noqa: F821


def test_fit_lowers_the_error_and_repeats_with_its_seed(scene):
    truth, image_ref = reference(scene)
    adam = lambda params: tk.Adam(params, lr=0.1)      # noqa: E731
    first = experiments.fit(scene, RED, image_ref, truth, WHITE, adam, 15, spp=4, seed=3)
    again = experiments.fit(scene, RED, image_ref, truth, WHITE, adam, 15, spp=4, seed=3)
    other = experiments.fit(scene, RED, image_ref, truth, WHITE, adam, 15, spp=4, seed=4)
    start_error = np.sum((np.array(WHITE) - truth) ** 2)
    assert first.error[-1] < 0.2 * start_error
    assert first.values.shape == (15, 3) and len(first.objective) == len(first.seconds) == 15
    # Sums in another order; a channel that Adam drives to about zero needs an
    # absolute tolerance, since float32 rounding there is a large relative change.
    np.testing.assert_allclose(first.values, again.values, rtol=1e-4, atol=1e-6)
    assert not np.allclose(first.values, other.values)
    np.testing.assert_allclose(tk.traverse(scene)[RED].numpy().ravel(), other.values[-1], rtol=1e-6)
    assert not dr.grad_enabled(tk.traverse(scene)[RED])


def test_fit_follows_a_learning_rate_schedule(scene):
    """SGD's first step is lr * gradient: a schedule's first rate decides it."""
    truth, image_ref = reference(scene)
    sgd = lambda params: tk.SGD(params, lr=1)           # noqa: E731
    plain = experiments.fit(scene, RED, image_ref, truth, WHITE, sgd, 1, seed=0)
    scheduled = experiments.fit(scene, RED, image_ref, truth, WHITE, sgd, 1, seed=0,
                                learning_rates=lambda it: 10.0)
    np.testing.assert_allclose(np.array(WHITE) - scheduled.values[0],
                               10 * (np.array(WHITE) - plain.values[0]), rtol=1e-3)


def test_objective_gradients_match_finite_differences(scene):
    """With the same samples for image and derivative (unbiased=False), the
    gradient of the objective is that of a fixed function of the colour."""
    truth, image_ref = reference(scene)
    value = np.array([0.5, 0.2, 0.3])
    gradient = experiments.objective_gradients(scene, RED, value, image_ref, [5, 5], spp=4,
                                               unbiased=False)
    np.testing.assert_allclose(gradient[0], gradient[1], rtol=1e-5,     # sums in another order
                               atol=1e-6 * np.abs(gradient[0]).max())
    params = tk.traverse(scene)
    assert not dr.grad_enabled(params[RED])
    np.testing.assert_allclose(params[RED].numpy().ravel(), value, rtol=1e-6)

    def objective_at(colour):
        params[RED] = colour
        params.update()
        return experiments.objective(tk.render(scene, spp=4, seed=5), image_ref).numpy().ravel()[0]

    h = 1e-2
    for channel in range(3):
        step = np.eye(3)[channel] * h
        finite_difference = (objective_at(value + step) - objective_at(value - step)) / (2 * h)
        assert gradient[0][channel] == pytest.approx(finite_difference, rel=2e-2, abs=1e-7)


def test_recorded_render_and_path_replay_agree(scene):
    np.testing.assert_allclose(experiments.recorded_render(scene, 2, 11).numpy(),
                               tk.render(scene, spp=2, seed=11).numpy(), rtol=1e-5, atol=1e-6)
    costs = experiments.replay_and_recording(scene, RED, spp=2)
    (_, replay_memory, replay_gradient), (_, recorded_memory, recorded_gradient) = costs.values()
    assert list(costs) == ['path replay', 'recorded']
    np.testing.assert_allclose(replay_gradient, recorded_gradient, rtol=1e-3, atol=1e-8)
    assert np.all(replay_gradient > 0)
    assert replay_memory < recorded_memory
    assert not dr.grad_enabled(tk.traverse(scene)[RED])


def test_gradient_viewer_pushes_along_one_direction(scene):
    """Derivatives are linear in the push: x, y and z alone add up to all three."""
    viewer = widgets.GradientViewer(scene, spp=2, size=SIZE)
    key = 'OBJMesh_6.vertex_positions'
    count = dr.width(viewer.params[key]) // 3
    alone = [viewer.gradient(key, np.tile(np.eye(3)[k], count)) for k in range(3)]
    np.testing.assert_allclose(sum(alone), viewer.gradient(key), rtol=1e-3, atol=1e-6)
    halved = viewer.gradient(RED, [0.5, 0.5, 0.5])
    np.testing.assert_allclose(2 * halved, viewer.gradient(RED), rtol=1e-5, atol=1e-8)
    assert len(viewer.axes_figure(key).axes) == 6             # three panels, three colour bars


def test_history_figure_has_three_panels():
    history = experiments.History([1.0, 0.5], [0.3, 0.1], np.array([[0.9, 0.9, 0.9], [0.5, 0.1, -0.1]]),
                                  [0.1, 0.1])
    figure = widgets.history_figure(history, [0.57, 0.04, 0.04], 'a run')
    assert len(figure.axes) == 3
    assert widgets.figure_png(figure).startswith(b'\x89PNG')
