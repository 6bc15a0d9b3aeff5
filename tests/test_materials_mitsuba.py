"""Each BSDF and texture against Mitsuba 3: a sphere under an environment and a lamp.

Both renderers read the same XML: a smooth unit sphere (an OBJ mesh with
normals and texture coordinates) made of the material under test, above a
checkerboard floor, lit by a constant environment and a rectangular lamp,
at 128 samples per pixel. Channel means must agree within 1.5 % and the
mean absolute difference of 8 x 8 block means within 4 % of the image mean
(Mitsuba against itself with another seed: about 0.2 % and 1.2 %).
"""
import os

import numpy as np
import pytest

import tutorial_kit as tk
from helpers import scene_xml, write_sphere_obj

mi = pytest.importorskip('mitsuba')
pytestmark = pytest.mark.mitsuba
SPP = 128

MATERIALS = {
    'diffuse-checkerboard': '''<bsdf type="diffuse"><texture type="checkerboard" name="reflectance">
        <rgb name="color0" value="0.8, 0.2, 0.1"/><rgb name="color1" value="0.1, 0.3, 0.7"/>
        <transform name="to_uv"><scale x="4" y="4"/></transform></texture></bsdf>''',
    'diffuse-bitmap': '''<bsdf type="diffuse"><texture type="bitmap" name="reflectance">
        <string name="filename" value="texture.png"/></texture></bsdf>''',
    'diffuse-bitmap-nearest-mirror': '''<bsdf type="diffuse"><texture type="bitmap" name="reflectance">
        <string name="filename" value="texture.png"/><string name="filter_type" value="nearest"/>
        <string name="wrap_mode" value="mirror"/>
        <transform name="to_uv"><scale x="3" y="2"/></transform></texture></bsdf>''',
    'conductor-au': '<bsdf type="conductor"><string name="material" value="Au"/></bsdf>',
    'conductor-mirror': '<bsdf type="conductor"/>',
    'roughconductor-beckmann-cu': '''<bsdf type="roughconductor"><string name="material" value="Cu"/>
        <float name="alpha" value="0.2"/></bsdf>''',
    'roughconductor-ggx-anisotropic': '''<bsdf type="roughconductor"><string name="distribution" value="ggx"/>
        <float name="alpha_u" value="0.05"/><float name="alpha_v" value="0.3"/>
        <string name="material" value="Al"/></bsdf>''',
    'roughconductor-textured-alpha': '''<bsdf type="roughconductor"><string name="distribution" value="ggx"/>
        <texture type="checkerboard" name="alpha"><float name="color0" value="0.05"/>
        <float name="color1" value="0.4"/></texture></bsdf>''',
    'dielectric': '<bsdf type="dielectric"/>',
    'dielectric-water-tinted': '''<bsdf type="dielectric"><string name="int_ior" value="water"/>
        <rgb name="specular_transmittance" value="0.9, 0.6, 0.3"/></bsdf>''',
    'thindielectric': '<bsdf type="thindielectric"><float name="int_ior" value="1.7"/></bsdf>',
    'roughdielectric-beckmann': '<bsdf type="roughdielectric"><float name="alpha" value="0.15"/></bsdf>',
    'roughdielectric-ggx': '''<bsdf type="roughdielectric"><string name="distribution" value="ggx"/>
        <float name="alpha" value="0.3"/><float name="int_ior" value="1.33"/></bsdf>''',
    'plastic': '<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.1, 0.27, 0.36"/></bsdf>',
    'plastic-nonlinear': '''<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.6, 0.2, 0.1"/>
        <boolean name="nonlinear" value="true"/></bsdf>''',
    'roughplastic-beckmann': '''<bsdf type="roughplastic"><rgb name="diffuse_reflectance" value="0.1, 0.27, 0.36"/>
        <float name="alpha" value="0.2"/></bsdf>''',
    'roughplastic-ggx-textured': '''<bsdf type="roughplastic"><string name="distribution" value="ggx"/>
        <float name="alpha" value="0.08"/><texture type="bitmap" name="diffuse_reflectance">
        <string name="filename" value="texture.png"/></texture></bsdf>''',
    'twosided-roughconductor': '''<bsdf type="twosided"><bsdf type="roughconductor">
        <float name="alpha" value="0.3"/></bsdf></bsdf>''',
}


def sphere_scene(material, size=48):
    return scene_xml(f'''
    <integrator type="path"><integer name="max_depth" value="10"/></integrator>
    <emitter type="constant"><rgb name="radiance" value="0.4, 0.45, 0.5"/></emitter>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.8"/><rotate x="1" angle="160"/>
            <translate x="1.5" y="-1" z="3"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 10"/></emitter>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="4"/><translate z="-1"/></transform>
        <bsdf type="diffuse"><texture type="checkerboard" name="reflectance">
            <rgb name="color0" value="0.7"/><rgb name="color1" value="0.15"/>
            <transform name="to_uv"><scale x="6" y="6"/></transform></texture></bsdf>
    </shape>
    <shape type="obj">
        <string name="filename" value="sphere.obj"/>
        {material}
    </shape>''',
        width=size, height=size, spp=SPP, origin=(0, -4.2, 1.6), target=(0, 0, 0.1), up=(0, 0, 1), fov=35)


@pytest.fixture(scope='module')
def scene_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('materials')
    write_sphere_obj(str(folder / 'sphere.obj'))
    # A texture with distinct corners, so that a flip or a transposition shows.
    rng = np.random.default_rng(3)
    pixels = (rng.random((8, 16, 3)) * 0.8 + 0.1)
    pixels[:4, :8] = [0.9, 0.1, 0.1]
    tk.write_bitmap(str(folder / 'texture.png'), pixels)
    return folder


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image[:h // blocks * blocks, :w // blocks * blocks].reshape(
        blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


def compare(ours, theirs):
    """(relative difference of the means, mean block L1 difference over the image mean)."""
    mean_ours, mean_theirs = ours.mean(), theirs.mean()
    block_l1 = np.abs(block_means(ours) - block_means(theirs)).mean() / mean_theirs
    return abs(mean_ours - mean_theirs) / mean_theirs, block_l1


@pytest.mark.parametrize('name', MATERIALS)
def test_material_matches_mitsuba(name, scene_dir):
    mi.set_variant('llvm_ad_rgb')
    xml = sphere_scene(MATERIALS[name])
    path = os.path.join(scene_dir, f'{name}.xml')
    with open(path, 'w') as file:
        file.write(xml)
    ours = tk.render(tk.load_file(path), spp=SPP, seed=1).numpy()
    theirs = np.array(mi.render(mi.load_file(path), spp=SPP, seed=1))
    mean_error, block_error = compare(ours, theirs)
    assert mean_error < 0.015 and block_error < 0.04, (name, mean_error, block_error)


@pytest.mark.slow
@pytest.mark.parametrize('sensor', [0, 1, 2])
def test_materials_scene_matches_mitsuba(sensor):
    """scenes/materials: bitmap and checkerboard textures, gold, glass, rough plastic."""
    mi.set_variant('llvm_ad_rgb')
    path = os.path.join(os.path.dirname(__file__), '..', 'scenes', 'materials', 'scene.xml')
    ours = tk.render(tk.load_file(path), spp=SPP, seed=1, sensor_index=sensor).numpy()
    theirs = np.array(mi.render(mi.load_file(path), spp=SPP, seed=1, sensor=sensor))
    mean_error, block_error = compare(ours, theirs)
    assert mean_error < 0.015 and block_error < 0.04, (sensor, mean_error, block_error)
