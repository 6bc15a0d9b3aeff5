"""Mitsuba 3's optimizer options: the same gradients give the same steps."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk


def values(lib):
    return {'x': lib.Float(1.0, 2.0, 3.0, 4.0), 'c': lib.Color3f(0.5, 0.2, 0.1)}


def gradient(lib, key, step):
    """Fixed gradients, with exact zeros for mask_updates to leave alone."""
    if key == 'x':
        return lib.Float(0.3 * (step + 1), 0.0, -2.0, 1e-3 * (step + 1))
    return lib.Color3f(1.0 + step, 0.0, -0.5)


def steps(lib, make, count=4, between=None):
    """The values after each of ``count`` steps on :func:`gradient`."""
    opt = make(lib)
    for key, value in values(lib).items():
        opt[key] = value
    history = []
    for step in range(count):
        dr.backward(sum(dr.sum(opt[key] * gradient(lib, key, step), axis=None) for key in ('x', 'c')))
        opt.step()
        if between is not None:
            between(opt, step)
        history.append({key: np.array(opt[key].numpy()) for key in ('x', 'c')})
    return history


OPTIMIZERS = {
    'sgd': lambda lib: lib.ad.SGD(lr=0.25),
    'sgd momentum': lambda lib: lib.ad.SGD(lr=0.25, momentum=0.9),
    'sgd masked': lambda lib: lib.ad.SGD(lr=0.25, momentum=0.5, mask_updates=True),
    'adam': lambda lib: lib.ad.Adam(lr=0.05),
    'adam betas': lambda lib: lib.ad.Adam(lr=0.05, beta_1=0.5, beta_2=0.8, epsilon=1e-3),
    'adam masked': lambda lib: lib.ad.Adam(lr=0.05, mask_updates=True),
    'adam uniform': lambda lib: lib.ad.Adam(lr=0.05, uniform=True),
    'adam params': lambda lib: lib.ad.Adam(0.05, params={'x': lib.Float(1.0, 2.0, 3.0, 4.0)}),
}


@pytest.mark.mitsuba
@pytest.mark.parametrize('name', OPTIMIZERS)
def test_same_steps_as_mitsuba(name):
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    ours, theirs = steps(tk, OPTIMIZERS[name]), steps(mi, OPTIMIZERS[name])
    for a, b in zip(ours, theirs):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-7)


@pytest.mark.mitsuba
def test_learning_rates_per_key_and_writes_as_mitsuba():
    """Per-key rates win over a later default; a write of the same shape keeps
    the state."""
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')

    def schedule(opt, step):
        if step == 0:
            opt.set_learning_rate({'x': 0.01})
            opt.set_learning_rate(0.2)                  # the default; 'x' keeps its own
        if step == 1:
            opt['c'] = dr.clip(opt['c'], 0, 0.45)       # same shape: moments kept

    ours = steps(tk, OPTIMIZERS['adam'], between=schedule)
    theirs = steps(mi, OPTIMIZERS['adam'], between=schedule)
    for a, b in zip(ours, theirs):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-7)


def test_learning_rate_queries():
    opt = tk.ad.Adam(lr=0.05, params={'x': tk.Float(1.0), 'y': tk.Float(2.0)})
    assert opt.learning_rate() == 0.05 and opt.learning_rate('x') is None
    opt.set_learning_rate(y=0.5)
    opt.set_learning_rate(0.1)
    assert (opt.learning_rate(), opt.learning_rate('y')) == (0.1, 0.5)
    opt.set_learning_rate({'y': None})
    assert opt.learning_rate('y') is None
    with pytest.raises(tk.ParameterError, match='no parameter "z"'):
        opt.learning_rate('z')
    with pytest.raises(tk.ParameterError, match='no parameter "z"'):
        opt.reset('z')


def test_reset_forgets_the_moments_and_keeps_the_rate():
    """After reset('x') Adam's next step is a first step again: lr times the
    gradient's sign. (Mitsuba 3.9.1 also drops the key's own rate there.)"""
    opt = tk.ad.Adam(lr=0.5, params={'x': tk.Float(0.0)})
    opt.set_learning_rate(x=0.1)
    for _ in range(2):
        dr.backward(opt['x'] * 3.0)
        opt.step()
    opt.reset('x')
    before = opt['x'].numpy()[0]
    dr.backward(opt['x'] * -7.0)
    opt.step()
    assert opt['x'].numpy()[0] == pytest.approx(before + 0.1, abs=1e-6) and opt.learning_rate('x') == 0.1


def test_mask_updates_leaves_unreached_components():
    opt = tk.ad.Adam(lr=0.1, mask_updates=True)
    opt['t'] = tk.Float(1.0, 1.0)
    for _ in range(3):
        dr.backward(dr.sum(opt['t'] * tk.Float(1.0, 0.0)))
        opt.step()
    assert opt['t'].numpy()[1] == 1.0 and opt['t'].numpy()[0] < 0.75
    assert opt.state['t'][2].numpy()[1] == 0


@pytest.mark.filterwarnings("ignore:drjit.upsample:DeprecationWarning")
def test_upsampled_texture_starts_afresh():
    """A texture upsampled in the middle of an optimisation is a new shape: its
    state starts again, and it keeps its derivatives."""
    opt = tk.ad.Adam(lr=0.1)
    opt['tex'] = tk.TensorXf(tk.Float(0.1, 0.2, 0.3, 0.4), shape=(2, 2, 1))
    dr.backward(dr.sum(opt['tex'], axis=None))
    opt.step()
    assert opt.state['tex'][0] == 1
    opt['tex'] = dr.upsample(opt['tex'], shape=(4, 4))
    assert opt['tex'].shape == (4, 4, 1) and 'tex' not in opt.state and dr.grad_enabled(opt['tex'])
    dr.backward(dr.sum(opt['tex'], axis=None))
    opt.step()
    assert opt.state['tex'][0] == 1
    # Adam's first step moves every component by the learning rate: 0.1 - 0.1, then - 0.1 again.
    np.testing.assert_allclose(opt["tex"].numpy().ravel()[:2], [-0.1, -0.1], atol=1e-5)


def test_bad_options_change_nothing():
    with pytest.raises(tk.ParameterError, match='mask_updates'):
        tk.ad.SGD(lr=0.1, mask_updates='yes')
    with pytest.raises(tk.ParameterError, match='uniform'):
        tk.ad.Adam(lr=0.1, uniform=1)
    with pytest.raises(tk.ParameterError, match='momentum'):
        tk.ad.SGD(lr=0.1, momentum=-1)
    opt = tk.ad.SGD(lr=0.1, params={'x': tk.Float(1.0)})
    with pytest.raises(tk.ParameterError, match='positive finite'):
        opt.set_learning_rate({'x': 0.2, None: -1})
    with pytest.raises(tk.ParameterError, match='needs a rate'):
        opt.set_learning_rate()
    assert opt.learning_rate() == 0.1 and opt.learning_rate('x') is None
