"""Plugins written in Python: Properties lookups, registration, traversal flags, rendering, derivatives.

A stripes texture defined here (as a user would in a notebook) is registered
with ``tk.register_texture``, loaded from XML and from a dictionary, printed,
traversed, assigned, updated, rendered, and its derivative compared with
finite differences through ``tk.render``.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import registry


class Stripes(tk.Texture):
    """Stripes along u: ``count`` stripes of colour ``tint``, separated by dark grey."""

    def __init__(self, props):
        tk.Texture.__init__(self, props)
        self.tint = tk.Color3f(props['tint'])
        self.count = props.get('count', 4.0)
        self.changes = []

    def eval(self, si, active=True):
        stripe = dr.floor(si.uv.x * self.count)
        lit = stripe - 2 * dr.floor(stripe / 2) == 0
        return dr.select(lit, self.tint, tk.Color3f(0.1))

    def eval_1(self, si, active=True):
        color = self.eval(si, active)
        return (color.x + color.y + color.z) / 3

    def mean(self):
        tint = dr.detach(self.tint)
        return ((tint.x + tint.y + tint.z) / 3 + 0.1) / 2

    def traverse(self, callback):
        callback.put('tint', self.tint, tk.ParamFlags.Differentiable)
        callback.put('count', self.count, tk.ParamFlags.NonDifferentiable)

    def parameters_changed(self, keys=None):
        self.changes.append(set(keys))


class Described(Stripes):
    """The same stripes, describing themselves."""

    def to_string(self):
        return f'Described[tint={self.tint}]'


@pytest.fixture(autouse=True)
def stripes_registered():
    tk.register_texture('stripes', lambda props: Stripes(props))
    tk.register_texture('described', Described)
    yield
    for name in ('stripes', 'described'):
        registry.REGISTRY.pop(('texture', name), None)
        registry._FROM_USER_CODE.discard(('texture', name))


SCENE_XML = """<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="3"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world"><lookat origin="0, -3, 3" target="0, 0, 0" up="0, 0, 1"/></transform>
        <film type="hdrfilm"><integer name="width" value="24"/><integer name="height" value="16"/>
            <rfilter type="box"/></film>
    </sensor>
    <emitter type="constant"><rgb name="radiance" value="0.9"/></emitter>
    <shape type="rectangle" id="floor">
        <bsdf type="diffuse">
            <texture type="stripes" name="reflectance">
                <rgb name="tint" value="0.2, 0.7, 0.4"/>
                <float name="count" value="3"/>
            </texture>
        </bsdf>
    </shape>
