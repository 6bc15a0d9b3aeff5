"""Scenes described in code: Mitsuba 3's ``cornell_box()`` dictionary.

``tk.cornell_box()`` returns the description, not the scene, so that it can
be changed before loading: ``tk.load_dict(tk.cornell_box())``. It is the
box that Mitsuba 3's ``mi.cornell_box()`` describes (its sizes, colours and
camera), built from the same plugins: five walls and a light as
rectangles, two rotated cubes, a path tracer of depth 8 and a 256 x 256
film. The bundled ``scenes/cbox/cbox.xml`` is the measured original
(``../shared/reference/cornell_box.md``); this one is the simpler box of
the Mitsuba 3 tutorials.
"""
from tutorial_kit.core.transform4f import ScalarTransform4f as T

#: Linear RGB reflectances of the three materials.
_MATERIALS = {'white': [0.885809, 0.698859, 0.666422],
              'green': [0.105421, 0.37798, 0.076425],
              'red': [0.570068, 0.0430135, 0.0443706]}

#: The walls: (name, material, placement of the unit rectangle [-1, 1]^2 at z = 0).
_WALLS = [('floor', 'white', lambda: T().translate([0, -1, 0]).rotate([1, 0, 0], -90)),
          ('ceiling', 'white', lambda: T().translate([0, 1, 0]).rotate([1, 0, 0], 90)),
          ('back', 'white', lambda: T().translate([0, 0, -1])),
          ('green-wall', 'green', lambda: T().translate([1, 0, 0]).rotate([0, 1, 0], -90)),
          ('red-wall', 'red', lambda: T().translate([-1, 0, 0]).rotate([0, 1, 0], 90))]

#: The boxes: (name, centre, rotation about y in degrees, half sizes) of the unit cube [-1, 1]^3.
_BOXES = [('small-box', [0.335, -0.7, 0.38], -17, [0.3, 0.3, 0.3]),
          ('large-box', [-0.33, -0.4, -0.28], 18.25, [0.3, 0.61, 0.3])]


def cornell_box():
    """The Cornell box of Mitsuba 3's tutorials as a ``load_dict`` description (a dict)."""
    scene = {'type': 'scene',
             'integrator': {'type': 'path', 'max_depth': 8},
             'sensor': _camera()}
    for name, rgb in _MATERIALS.items():
        scene[name] = {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': list(rgb)}}
    scene['light'] = {
        'type': 'rectangle',
        'to_world': T().translate([0, 0.99, 0.01]).rotate([1, 0, 0], 90).scale([0.23, 0.19, 0.19]),
        'bsdf': {'type': 'ref', 'id': 'white'},
        'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [18.387, 13.9873, 6.75357]}}}
    for name, material, placement in _WALLS:
        scene[name] = {'type': 'rectangle', 'to_world': placement(),
                       'bsdf': {'type': 'ref', 'id': material}}
    for name, centre, degrees, half_sizes in _BOXES:
        scene[name] = {'type': 'cube',
                       'to_world': T().translate(centre).rotate([0, 1, 0], degrees).scale(half_sizes),
                       'bsdf': {'type': 'ref', 'id': 'white'}}
    return scene


def _camera():
    """A pinhole 3.9 units in front of the box, 256 x 256 pixels, 64 samples each."""
    return {'type': 'perspective', 'fov_axis': 'smaller', 'fov': 39.3077,
            'near_clip': 0.001, 'far_clip': 100.0, 'focus_distance': 1000,
            'to_world': T().look_at(origin=[0, 0, 3.9], target=[0, 0, 0], up=[0, 1, 0]),
            'sampler': {'type': 'independent', 'sample_count': 64},
            'film': {'type': 'hdrfilm', 'width': 256, 'height': 256, 'rfilter': {'type': 'gaussian'},
                     'pixel_format': 'rgb', 'component_format': 'float32'}}
