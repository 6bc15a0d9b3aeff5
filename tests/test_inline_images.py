"""A tensor left at the end of a notebook cell: a picture when it is shaped
like an image, its numbers otherwise."""
import io

import drjit as dr
import numpy as np
import pytest
from PIL import Image

import tutorial_kit as tk
from tutorial_kit.io.inline_images import tensor_png


def tensor(shape, value=0.5):
    return tk.TensorXf(dr.full(tk.Float, value, int(np.prod(shape))), shape=shape)


@pytest.mark.parametrize('channels, mode', [(1, 'L'), (3, 'RGB'), (4, 'RGBA')])
def test_an_image_shaped_tensor_is_a_picture(channels, mode):
    png = tensor_png(tensor((4, 5, channels)))
    picture = Image.open(io.BytesIO(png))
    assert picture.size == (5, 4) and picture.mode == mode
    # 0.5 linear is 188 after the sRGB curve (alpha, when present, stays linear: 128).
    assert np.asarray(picture).reshape(4, 5, -1)[0, 0, 0] == 188


@pytest.mark.parametrize('shape', [(3, 3), (4, 5), (1, 16), (4, 5, 2), (2, 2, 1, 1), (9,)])
def test_any_other_tensor_shows_its_numbers(shape):
    assert tensor_png(tensor(shape)) is None


def test_through_ipython_a_matrix_is_text_and_an_image_a_picture():
    from IPython.core.interactiveshell import InteractiveShell
    from tutorial_kit.io import inline_images
    shell = InteractiveShell.instance()
    assert inline_images.register([type(tensor((2, 2)))])
    data, _ = shell.display_formatter.format(tensor((3, 3)))
    assert set(data) == {'text/plain'} and '0.5' in data['text/plain']
    data, _ = shell.display_formatter.format(tensor((4, 5, 3)))
    assert data['image/png'].startswith(b'\x89PNG')
