"""Same file, same picture: compare against Mitsuba 3 (skipped when it is not installed).

Both renderers read the same XML (written with ``rgb`` values, so no spectral
conversion differs) and render 128 samples per pixel. Channel means must
agree within 1.5 %, and the means of an 8 x 8 grid of blocks within a few
percent: this catches wrong orientation, brightness, colour, filtering and
camera conventions, while Monte Carlo noise averages out.
"""
import os

import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX_RGB, SECOND

mi = pytest.importorskip('mitsuba')
pytestmark = [pytest.mark.mitsuba, pytest.mark.slow]
SPP = 128


@pytest.fixture(scope='module', autouse=True)
def mitsuba_variant():
    mi.set_variant('llvm_ad_rgb')


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image[:h // blocks * blocks, :w // blocks * blocks].reshape(
        blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


def welded_obj(path, target):
    """Write ``path``'s OBJ again with vertices merged by position and no normals."""
    positions, faces, index = {}, [], []
    with open(path) as lines:
        for line in lines:
            words = line.split()
            if words[:1] == ['v']:
                index.append(positions.setdefault(tuple(words[1:4]), len(positions)) + 1)
            elif words[:1] == ['f']:
                faces.append([index[int(word.split('/')[0]) - 1] for word in words[1:]])
    with open(target, 'w') as out:
        out.writelines(f'v {" ".join(p)}\n' for p in positions)
        out.writelines(f'f {" ".join(map(str, f))}\n' for f in faces)


def welded_cbox(directory, integrator_options=''):
    """The Cornell box with welded boxes (Mitsuba then shades them smoothly) at 256 x 256."""
    meshes = os.path.join(os.path.dirname(CBOX_RGB), 'meshes')
    text = open(CBOX_RGB).read().replace('value="meshes/', f'value="{meshes}/')
    for box in ('cbox_smallbox', 'cbox_largebox'):
        target = os.path.join(directory, f'{box}.obj')
        welded_obj(os.path.join(meshes, f'{box}.obj'), target)
        text = text.replace(f'{meshes}/{box}.obj', target)
    text = text.replace('value="512"', 'value="256"')
    text = text.replace('<integrator type="path">', f'<integrator type="path">{integrator_options}')
    path = os.path.join(directory, 'cbox_welded.xml')
    with open(path, 'w') as out:
        out.write(text)
    return path


SCENES = {
    'cbox': lambda directory: CBOX_RGB,
    'second': lambda directory: SECOND,
    'welded': welded_cbox,
    'hidden emitters': lambda directory: welded_cbox(
        directory, '<boolean name="hide_emitters" value="true"/>'),
}


@pytest.mark.parametrize('name', SCENES)
def test_same_picture_as_mitsuba(name, tmp_path):
    # The worst of 192 block channels; at 256 x 256 (the welded scenes) each block
    # holds a quarter of the samples, so noise alone reaches about 3 % there.
    block_tolerance = 0.03 if name in ('cbox', 'second') else 0.04
    path = SCENES[name](str(tmp_path))
    ours = tk.render(tk.load_file(path), spp=SPP, seed=1).numpy()
    theirs = np.array(mi.render(mi.load_file(path), spp=SPP, seed=1))
    assert ours.shape == theirs.shape
    channel_ours, channel_theirs = ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1))
    assert np.allclose(channel_ours, channel_theirs, rtol=0.015), (channel_ours, channel_theirs)
    a, b = block_means(ours), block_means(theirs)
    # Relative to each block's brightness, but not below 1 % of the image mean (dark corners).
    scale = np.maximum(b, 0.01 * channel_theirs)
    worst = np.abs(a - b) / scale
    assert worst.max() < block_tolerance, np.unravel_index(worst.argmax(), worst.shape)


@pytest.mark.parametrize('camera, size', [
    ('', (768, 576)),                                                   # all defaults: 50 mm
    ('<string name="focal_length" value="35mm"/>', (200, 100)),
    ('<string name="focal_length" value="50mm"/>', (100, 300)),
    ('<float name="fov" value="30"/><string name="fov_axis" value="y"/>', (200, 100)),
    ('<float name="fov" value="50"/><string name="fov_axis" value="diagonal"/>', (120, 90)),
])
def test_field_of_view_as_mitsuba_reads_it(camera, size):
    """A focal length fixes the angle across the 35 mm frame's diagonal, whatever the
    film's shape; a fov is measured along fov_axis. Compared as Mitsuba's x_fov."""
    width, height = size
    xml = (f'<scene version="3.0.0"><sensor type="perspective">{camera}<film type="hdrfilm">'
           f'<integer name="width" value="{width}"/><integer name="height" value="{height}"/>'
           f'</film></sensor></scene>')
    theirs = float(mi.traverse(mi.load_string(xml).sensors()[0])['x_fov'][0])
    sensor = tk.load_string(xml).sensors()[0]
    from tutorial_kit.plugins.sensors.perspective import x_fov
    ours = x_fov(sensor.fov, sensor.fov_axis, width, height)
    assert ours == pytest.approx(theirs, rel=1e-5)
