"""A render whose derivatives must be recorded records them only when a derivative reaches it."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
import tutorial_kit.ad.render as render_module
from helpers import scene_xml

SCENE = scene_xml('<integrator type="direct_projective"/><shape type="rectangle" id="card"><transform name="to_world"><scale value="0.6"/>'
                  '</transform><bsdf type="diffuse"/></shape><emitter type="constant"/>',
                  width=24, height=24, spp=4)


def moved_scene(offset):
    """The scene with the card's vertices moved along x by ``offset`` (a Float with gradients)."""
    scene = tk.load_string(SCENE)
    params = tk.traverse(scene)
    positions = dr.unravel(tk.Point3f, params['card.vertex_positions'])
    params['card.vertex_positions'] = dr.ravel(positions + tk.Point3f(offset, 0, 0))
    params.update()
    return scene, params


@pytest.fixture
def recordings(monkeypatch):
    """How many times the render was recorded for AD."""
    calls = []
    original = render_module._render_differentiable

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(render_module, '_render_differentiable', counted)
    return calls


def test_no_recording_until_a_derivative_is_asked_for(recordings):
    offset = tk.Float(0.1)
    dr.enable_grad(offset)
    scene, params = moved_scene(offset)
    image = tk.render(scene, params, seed=1, spp=4)
    assert dr.grad_enabled(image) and recordings == []
    dr.backward(dr.mean(image, axis=None))
    assert len(recordings) == 1 and dr.grad(offset)[0] != 0


def derivatives(eager, monkeypatch):
    """d mean(image) / d offset, in reverse and in forward mode."""
    if eager:
        monkeypatch.setattr(render_module, '_deferred_recording',
                            lambda scene, sensor, integrator, spp, seed, tracked, w, h:
                            render_module._render_differentiable(scene, sensor, integrator, spp, seed,
                                                                 tracked, w, h)[0])
    results = []
    for mode in ('backward', 'forward'):
        offset = tk.Float(0.1)
        dr.enable_grad(offset)
        scene, params = moved_scene(offset)
        image = tk.render(scene, params, seed=2, spp=8)
        if mode == 'backward':
            dr.backward(dr.mean(image, axis=None))
            results.append(dr.grad(offset)[0])
        else:
            dr.forward(offset)
            results.append(float(np.mean(dr.grad(image).numpy())))
    return results


def test_deferred_derivatives_equal_recorded_ones(monkeypatch):
    deferred = derivatives(False, monkeypatch)
    eager = derivatives(True, monkeypatch)
    assert deferred[0] != 0 and np.allclose(deferred, eager, rtol=1e-4)
    assert deferred[0] == pytest.approx(deferred[1], rel=1e-3)     # reverse and forward agree


def scaled_card_derivative(mode, spp):
    """d mean(image) / d s for the card scaled by (1 + s) at s = 0: the card (albedo 0.5) covers
    more of the brighter sky, so the derivative is negative."""
    scale = tk.Float(0.0)
    dr.enable_grad(scale)
    scene = tk.load_string(SCENE)
    params = tk.traverse(scene)
    params['card.vertex_positions'] = params['card.vertex_positions'] * (1 + scale)
    params.update()
    image = tk.render(scene, params, seed=5, spp=spp)
    if mode == 'backward':
        dr.backward(dr.mean(image, axis=None))
        return dr.grad(scale)[0]
    dr.forward(scale)
    return float(np.mean(dr.grad(image).numpy()))


def test_a_large_recording_is_differentiated_part_by_part(recordings, monkeypatch):
    whole = scaled_card_derivative('backward', 32)
    assert len(recordings) == 1
    # Four parts of 8 samples per pixel: four recordings, each of a quarter of the samples.
    monkeypatch.setattr(render_module, 'MAX_RECORDED_SAMPLES_PER_PART', 24 * 24 * 8)
    parted = [scaled_card_derivative(mode, 32) for mode in ('backward', 'forward')]
    assert len(recordings) == 1 + 8
    assert parted[0] == pytest.approx(parted[1], rel=1e-3)         # reverse and forward agree
    # Other samples, the same expectation: growing the grey card darkens the image.
    assert whole < 0 and parted[0] == pytest.approx(whole, rel=0.15)


# -- path replay: its primal pass waits for a derivative too ----------------------------------

def replayed_card(value_needed, monkeypatch, passes):
    """d mean(image) / d (card's reflectance), by path replay (``prb``), counting the
    integrator's passes in ``passes``; ``value_needed`` forces the replay's primal pass
    into the render itself (as before it waited)."""
    import tutorial_kit.ad.path_replay as replay_module
    original = replay_module.sample_radiance

    def counted(integrator, mode, *args, **kwargs):
        passes.append(mode.name)
        return original(integrator, mode, *args, **kwargs)
    monkeypatch.setattr(replay_module, 'sample_radiance', counted)
    if value_needed:
        differentiable = render_module._render_differentiable
        monkeypatch.setattr(render_module, '_render_differentiable',
                            lambda *args, **kwargs: differentiable(*args, **dict(kwargs, value_needed=True)))
    scene = tk.load_string(SCENE.replace('direct_projective', 'prb'))
    params = tk.traverse(scene)
    key = 'card.bsdf.reflectance.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, params, seed=3, spp=4)
    rendered = list(passes)
    dr.backward(dr.mean(image, axis=None))
    return rendered, np.array(dr.grad(params[key])), np.array(image)


def test_path_replay_traces_its_primal_pass_only_for_a_derivative(monkeypatch):
    passes = []
    rendered, lazy_gradient, lazy_image = replayed_card(False, monkeypatch, passes)
    # The image alone: no replay pass (the image's own pass is not a replay's).
    assert rendered == []
    assert passes == ['Primal', 'Backward']
    monkeypatch.undo()
    passes = []
    rendered, eager_gradient, eager_image = replayed_card(True, monkeypatch, passes)
    assert rendered == ['Primal'] and passes == ['Primal', 'Backward']
    # The same samples either way: the same image and the same derivatives.
    assert np.array_equal(lazy_image, eager_image)
    assert np.abs(lazy_gradient).max() > 0 and np.allclose(lazy_gradient, eager_gradient, rtol=1e-5)
