"""Mitsuba 3's names and calling conventions beside the tutorial's own."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX_RGB, small_cbox

RED = 'red.reflectance.value'


def red_params(scene):
    params = tk.traverse(scene)
    params.keep([RED])
    return params


# -- render(scene, params, sensor, integrator, seed, seed_grad, spp, spp_grad) -------------

def mean_gradient(scene, **arguments):
    params = red_params(scene)
    dr.enable_grad(params[RED])
    image = tk.render(scene, params, **arguments)
    dr.backward(dr.mean(image, axis=None))
    gradient = dr.grad(params[RED]).numpy()
    dr.disable_grad(params[RED])
    return image.numpy(), gradient


def test_value_from_seed_and_derivative_from_seed_grad():
    """The image's value is the render with ``seed``; its derivative is the one a
    render with ``seed_grad`` would have: independent samples, as in Mitsuba 3."""
    scene = small_cbox(16)
    image, gradient = mean_gradient(scene, seed=1, seed_grad=5, spp=2)
    assert np.array_equal(image, tk.render(scene, seed=1, spp=2).numpy())
    _, gradient_5 = mean_gradient(scene, seed=5, spp=2, unbiased=False)
    _, gradient_1 = mean_gradient(scene, seed=1, spp=2, unbiased=False)
    assert np.allclose(gradient, gradient_5, rtol=1e-5) and not np.allclose(gradient, gradient_1, rtol=1e-3)


def test_derivative_seed_defaults_to_one_derived_from_the_seed():
    scene = small_cbox(16)
    first = mean_gradient(scene, seed=3, spp=1)
    again = mean_gradient(scene, seed=3, spp=1)
    biased = mean_gradient(scene, seed=3, spp=1, unbiased=False)
    assert np.array_equal(first[0], biased[0])
    np.testing.assert_allclose(first[1], again[1], rtol=1e-5)   # threads sum in any order
    assert not np.allclose(first[1], biased[1], rtol=1e-3)


def test_a_seed_may_be_a_dr_jit_integer():
    scene = small_cbox(8)
    assert np.array_equal(tk.render(scene, seed=tk.UInt32(3), spp=1).numpy(),
                          tk.render(scene, seed=3, spp=1).numpy())


def test_equal_seeds_are_refused():
    scene = small_cbox(8)
    with pytest.raises(tk.RenderError, match='seed and seed_grad must differ'):
        tk.render(scene, seed=7, seed_grad=7)


def test_spp_zero_is_the_sensor_count_and_spp_grad_another_count():
    scene = small_cbox(8)
    assert np.array_equal(tk.render(scene, spp=0, seed=2).numpy(),
                          tk.render(scene, spp=scene.sensors()[0].sampler().sample_count(), seed=2).numpy())
    _, gradient = mean_gradient(scene, seed=1, seed_grad=5, spp=1, spp_grad=3)
    _, gradient_3 = mean_gradient(scene, seed=5, spp=3, unbiased=False)
    assert np.allclose(gradient, gradient_3, rtol=1e-5)


def test_sensor_and_integrator_arguments():
    scene = small_cbox(8)
    sensor = scene.sensors()[0]
    assert np.array_equal(tk.render(scene, sensor=sensor, seed=1, spp=1).numpy(),
                          tk.render(scene, sensor=0, seed=1, spp=1).numpy())
    direct = tk.load_string('<scene version="3.0.0"><integrator type="direct"/></scene>').integrator()
    one_bounce = tk.render(scene, integrator=direct, seed=1, spp=4).numpy()
    assert one_bounce.mean() < tk.render(scene, seed=1, spp=4).numpy().mean()
    with pytest.raises(tk.RenderError, match='sensor must be'):
        tk.render(scene, sensor=3)
    with pytest.raises(tk.RenderError, match='integrator must be'):
        tk.render(scene, integrator='path')
    with pytest.raises(tk.RenderError, match='params must be a ParameterMap'):
        tk.render(scene, params={RED: 1})


def test_prb_is_the_path_tracer_under_mitsubas_name():
    path = tk.load_file(CBOX_RGB, res=16, spp=4)
    prb = tk.load_file(CBOX_RGB, res=16, spp=4, integrator='prb')
    assert type(prb.integrator()).__name__ == 'PRBIntegrator'
    assert prb.sensors()[0].film().crop_size() == (16, 16)
    assert np.array_equal(tk.render(path, seed=0).numpy(), tk.render(prb, seed=0).numpy())
    scene = tk.load_string('''<scene version="3.0.0"><integrator type="prb">
        <integer name="max_depth" value="2"/><integer name="rr_depth" value="3"/>
        <boolean name="hide_emitters" value="true"/></integrator></scene>''')
    integrator = scene.integrator()
    assert (integrator.max_depth, integrator.rr_depth, integrator.hide_emitters) == (2, 3, True)


# -- optimizers as dictionaries ---------------------------------------------------------------

def test_adam_dictionary_api():
    scene = small_cbox(8)
    params = tk.traverse(scene)
    opt = tk.ad.Adam(lr=0.05)
    assert tk.ad.Adam is tk.Adam and len(opt) == 0
    opt[RED] = params[RED]
    assert RED in opt and list(opt) == [RED] and dr.grad_enabled(opt[RED])
    assert opt[RED] is not params[RED]                 # a copy: the scene's value is untouched
    params.update(opt)
    assert params[RED] is opt[RED]
    before = opt[RED].numpy().copy()
    dr.backward(dr.mean(tk.render(scene, params, spp=1, seed=0), axis=None))
    opt.step()
    # A brighter wall brightens the image: Adam's first step lowers every component by lr.
    assert np.allclose(opt[RED].numpy(), before - 0.05, atol=1e-4)
    assert not np.allclose(params[RED].numpy(), opt[RED].numpy())   # until params.update(opt)
    state = opt.state[RED]
    opt[RED] = dr.clip(opt[RED], 0, 1)                 # same shape: the state is kept
    assert opt.state[RED] is state and opt[RED].numpy().max() <= 1
    params.update(opt)
    assert np.array_equal(params[RED].numpy(), opt[RED].numpy())


def test_registering_another_shape_resets_the_state():
    opt = tk.ad.SGD(lr=0.1, momentum=0.9)
    opt['x'] = tk.Float(1, 2)
    dr.backward(dr.sum(opt['x'] * opt['x']))
    opt.step()
    assert 'x' in opt.state
    opt['x'] = tk.Float(1, 2, 3)
    assert 'x' not in opt.state


def test_sgd_momentum_in_the_dictionary_api():
    opt = tk.ad.SGD(lr=0.1, momentum=0.5)
    opt['x'] = tk.Float(1.0)
    values = []
    for _ in range(2):
        dr.backward(opt['x'])                          # gradient 1 every step
        opt.step()
        values.append(opt['x'].numpy()[0])
    assert np.allclose(values, [0.9, 0.9 - 0.1 * 1.5])


def test_learning_rate_first_and_as_dict():
    opt = tk.Adam(0.5, {'x': tk.Float(0.0)})
    assert list(opt) == ['x']
    opt.set_learning_rate({'x': 0.25})
    dr.backward(opt['x'])
    opt.step()
    assert np.isclose(opt['x'].numpy()[0], -0.25, atol=1e-5)


def test_bad_registrations():
    opt = tk.ad.Adam(lr=0.1)
    with pytest.raises(tk.ParameterError, match='differentiable Dr.Jit float array'):
        opt['x'] = [1.0, 2.0]
    with pytest.raises(tk.ParameterError, match='no parameter "y"'):
        opt['y']
    with pytest.raises(tk.ParameterError, match='needs a learning rate'):
        tk.ad.Adam()


def test_tutorial_style_optimizer_accepts_dictionary_calls():
    """Built on a ParameterMap, the optimizer writes into the scene itself, and
    Mitsuba-style lines (params.update(opt), opt[key] = clip) do what they say."""
    scene = small_cbox(8)
    params = red_params(scene)
    opt = tk.Adam(params, lr=0.1)
    opt[RED] = dr.clip(opt[RED] + 2, 0, 1)
    assert np.allclose(params[RED].numpy(), 1) and dr.grad_enabled(params[RED])
    params.update(opt)
    assert np.allclose(params[RED].numpy(), 1)


# -- bitmaps, util, variant --------------------------------------------------------------------

def test_convert_to_bitmap_shows_as_png():
    image = tk.TensorXf(dr.full(tk.Float, 0.5, 4 * 6 * 3), shape=(4, 6, 3))
    bitmap = tk.util.convert_to_bitmap(image)
    assert isinstance(bitmap, tk.Bitmap) and bitmap.size() == (6, 4) and bitmap.srgb_gamma()
    pixels = np.asarray(bitmap)
    assert pixels.dtype == np.uint8 and np.all(pixels == 188)      # sRGB of 0.5 is 0.7354
    from PIL import Image
    import io
    decoded = np.asarray(Image.open(io.BytesIO(bitmap._repr_png_())))
    assert decoded.shape == (4, 6, 3) and np.all(decoded == 188)
    linear = tk.util.convert_to_bitmap(image, uint8_srgb=False)
    assert np.asarray(linear).dtype == np.float32 and not linear.srgb_gamma()


def test_util_write_bitmap_round_trip(tmp_path):
    image = np.linspace(0, 1, 2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    tk.util.write_bitmap(str(tmp_path / 'a.exr'), image)
    assert np.array_equal(tk.read_bitmap(tmp_path / 'a.exr'), image)
    tk.util.write_bitmap(str(tmp_path / 'b.png'), tk.util.convert_to_bitmap(image))
    assert np.allclose(tk.read_bitmap(tmp_path / 'b.png'), image, atol=0.01)


def test_bad_bitmaps():
    with pytest.raises(tk.ImageError, match='height, width'):
        tk.Bitmap(np.zeros((2, 2, 2, 2)))
    with pytest.raises(tk.ImageError, match='pixel format RGB has 3 channels'):
        tk.Bitmap(np.zeros((2, 2, 2)), tk.Bitmap.PixelFormat.RGB)
    with pytest.raises(tk.ImageError, match='an image array'):
        tk.Bitmap({'a': 1})


def test_image_tensors_draw_themselves_in_ipython():
    from tutorial_kit.io.inline_images import tensor_png
    image = tk.TensorXf(dr.full(tk.Float, 0.5, 2 * 2 * 3), shape=(2, 2, 3))
    assert tensor_png(image).startswith(b'\x89PNG')
    assert tensor_png(tk.TensorXf(tk.Float(1, 2, 3, 4), shape=(2, 2, 1, 1))) is None


def test_variant_names():
    assert tk.variant() == f'{tk.backend.name}_ad_rgb'
    tk.set_variant('llvm_ad_spectral', tk.variant())       # the first usable one wins
    assert tk.variant() == f'{tk.backend.name}_ad_rgb'
    with pytest.raises(tk.BackendError, match='llvm_ad_rgb'):
        tk.set_variant('scalar_spectral')
    assert isinstance(tk.__version__, str) and tk.__version__[0].isdigit()


def test_a_render_ending_a_cell_is_drawn(tmp_path):
    """In an IPython shell (as in a notebook kernel) the tensor gets a PNG representation."""
    import subprocess
    import sys
    code = ('from IPython.testing.globalipapp import start_ipython; shell = start_ipython()\n'
            # The test shell shows text only; a notebook kernel shows pictures too.
            'shell.display_formatter.active_types.append("image/png")\n'
            'shell.display_formatter.formatters["image/png"].enabled = True\n'
            'import tutorial_kit as tk\n'
            'image = tk.render(tk.load_file(SCENE, res=8, spp=1), seed=0)\n'
            'data, _ = shell.display_formatter.format(image)\n'
            'print(sorted(data), data["image/png"][:4])\n')
    result = subprocess.run([sys.executable, '-c', f'SCENE = {CBOX_RGB!r}\n' + code],
                            capture_output=True, text=True, timeout=300)
    assert "['image/png', 'text/plain'] b'\\x89PNG'" in result.stdout, result.stderr
