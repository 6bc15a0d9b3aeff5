"""Plugins written against Mitsuba 3's Python API give Mitsuba 3's images and derivatives here.

The very same classes (``student_rb_plugins.py``) run in both renderers: a
direct-light integrator with path replay, a radiance field in Dr.Jit 3D
textures, a diffuse BSDF. Images agree within Monte Carlo noise, and so do
the derivatives in reverse mode (gradients of a weighted sum of the image)
and forward mode (derivative images; Mitsuba 3 cannot take a forward-mode
derivative through a texture that a Python plugin holds, so the radiance
field's is checked against finite differences in ``test_radiance_fields.py``). Also checked against Mitsuba 3: the
pieces of its radiance-field tutorial (bounding-box ray tests, Kensler's
permutation, the minibatches of ``RayDataLoader``) and the ``volume``
texture on a ``gridvolume``.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import scene_xml
import student_rb_plugins

pytestmark = pytest.mark.mitsuba

SCENE = '''
    <integrator type="{integrator}"/>
    <shape type="rectangle" id="floor">
        <transform name="to_world"><scale value="2"/></transform>
        <bsdf type="{bsdf}" id="floor_bsdf"><rgb name="reflectance" value="0.6, 0.5, 0.4"/></bsdf>
    </shape>
    <shape type="sphere">
        <float name="radius" value="0.4"/><point name="center" x="0.3" y="0.2" z="0.6"/>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.3"/></bsdf>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="180"/><translate value="0, 0, 3"/></transform>
        <emitter type="area"><rgb name="radiance" value="12"/></emitter>
    </shape>'''


def floor_key(params):
    """The floor's reflectance: Mitsuba 3 names a Python BSDF by its place
    (``floor.bsdf.reflectance``), a built-in one by its id."""
    return next(key for key in params.keys() if key.startswith('floor') and 'reflectance' in key)


def scene_text(integrator='student_direct_replay', bsdf='student_lambert', size=16, spp=64):
    return scene_xml(SCENE.format(integrator=integrator, bsdf=bsdf), width=size, height=size, spp=spp,
                     origin=(0, -6, 5), target=(0, 0, 0.3), up=(0, 0, 1), fov=45)


@pytest.fixture(scope='module')
def mi():
    mitsuba = pytest.importorskip('mitsuba')
    mitsuba.set_variant('llvm_ad_rgb')
    for renderer in (mitsuba, tk):
        plugins = student_rb_plugins.load_for(renderer)
        renderer.register_integrator('student_direct_replay', lambda props, p=plugins: p.DirectReplay(props))
        renderer.register_bsdf('student_lambert', lambda props, p=plugins: p.Lambert(props))
    return mitsuba


def block_means(image, block=4):
    h, w, c = image.shape
    return image.reshape(h // block, block, w // block, block, c).mean(axis=(1, 3))


def assert_images_agree(theirs, ours, mean_rel=0.03, block_rel=0.08):
    assert np.abs(theirs).mean() > 0
    assert ours.mean() == pytest.approx(theirs.mean(), rel=mean_rel, abs=1e-6)
    difference = np.abs(block_means(theirs) - block_means(ours))
    assert difference.max() < block_rel * np.abs(block_means(theirs)).max()


def reverse_gradient(renderer, scene, params, weights, spp, seed):
    key = floor_key(params)
    dr.enable_grad(params[key])
    params.update()
    image = renderer.render(scene, params, spp=spp, seed=seed, seed_grad=seed + 1)
    dr.backward(dr.sum(image * type(image)(weights), axis=None))
    return np.array(dr.grad(params[key])).ravel()


def forward_image(renderer, scene, params, spp, seed):
    key = floor_key(params)
    dr.enable_grad(params[key])
    dr.set_grad(params[key], 1.0)
    params.update()
    image = renderer.render(scene, params, spp=spp, seed=seed, seed_grad=seed + 1)
    return np.array(dr.forward_to(image))


@pytest.mark.parametrize('bsdf', ['student_lambert', 'diffuse'])
def test_user_integrator_image_agrees(mi, bsdf):
    text = scene_text(bsdf=bsdf, spp=256)
    theirs = np.array(mi.render(mi.load_string(text), seed=1))
    ours = tk.render(tk.load_string(text), seed=2).numpy()
    assert_images_agree(theirs, ours)


def test_user_bsdf_with_the_path_integrator_agrees(mi):
    text = scene_text(integrator='path', spp=256)
    theirs = np.array(mi.render(mi.load_string(text), seed=1))
    ours = tk.render(tk.load_string(text), seed=2).numpy()
    assert_images_agree(theirs, ours)


@pytest.mark.parametrize('integrator', ['student_direct_replay', 'prb'])
def test_reverse_mode_gradient_of_a_user_bsdf_agrees(mi, integrator):
    text = scene_text(integrator=integrator, spp=64)
    weights = np.random.default_rng(0).uniform(size=(16, 16, 3)).astype(np.float32)
    theirs_scene = mi.load_string(text)
    theirs = reverse_gradient(mi, theirs_scene, mi.traverse(theirs_scene), weights, 256, 1)
    ours_scene = tk.load_string(text)
    ours = reverse_gradient(tk, ours_scene, tk.traverse(ours_scene), weights, 256, 5)
    assert np.all(theirs > 1)
    assert np.allclose(ours, theirs, rtol=0.03)


def test_forward_mode_image_of_a_user_integrator_agrees(mi):
    text = scene_text(spp=64)
    theirs_scene = mi.load_string(text)
    theirs = forward_image(mi, theirs_scene, mi.traverse(theirs_scene), 256, 1)
    ours_scene = tk.load_string(text)
    ours = forward_image(tk, ours_scene, tk.traverse(ours_scene), 256, 5)
    assert_images_agree(theirs, ours)


# -- a radiance field in Dr.Jit textures --------------------------------------------------------

def field_scene(renderer, size=16):
    sensor = {'type': 'perspective', 'fov': 45,
              'to_world': renderer.ScalarTransform4f().look_at(origin=[1.6, 1.3, 2.2], target=[0.5, 0.5, 0.5],
                                                               up=[0, 1, 0]),
              'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'rfilter': {'type': 'box'}}}
    return renderer.load_dict({'type': 'scene', 'sensor': sensor, 'emitter': {'type': 'constant'}})


def field_with_pattern(renderer):
    """The radiance field with densities and colours that vary from voxel to voxel."""
    plugins = student_rb_plugins.load_for(renderer)
    field = plugins.RadianceField()
    params = renderer.traverse(field)
    rng = np.random.default_rng(4)
    params['density'] = renderer.TensorXf(rng.uniform(0, 3, (4, 4, 4, 1)).astype(np.float32))
    params['colour'] = renderer.TensorXf(rng.uniform(0, 1, (4, 4, 4, 3)).astype(np.float32))
    params.update()
    return field, params


def test_radiance_field_image_and_gradients_agree(mi):
    images, gradients = [], []
    weights = np.random.default_rng(1).uniform(size=(16, 16, 3)).astype(np.float32)
    for renderer, seed in ((mi, 1), (tk, 7)):
        scene = field_scene(renderer)
        field, params = field_with_pattern(renderer)
        images.append(np.array(renderer.render(scene, integrator=field, spp=512, seed=seed)))
        # As the gallery's tutorial does: the optimizer's values are the parameters.
        opt = renderer.ad.Adam(lr=0.01, params={key: params[key] for key in ('density', 'colour')})
        params.update(opt)
        image = renderer.render(scene, params, integrator=field, spp=256, seed=seed, seed_grad=seed + 1)
        dr.backward(dr.sum(image * type(image)(weights), axis=None))
        gradients.append([np.array(dr.grad(opt[key])).ravel() for key in ('density', 'colour')])
    assert_images_agree(*images, mean_rel=0.01, block_rel=0.03)
    for theirs, ours in zip(*gradients):
        assert np.linalg.norm(theirs) > 0
        assert np.linalg.norm(ours - theirs) < 0.05 * np.linalg.norm(theirs)


# -- the tutorial's tools ---------------------------------------------------------------------

def test_bounding_box_ray_test_agrees(mi):
    rng = np.random.default_rng(2)
    o = rng.uniform(-2, 3, (3, 500)).astype(np.float32)
    d = (rng.uniform(0, 1, (3, 500)) - o + rng.normal(scale=0.5, size=(3, 500))).astype(np.float32)
    d[0, :50] = 0                     # rays parallel to a slab
    results = []
    for renderer in (mi, tk):
        box = renderer.ScalarBoundingBox3f([0.0, -0.5, 0.2], [1.0, 1.0, 0.7])
        ray = renderer.Ray3f(renderer.Point3f(*o), dr.normalize(renderer.Vector3f(*d)))
        results.append([np.array(v) for v in box.ray_intersect(ray)])
    (hit_m, mint_m, maxt_m), (hit_t, mint_t, maxt_t) = results
    assert np.array_equal(hit_m, hit_t) and 50 < hit_t.sum() < 450
    assert np.allclose(mint_m[hit_m], mint_t[hit_m], atol=1e-5)
    assert np.allclose(maxt_m[hit_m], maxt_t[hit_m], atol=1e-5)


@pytest.mark.parametrize('count, seed', [(1, 3), (10, 0), (192, 5), (1000, 123456)])
def test_kensler_permutation_is_mitsubas(mi, count, seed):
    ours = tk.permute_kensler(dr.arange(tk.UInt32, count), count, seed).numpy()
    theirs = np.array(mi.permute_kensler(dr.arange(mi.UInt32, count), count, seed))
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize('tile_size, batch', [(4, 64), (1, 60), (3, 70), (16, 64)])
def test_ray_loader_batches_are_mitsubas(mi, tile_size, batch):
    """The same targets in the same order, batch after batch (a pass and the next)."""
    rng = np.random.default_rng(3)
    pictures = [rng.uniform(size=(10, 12, 4)).astype(np.float32) for _ in range(2)]
    batches = []
    for renderer in (mi, tk):
        sensors = [renderer.load_dict({'type': 'perspective', 'film': {
            'type': 'hdrfilm', 'width': 12, 'height': 10, 'pixel_format': 'rgba', 'sample_border': False}})
            for _ in pictures]
        loader = renderer.ad.loaders.RayDataLoader(sensors, [renderer.TensorXf(p) for p in pictures],
                                                   pixels_per_batch=batch, seed=2, tile_size=tile_size)
        batches.append([np.array(loader.next()[0]) for _ in range(loader.iter_shuffle + 1)])
        assert loader.pixel_batch_multiplier == pytest.approx(240 / batch)
    for theirs, ours in zip(*batches):
        assert ours.shape == (1, batch, 4)
        assert np.array_equal(ours, theirs)


def test_volume_texture_on_a_grid_agrees(mi, tmp_path):
    rng = np.random.default_rng(5)
    values = rng.uniform(size=(3, 4, 5, 3)).astype(np.float32)
    header = np.array([3, 0, 0, 0], np.uint8).tobytes()
    path = tmp_path / 'grid.vol'
    path.write_bytes(b'VOL' + bytes([3]) + np.array([1, 5, 4, 3, 3], '<i4').tobytes()
                     + np.array([0, 0, 0, 1, 1, 1], '<f4').tobytes() + values.tobytes())
    del header
    body = f'''<integrator type="direct"/>
        <shape type="rectangle">
            <bsdf type="diffuse"><texture type="volume" name="reflectance">
                <volume type="gridvolume" name="volume"><string name="filename" value="{path}"/>
                    <transform name="to_world"><translate value="-1, -1, -0.5"/><scale value="2"/></transform>
                </volume></texture></bsdf>
        </shape>
        <emitter type="constant"/>'''
    text = scene_xml(body, width=16, height=16, spp=64)
    theirs = np.array(mi.render(mi.load_string(text), seed=1))
    ours = tk.render(tk.load_string(text), seed=2).numpy()
    assert_images_agree(theirs, ours, mean_rel=0.02, block_rel=0.06)


# -- Mitsuba 3's own Python integrator, run here unchanged ---------------------------------------

def mitsuba_prb_basic(mi, renderer):
    """The source of Mitsuba 3's ``prb_basic`` integrator (shipped with its package),
    executed with ``mitsuba`` meaning ``renderer``, registered as ``student_prb_basic``."""
    import importlib.util
    import linecache
    import sys
    spec = importlib.util.find_spec('mitsuba.python.ad.integrators.prb_basic')
    if spec is None or spec.origin is None:
        pytest.skip('this Mitsuba 3 has no prb_basic source')
    source = open(spec.origin).read()
    common = 'tutorial_kit.ad.integrators.common' if renderer is tk else 'mitsuba.python.ad.integrators.common'
    source = source.replace('from .common import', f'from {common} import')
    source = source.replace('"prb_basic"', '"student_prb_basic"')
    name = f'prb_basic_for_{renderer.__name__}'
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)   # @dr.syntax reads it
    saved = sys.modules['mitsuba']
    sys.modules['mitsuba'] = renderer
    try:
        exec(compile(source, name, 'exec'), {'__name__': name})
    finally:
        sys.modules['mitsuba'] = saved


def test_mitsubas_prb_basic_source_runs_here_with_its_images_and_gradients(mi):
    results = []
    for renderer, seed in ((mi, 1), (tk, 5)):
        mitsuba_prb_basic(mi, renderer)
        # Under a sky: prb_basic samples the BSDF only, and would rarely find a small lamp.
        body = SCENE.format(integrator='student_prb_basic', bsdf='diffuse').replace(
            '<integrator type="student_prb_basic"/>',
            '<integrator type="student_prb_basic"><integer name="max_depth" value="4"/></integrator>'
            '<emitter type="constant"><rgb name="radiance" value="1"/></emitter>')
        scene = renderer.load_string(scene_xml(body, width=16, height=16, origin=(0, -6, 5),
                                               target=(0, 0, 0.3), up=(0, 0, 1), fov=45))
        image = np.array(renderer.render(scene, spp=256, seed=seed))
        params = renderer.traverse(scene)
        gradient = reverse_gradient(renderer, scene, params, np.ones((16, 16, 3), np.float32), 256, seed)
        results.append((image, gradient))
    (theirs, their_gradient), (ours, our_gradient) = results
    assert_images_agree(theirs, ours)
    assert np.all(their_gradient > 1)
    assert np.allclose(our_gradient, their_gradient, rtol=0.04)


# -- a BSDF that keeps the Dr.Jit colour it was given -------------------------------------------

def phong_like_bsdf(mi):
    """A diffuse-plus-highlight BSDF that stores ``props.get('diffuse')`` itself,
    a ``Color3f`` given in the scene dictionary, and hands it to ``traverse``."""
    class KeptColour(mi.BSDF):
        def __init__(self, props):
            mi.BSDF.__init__(self, props)
            self.diffuse = props.get('diffuse')
            self.m_components = [mi.BSDFFlags.DiffuseReflection | mi.BSDFFlags.FrontSide]
            self.m_flags = self.m_components[0]

        def sample(self, ctx, si, sample1, sample2, active):
            bs = mi.BSDFSample3f()
            bs.wo = mi.warp.square_to_cosine_hemisphere(sample2)
            bs.pdf = mi.warp.square_to_cosine_hemisphere_pdf(bs.wo)
            bs.eta = 1.0
            bs.sampled_type = mi.UInt32(+mi.BSDFFlags.DiffuseReflection)
            bs.sampled_component = mi.UInt32(0)
            active &= (mi.Frame3f.cos_theta(si.wi) > 0) & (bs.pdf > 0)
            return bs, dr.select(active, self.eval(ctx, si, bs.wo, active) / bs.pdf, 0)

        def eval(self, ctx, si, wo, active):
            cos_i, cos_o = mi.Frame3f.cos_theta(si.wi), mi.Frame3f.cos_theta(wo)
            h = dr.normalize(si.wi + wo)
            highlight = 0.2 * 32 / (2 * dr.pi) * dr.power(dr.maximum(mi.Frame3f.cos_theta(h), 0), 30)
            value = (self.diffuse * dr.inv_pi + highlight) * cos_o
            return dr.select((cos_i > 0) & (cos_o > 0) & active, value, 0)

        def pdf(self, ctx, si, wo, active):
            return dr.select(mi.Frame3f.cos_theta(wo) > 0, mi.warp.square_to_cosine_hemisphere_pdf(wo), 0)

        def eval_pdf(self, ctx, si, wo, active):
            return self.eval(ctx, si, wo, active), self.pdf(ctx, si, wo, active)

        def traverse(self, callback):
            callback.put('diffuse', self.diffuse, mi.ParamFlags.Differentiable)

        def parameters_changed(self, keys):
            pass
    mi.register_bsdf('kept_colour', lambda props: KeptColour(props))


def test_a_colour_given_as_a_dr_jit_array_is_the_plugins_own_with_its_derivatives(mi):
    """``props.get`` returns the very Color3f of the dictionary (as Mitsuba 3 does), so
    that enabling derivatives on the parameter reaches what the BSDF evaluates."""
    results = []
    for renderer, seed in ((mi, 1), (tk, 2)):
        phong_like_bsdf(renderer)
        scene = renderer.load_dict({
            'type': 'scene', 'integrator': {'type': 'path', 'max_depth': 3},
            'sensor': {'type': 'perspective', 'fov': 40,
                       'to_world': renderer.ScalarTransform4f().look_at(origin=[0, 1, 4], target=[0, 0, 0],
                                                                        up=[0, 1, 0]),
                       'film': {'type': 'hdrfilm', 'width': 16, 'height': 16, 'rfilter': {'type': 'box'}}},
            'ball': {'type': 'sphere', 'bsdf': {'type': 'kept_colour', 'diffuse': renderer.Color3f(0.7, 0.4, 0.2)}},
            'light': {'type': 'point', 'position': [2, 3, 2], 'intensity': {'type': 'rgb', 'value': [20, 20, 20]}},
            'sky': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': [0.2, 0.2, 0.2]}}})
        image = np.array(renderer.render(scene, spp=256, seed=seed))
        params = renderer.traverse(scene)
        dr.enable_grad(params['ball.bsdf.diffuse'])
        params.update()
        dr.backward(dr.mean(renderer.render(scene, params, spp=256, seed=seed), axis=None))
        results.append((image, dr.grad(params['ball.bsdf.diffuse']).numpy().ravel()))
    (theirs, their_gradient), (ours, our_gradient) = results
    assert_images_agree(theirs, ours)
    assert np.all(their_gradient > 0.01)
    assert np.allclose(our_gradient, their_gradient, rtol=0.03)