</scene>"""


def scene_dict():
    """SCENE_XML as a dictionary."""
    return {
        'type': 'scene',
        'integrator': {'type': 'path', 'max_depth': 3},
        'sensor': {'type': 'perspective', 'fov': 40.0,
                   'to_world': tk.ScalarTransform4f().look_at(origin=[0, -3, 3], target=[0, 0, 0],
                                                              up=[0, 0, 1]),
                   'film': {'type': 'hdrfilm', 'width': 24, 'height': 16,
                            'rfilter': {'type': 'box'}}},
        'light': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': 0.9}},
        'floor': {'type': 'rectangle',
                  'bsdf': {'type': 'diffuse',
                           'reflectance': {'type': 'stripes', 'count': 3.0,
                                           'tint': {'type': 'rgb', 'value': [0.2, 0.7, 0.4]}}}},
    }


KEY = 'floor.bsdf.reflectance.tint'


def as_numpy(image):
    return np.asarray(image.numpy(), dtype=np.float64)


# -- Properties as Python plugins read them ------------------------------------------------

def test_properties_lookups_from_xml():
    seen = {}

    def remember(props):
        seen['props'] = props
        seen['values'] = {name: props[name] for name in props.keys()}
        return Stripes(props)

    tk.register_texture('probe', remember)
    try:
        tk.load_string("""<scene version="3.0.0"><shape type="rectangle"><bsdf type="diffuse">
            <texture type="probe" name="reflectance" id="stripes_1">
                <rgb name="tint" value="0.1, 0.2, 0.3"/><float name="f" value="2.5"/>
                <integer name="i" value="3"/><boolean name="b" value="true"/>
                <string name="s" value="text"/><point name="p" value="1, 2, 3"/>
                <transform name="t"><translate x="1" y="2" z="3"/></transform>
            </texture></bsdf></shape></scene>""")
    finally:
        registry.REGISTRY.pop(('texture', 'probe'))
    props, values = seen['props'], seen['values']
    assert props.id() == 'stripes_1' and props.plugin_name() == 'probe'
    assert props.keys() == ['tint', 'f', 'i', 'b', 's', 'p', 't']
    assert 'tint' in props and props.has_property('f') and 'missing' not in props
    assert np.allclose(tk.Color3f(values['tint']).numpy().ravel(), [0.1, 0.2, 0.3])
    assert values['f'] == 2.5 and values['i'] == 3 and values['b'] is True and values['s'] == 'text'
    assert list(values['p']) == [1, 2, 3]
    assert isinstance(values['t'], tk.ScalarTransform4f)
    assert np.allclose(values['t'].matrix[:3, 3], [1, 2, 3])
    assert props.get('missing', 7.5) == 7.5 and props.get('f') == 2.5
    with pytest.raises(tk.PluginError, match='has no parameter "missing"'):
        props['missing']


def test_properties_set_from_python():
    props = tk.Properties('stripes')
    props['tint'] = [0.5, 0.25, 1.0]
    props['count'] = 6
    props['count'] = 8                      # replacing is allowed, as in Mitsuba
    props['flag'] = True
    props['name'] = 'x'
    props['to_world'] = tk.ScalarTransform4f().scale(2)
    assert props.keys() == ['tint', 'count', 'flag', 'name', 'to_world']
    assert props['count'] == 8 and props.kind('count') == 'integer' and props.kind('flag') == 'boolean'
    assert np.allclose(props.transform('to_world')[:3, :3], 2 * np.eye(3))
    texture = Stripes(props)
    assert np.allclose(texture.tint.numpy().ravel(), [0.5, 0.25, 1.0]) and texture.count == 8
    assert props.id() == '' and texture.id == '' and texture.id() == ''
    with pytest.raises(tk.PluginError, match='cannot be a dict'):
        props['bad'] = {'a': 1}
    with pytest.raises(tk.PluginError, match='cannot be a NoneType'):
        props['bad'] = None


def test_missing_parameter_names_file_and_line():
    with pytest.raises(tk.PluginError, match=r'<string>:3: plugin "stripes" has no parameter "tint"'):
        tk.load_string("""<scene version="3.0.0"><shape type="rectangle"><bsdf type="diffuse">
            <float name="x" value="1"/>
            <texture type="stripes" name="reflectance"/></bsdf></shape></scene>""")


# -- registration ---------------------------------------------------------------------------

def test_register_functions_follow_mitsuba():
    for category in ('bsdf', 'emitter', 'film', 'integrator', 'rfilter', 'sampler', 'sensor',
                     'shape', 'texture'):
        assert callable(getattr(tk, f'register_{category}'))


@pytest.mark.parametrize('call, message', [
    (lambda: tk.register_plugin('material', 'x', Stripes), "unknown plugin category 'material'"),
    (lambda: tk.register_plugin('scene', 'x', Stripes), 'the scene cannot be replaced'),
    (lambda: tk.register_texture('', Stripes), 'non-empty word'),
    (lambda: tk.register_texture('two words', Stripes), 'non-empty word'),
    (lambda: tk.register_texture('stripes2', 'Stripes'), 'must be callable'),
])
def test_registration_errors(call, message):
    before = dict(registry.REGISTRY)
    with pytest.raises(tk.PluginError, match=message):
        call()
    assert registry.REGISTRY == before


def test_registered_decorator_refuses_unknown_category():
    with pytest.raises(tk.PluginError, match='unknown plugin category'):
        registry.register('materials', 'x')(Stripes)


def test_constructor_of_the_wrong_kind_is_refused():
    tk.register_bsdf('not_a_bsdf', lambda props: Stripes(props))
    try:
        with pytest.raises(tk.PluginError, match=r'<string>:1: the constructor of bsdf plugin '
                                                 r'"not_a_bsdf" returned a Stripes, not a BSDF'):
            tk.load_string('<scene version="3.0.0"><shape type="rectangle"><bsdf type="not_a_bsdf">'
                           '<rgb name="tint" value="1"/></bsdf></shape></scene>')
    finally:
        registry.REGISTRY.pop(('bsdf', 'not_a_bsdf'))


def test_failing_constructor_is_reported_as_plugin_error():
    def broken(props):
        raise ZeroDivisionError('oops')
    tk.register_texture('broken', broken)
    try:
        with pytest.raises(tk.PluginError, match='constructor of texture plugin "broken" failed: '
                                                 'ZeroDivisionError: oops'):
            tk.load_dict({'type': 'broken'})
    finally:
        registry.REGISTRY.pop(('texture', 'broken'))


# -- the stripes texture in a scene ----------------------------------------------------------

def test_loaded_from_xml_and_dict_render_the_same():
    # A box filter one pixel wide sums each pixel's samples in order, so the
    # same seed gives the same image bit for bit (wider filters add samples
    # into pixels in whatever order threads reach them).
    from_xml, from_dict = tk.load_string(SCENE_XML), tk.load_dict(scene_dict())
    assert type(from_dict.shapes()[0].bsdf().reflectance) is Stripes
    images = [as_numpy(tk.render(scene, spp=4, seed=3)) for scene in (from_xml, from_dict)]
    assert np.array_equal(images[0], images[1])
    # The stripes show: the tint's green dominates some pixels, dark grey others.
    image = images[0]
    assert np.mean(image[..., 1] > 2 * image[..., 0]) > 0.05
    assert np.mean(image.max(axis=-1) < 0.2) > 0.05


def test_printed_with_its_parameters_or_its_own_description():
    texture = tk.load_dict({'type': 'stripes', 'tint': [0.2, 0.7, 0.4], 'count': 5.0})
    assert repr(texture).startswith('Stripes[') and 'tint = [[0.2, 0.7, 0.4]]' in repr(texture)
    assert 'count = 5.0' in repr(texture)
    described = tk.load_dict({'type': 'described', 'tint': [0.2, 0.7, 0.4]})
    assert repr(described) == f'Described[tint={described.tint}]'


def test_traversed_with_flags():
    scene = tk.load_string(SCENE_XML)
    params = tk.traverse(scene)
    assert KEY in params and 'floor.bsdf.reflectance.count' in params
    assert params.flags(KEY) == tk.ParamFlags.Differentiable
    assert params.is_differentiable(KEY)
    assert not params.is_differentiable('floor.bsdf.reflectance.count')
    assert params.parameter(KEY).kind is tk.ParamKind.COLOR
    assert params.parameter('floor.bsdf.reflectance.count').kind is tk.ParamKind.SCALAR
    lines = [line.rstrip(',') for line in repr(params).splitlines()]
    assert f'  * {KEY}' in lines and '    floor.bsdf.reflectance.count' in lines
    # Mitsuba's flags for the mesh data.
    assert params.flags('floor.vertex_positions') == tk.ParamFlags.Discontinuous
    assert params.flags('floor.vertex_count') == tk.ParamFlags.NonDifferentiable | tk.ParamFlags.ReadOnly


def test_assigned_updated_and_rendered():
    scene = tk.load_string(SCENE_XML)
    texture = scene.shapes()[0].bsdf().reflectance
    params = tk.traverse(scene)
    before = as_numpy(tk.render(scene, spp=4, seed=1))
    params[KEY] = [0.9, 0.1, 0.1]
    params['floor.bsdf.reflectance.count'] = 2
    assert texture.count == 2.0 and isinstance(texture.count, float)
    assert params.update() == ['floor.bsdf.reflectance.count', KEY]
    assert texture.changes == [{KEY, 'floor.bsdf.reflectance.count'}]
    assert np.allclose(params[KEY].numpy().ravel(), [0.9, 0.1, 0.1])
    after = as_numpy(tk.render(scene, spp=4, seed=1))
    # Red stripes now, and fewer of them (2 instead of 3: half the floor instead of two thirds).
    assert np.mean(after[..., 0] > 2 * after[..., 1]) > 0.05 and np.mean(before[..., 0] > 2 * before[..., 1]) == 0


@pytest.mark.parametrize('value, message', [
    ([1, 2], 'an RGB colour of 3 numbers'),
    ('red', 'expects an RGB colour'),
    ([np.nan, 0, 0], 'finite'),
])
def test_bad_assignment_keeps_the_old_value(value, message):
    scene = tk.load_string(SCENE_XML)
    params = tk.traverse(scene)
    with pytest.raises(tk.ParameterError, match=message):
        params[KEY] = value
    assert np.allclose(params[KEY].numpy().ravel(), [0.2, 0.7, 0.4])
    with pytest.raises(tk.ParameterError, match='read-only'):
        params['floor.vertex_count'] = 3


def test_derivative_matches_finite_differences():
    scene = tk.load_string(SCENE_XML)
    check = tk.check_gradient(scene, KEY, direction=[1.0, 0.5, -0.5], spp=4, seed=2)
    assert abs(check.finite_difference) > 1e-3
    assert check.relative_error < 1e-2, check


def test_path_replay_swaps_the_attribute_and_restores_it():
    scene = tk.load_string(SCENE_XML)
    texture = scene.shapes()[0].bsdf().reflectance
    params = tk.traverse(scene)
    tint = params[KEY]
    dr.enable_grad(tint)
    image = tk.render(scene, params=params, spp=2, seed=4)
    dr.backward(dr.mean(image, axis=None))
    grad = dr.grad(tint).numpy().ravel()
    assert np.all(grad > 0) and texture.tint is tint


def test_ambiguous_attribute_is_refused():
    class Twice(Stripes):
        def __init__(self, props):
            super().__init__(props)
            self.alias = self.tint

        def traverse(self, callback):
            callback.put('colour', self.tint, tk.ParamFlags.Differentiable)
    tk.register_texture('twice', Twice)
    try:
        texture = tk.load_dict({'type': 'twice', 'tint': [0.1, 0.2, 0.3]})
        with pytest.raises(tk.PluginError, match=r'found several \(tint, alias\)'):
            tk.traverse(texture)
    finally:
        registry.REGISTRY.pop(('texture', 'twice'))
