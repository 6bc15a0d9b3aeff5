"""The largest image the readers accept, checked from the header before decoding.

A file's header states its size, and a few bytes can claim 100000 x 100000
pixels: decoding such a file would try to allocate tens of gigabytes (a
*decompression bomb*). Each reader therefore checks the stated size first.
"""
from tutorial_kit.core.errors import ImageError

#: The most pixels a read image may have (8192 x 8192; 1 GiB as RGBA float32).
MAX_IMAGE_PIXELS = 2 ** 26


def check_image_size(width, height, path):
    """Refuse a stated size that is not positive or exceeds :data:`MAX_IMAGE_PIXELS`."""
    if width <= 0 or height <= 0:
        raise ImageError(f'the file states an image of {width} x {height} pixels; '
                         f'both must be positive', path=path)
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(f'the file states an image of {width} x {height} pixels, more than the '
                         f'{MAX_IMAGE_PIXELS} pixels images may have here', path=path)
