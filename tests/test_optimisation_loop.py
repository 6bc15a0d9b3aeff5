"""The dashboard's optimisation loop and its background thread, without ipywidgets."""
import subprocess
import sys
import threading

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import RED_WALL, small_cbox, white_wall_experiment
from tutorial_kit.widgets.background_run import BackgroundRun, PendingValue
from tutorial_kit.widgets.optimisation_loop import OptimisationLoop, RunSettings


@pytest.fixture
def loop():
    scene = small_cbox(24)
    truth, reference = white_wall_experiment(scene)
    return OptimisationLoop(scene, RED_WALL, reference, truth)


def test_the_loop_imports_without_ipywidgets():
    code = ('import sys; sys.modules["ipywidgets"] = None\n'        # importing it now fails
            'from tutorial_kit.widgets import OptimisationLoop, RunSettings\n'
            'print(RunSettings("Adam", 0.2, 1, "unbiased").label())')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == 'Adam, lr 0.2, 1 spp, unbiased'


def test_run_lowers_the_error_and_starts_again_from_the_start(loop):
    start_error = loop.error_to_truth()
    assert start_error == pytest.approx(np.sum((0.9 - loop.true_value.astype(np.float64)) ** 2))
    # At 1 spp a single step may go the wrong way; at 2 spp four steps of 0.2
    # take the wall most of the way from white to red (error below 0.11 of
    # 1.58 with each of four seeds tried).
    errors = loop.run(4, RunSettings('Adam', 0.2, 2, 'unbiased'))
    assert len(errors) == len(loop.iteration_times) == 4 and errors[-1] < 0.2 * start_error
    assert errors[-1] == loop.error_to_truth()
    assert not dr.grad_enabled(tk.traverse(loop.scene)[RED_WALL])   # later renders track nothing
    loop.reset()
    np.testing.assert_allclose(loop.value, 0.9)
    assert loop.errors == [] and loop.iteration_times == []


def test_run_takes_new_learning_rates_and_stops_when_asked(loop):
    settings = RunSettings('SGD+momentum', 0.1, 1, 'biased')
    learning_rates = iter([None, 0.05])
    seen = []

    def after_iteration(iteration, iterations, image):
        seen.append((iteration, iterations, image.shape))

    errors = loop.run(10, settings, should_stop=lambda: len(loop.errors) == 2,
                      next_learning_rate=lambda: next(learning_rates, None),
                      after_iteration=after_iteration)
    assert len(errors) == 2 and seen == [(0, 10, (24, 24, 3)), (1, 10, (24, 24, 3))]
    assert loop.settings is settings and settings.learning_rate == 0.05
    assert settings.label() == 'SGD+momentum, lr 0.1 to 0.05, 1 spp, biased'


@pytest.mark.parametrize('arguments, name', [(('Adagrad', 0.1, 1, 'unbiased'), 'optimizer'),
                                             (('Adam', 0.1, 1, 'exact'), 'gradients'),
                                             (('Adam', 0.1, 0, 'unbiased'), 'spp'),
                                             (('Adam', 0.1, 1.5, 'unbiased'), 'spp'),
                                             (('Adam', 0.0, 1, 'unbiased'), 'learning_rate')])
def test_settings_refuse_bad_values(arguments, name):
    with pytest.raises(ValueError, match=f'^{name}: expected'):
        RunSettings(*arguments)


def test_background_run_stops_when_asked_and_finishes_in_its_thread():
    background, steps, finished_in = BackgroundRun(), [], []
    started = threading.Event()

    def work():
        while not background.stop_requested():
            steps.append(tk.Float(len(steps)) + 1)    # Dr.Jit work left queued in this thread
            started.set()

    background.start(work, finished=lambda: finished_in.append(threading.current_thread()))
    assert started.wait(timeout=60) and background.running
    background.stop()
    background.wait(timeout=60)
    assert not background.running and finished_in and finished_in[0] is not threading.current_thread()
    assert steps[-1].numpy()[0] == len(steps)
    assert background.run_here(background.stop_requested) is False     # a new run forgets the stop


def test_pending_value_is_taken_once_and_the_latest_wins():
    pending = PendingValue()
    assert pending.take() is None
    pending.put(0.1)
    pending.put(0.2)
    assert pending.take() == 0.2 and pending.take() is None
