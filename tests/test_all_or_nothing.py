"""Scene changes are all or nothing: ``params.update`` and optimizer steps.

Every value is checked before any is stored; a failure or an interruption
while storing leaves the scene (and the optimizer) as before, or, for a
Ctrl-C that arrives while the change is being committed, as after; never
between. A Ctrl-C during a render or its derivative pass reaches the caller
as a KeyboardInterrupt.

The interruptions are injected with ``sys.settrace``: a KeyboardInterrupt
raised at the k-th line executed in ``ad/traverse.py`` and
``ad/optimizers.py`` (``update`` and ``step`` and everything they call
there), for every k.
"""
import signal
import sys

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.ad import optimizers, traverse
from tutorial_kit.plugins.bsdfs.diffuse import Diffuse
from helpers import scene_xml
from interrupts import InterruptAt

POSITIONS = 'plane.vertex_positions'
REFLECTANCE = 'plane.bsdf.reflectance.value'
#: The files whose lines the injected interruptions land on.
COMMIT_FILES = {traverse.__file__, optimizers.__file__}


def plane_scene():
    """A unit rectangle facing the camera at z = 0, diffuse, under a constant sky."""
    return tk.load_string(scene_xml(
        '<shape type="rectangle" id="plane"><bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf>'
        '</shape><emitter type="constant"/>', width=8, height=8, spp=1))


def hit_distance(scene):
    """Where a ray from the camera's position straight down -z meets the scene (the BVH's view)."""
    ray = tk.Ray3f(o=tk.Point3f(0.1, 0.2, 5), d=tk.Vector3f(0, 0, -1))
    return float(scene.ray_intersect(ray).t.numpy()[0])


def state_of(scene, params):
    return (params[POSITIONS].numpy().copy(), params[REFLECTANCE].numpy().copy(), hit_distance(scene))


def same_state(a, b):
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and abs(a[2] - b[2]) < 1e-5


def moved(params, dz=1.0):
    return (params[POSITIONS].numpy().reshape(-1, 3) + [0, 0, dz]).ravel()


# -- a bad value or a failure: nothing changes ----------------------------------------------

@pytest.mark.parametrize('order', ['good first', 'bad first'])
def test_update_with_a_bad_value_changes_nothing(order):
    scene = plane_scene()
    params = tk.traverse(scene)
    before = state_of(scene, params)
    entries = [(POSITIONS, moved(params)), (REFLECTANCE, [3e38, 0, 0])]
    with pytest.raises(tk.ParameterError, match='must lie in'):
        params.update(dict(entries if order == 'good first' else entries[::-1]))
    assert same_state(state_of(scene, params), before)
    assert params.update() == []            # nothing was left marked either


def test_a_failing_refresh_puts_the_previous_values_back(monkeypatch):
    scene = plane_scene()
    params = tk.traverse(scene)
    before = state_of(scene, params)
    original = type(scene).parameters_changed
    calls = []

    def fails_once(self, objects):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError('the refresh failed')
        return original(self, objects)
    monkeypatch.setattr(type(scene), 'parameters_changed', fails_once)
    with pytest.raises(RuntimeError, match='the refresh failed'):
        params.update({POSITIONS: moved(params), REFLECTANCE: [0.2, 0.3, 0.4]})
    assert same_state(state_of(scene, params), before)
    params.update({POSITIONS: moved(params)})
    assert hit_distance(scene) == pytest.approx(4)


def test_an_optimizer_step_that_fails_midway_changes_nothing(monkeypatch):
    scene = plane_scene()
    params = tk.traverse(scene)
    params.keep([POSITIONS, REFLECTANCE])
    opt = tk.Adam(params, lr=0.1)
    before = state_of(scene, params)
    mesh = params.parameter(POSITIONS).owner
    monkeypatch.setattr(mesh, 'parameters_changed', lambda keys=None: (_ for _ in ()).throw(
        RuntimeError('the mesh refused')))
    dr.set_grad(params[POSITIONS], dr.full(tk.Float, -1, dr.width(params[POSITIONS])))
    with pytest.raises(RuntimeError, match='the mesh refused'):
        opt.step()
    assert same_state(state_of(scene, params), before)
    assert opt.state == {} and opt.iteration == 0


# -- interruptions at every line --------------------------------------------------------------

def check_every_interruption(make, act, before, after, extra=lambda _: None):
    """Interrupt ``act`` at every line k of the commit files until it runs to its end;
    after each interruption the scene must be as ``before`` or as ``after``."""
    signals = signal.getsignal(signal.SIGINT)
    seen = {'before': 0, 'after': 0}
    k = 0
    while True:
        k += 1
        scene, params, *rest = make()
        injector = InterruptAt(k, COMMIT_FILES)
        if not injector.run(lambda: act(params, *rest)):
            break
        state = state_of(scene, params)
        which = 'before' if same_state(state, before) else 'after' if same_state(state, after) else None
        assert which, f'interrupted at line {k}: the scene is neither as before nor as after: {state}'
        extra((which, rest))
        seen[which] += 1
        assert signal.getsignal(signal.SIGINT) is signals
    assert k > 20 and seen['before'], (k, seen)
    return seen


def test_an_interrupted_update_leaves_the_scene_as_before_or_after():
    def make():
        scene = plane_scene()
        return scene, tk.traverse(scene)
    scene, params = make()
    before = state_of(scene, params)
    values = {POSITIONS: moved(params), REFLECTANCE: [0.2, 0.3, 0.4]}
    params.update(values)
    after = state_of(scene, params)
    check_every_interruption(make, lambda params: params.update(values), before, after)


def test_an_interrupted_optimizer_step_leaves_scene_and_optimizer_as_before_or_after():
    def make():
        scene = plane_scene()
        params = tk.traverse(scene)
        params.keep([POSITIONS, REFLECTANCE])
        opt = tk.Adam(params, lr=0.25)
        dr.set_grad(params[POSITIONS], dr.full(tk.Float, -1, dr.width(params[POSITIONS])))
        dr.set_grad(params[REFLECTANCE], tk.Color3f(1, -1, 0.5))
        return scene, params, opt
    scene, params, opt = make()
    before = state_of(scene, params)
    opt.step()
    after = state_of(scene, params)
    assert hit_distance(scene) == pytest.approx(4.75)

    def optimizer_agrees(observed):
        which, (opt,) = observed
        assert opt.iteration == (1 if which == 'after' else 0)
        assert (opt.state != {}) == (which == 'after')
    check_every_interruption(make, lambda params, opt: opt.step(), before, after, optimizer_agrees)


# -- Ctrl-C during render and backward ----------------------------------------------------------

def test_an_interrupt_in_the_derivative_pass_is_a_keyboard_interrupt(monkeypatch):
    scene = plane_scene()
    params = tk.traverse(scene)
    params.keep([POSITIONS])
    opt = tk.Adam(params, lr=0.01)
    image = tk.render(scene, optimizer=opt, seed=0)       # the primal pass, as usual
    sample = Diffuse.sample

    def pressed(self, *args, **kwargs):
        raise KeyboardInterrupt
    # Ctrl-C pressed while the recorded pass (run by dr.backward) traces its loop.
    monkeypatch.setattr(Diffuse, 'sample', pressed)
    with pytest.raises(KeyboardInterrupt):
        dr.backward(dr.mean(image, axis=None))
    monkeypatch.setattr(Diffuse, 'sample', sample)
