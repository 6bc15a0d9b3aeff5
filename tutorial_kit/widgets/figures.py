"""Static figures: images side by side, signed gradient images, error curves.

Drawn with matplotlib's object-oriented API (no ``pyplot`` state, nothing to
close) and shown in the notebook as PNG images, so an executed notebook
keeps them as a document does.
"""
import io

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .display import display


def new_figure(width, height):
    """A matplotlib Figure that is not registered with pyplot (nothing to close)."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout='constrained')


def to_numpy(image):
    """A Dr.Jit tensor or array-like as a float32 NumPy array (detached)."""
    if dr.is_array_v(image):
        image = dr.detach(image).numpy()
    return np.asarray(image, dtype=np.float32)


def to_srgb(image):
    """Linear RGB (H, W, 3) as display-ready sRGB values in [0, 1]."""
    return np.clip(tk.util.linear_to_srgb(np.clip(to_numpy(image), 0, None)), 0, 1)


def png_bytes(image):
    """PNG file contents of a linear-RGB image (sRGB-encoded, clipped)."""
    from PIL import Image
    pixels = np.round(to_srgb(image) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format='png')
    return buffer.getvalue()


def figure_png(figure, dpi=80, compact=False):
    """PNG file contents of a matplotlib Figure.

    ``compact``: reduce it to a palette of 256 colours. Noisy renderings
    compress poorly; this halves the size of notebooks that store figures,
    with no visible difference.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=dpi)
    if not compact:
        return buffer.getvalue()
    from PIL import Image
    picture = Image.open(buffer).convert('RGB')
    palette = picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format='png', optimize=True)
    return buffer.getvalue()


def show_figure(figure, dpi=80, compact=True):
    """Show a matplotlib Figure in the notebook as a PNG image.

    ``compact`` as in ``figure_png``; figures with smooth colour maps keep
    their full colours (``compact=False``), a palette would band them."""
    from IPython.display import Image
    display(Image(data=figure_png(figure, dpi, compact=compact)))


def draw_image(axes, image, title=None):
    axes.imshow(to_srgb(image), interpolation='nearest')
    axes.set_xticks([])
    axes.set_yticks([])
    if title:
        axes.set_title(title, fontsize=10)


def images_figure(images, titles=None, size=2.6):
    """A Figure with linear-RGB ``images`` side by side (sRGB-encoded, clipped)."""
    images = list(images)
    titles = list(titles) if titles is not None else [None] * len(images)
    if len(titles) != len(images):
        raise ValueError(f'{len(images)} images but {len(titles)} titles')
    figure = new_figure(size * len(images), size + 0.3)
    for axes, image, title in zip(figure.subplots(1, len(images), squeeze=False)[0], images, titles):
        draw_image(axes, image, title)
    return figure


def show_images(images, titles=None, size=2.6):
    """Show linear-RGB images side by side, as a display would (sRGB, clipped to [0, 1])."""
    show_figure(images_figure(images, titles, size))


def _signed_channel(image):
    """A gradient image as one signed value per pixel: the mean of its colour channels."""
    values = to_numpy(image)
    return values.mean(axis=2) if values.ndim == 3 else values


def draw_gradient(figure, axes, image, title=None, vmax=None):
    """Draw a signed image on ``axes`` in ``coolwarm`` centred at 0, with a colour bar.

    ``image``: (H, W) or (H, W, C), reduced to the mean of its channels;
    ``vmax``: the value at the ends of the map (default: ``robust_vmax``).
    """
    values = _signed_channel(image)
    vmax = tk.util.robust_vmax(values) if vmax is None else vmax
    shown = axes.imshow(values, cmap='coolwarm', vmin=-vmax, vmax=vmax, interpolation='nearest')
    axes.set_xticks([])
    axes.set_yticks([])
    if title:
        axes.set_title(title, fontsize=10)
    figure.colorbar(shown, ax=axes, shrink=0.8)


def gradient_figure(image, title=None, vmax=None, size=3.2):
    """A Figure of a signed image (e.g. a gradient) in a diverging colour map centred at 0.

    Colour images are reduced to the mean of their channels. ``vmax``: the
    value shown at the ends of the map (default: ``robust_vmax``, the 99th percentile of |value|).
    """
    figure = new_figure(size + 0.8, size)
    draw_gradient(figure, figure.subplots(), image, title, vmax)
    return figure


def show_gradient(image, title=None, vmax=None):
    """Show a gradient image in matplotlib's ``coolwarm`` map, with a colour bar:
    blue below 0, light grey at 0, red above 0."""
    show_figure(gradient_figure(image, title, vmax), compact=False)


def error_curves_figure(curves, title='error to the true value', ylabel='squared error to the truth'):
    """A Figure with one logarithmic curve per entry of ``curves`` (label -> list of errors)."""
    # The legend sits outside the axes, on the right, so that it never covers a curve.
    figure = new_figure(5.2 + (2.2 if len(curves) > 1 else 0), 3.0)
    axes = figure.subplots()
    for label, errors in curves.items():
        axes.semilogy(np.arange(1, len(errors) + 1), np.maximum(errors, 1e-12), label=label)
    axes.set_xlabel('iteration')
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.grid(True, which='both', alpha=0.3)
    if len(curves) > 1:
        axes.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.02, 1), borderaxespad=0)
    return figure


def plot_error_curves(curves, title='error to the true value'):
    """Show error curves (label -> list of per-iteration errors) in one logarithmic plot."""
    show_figure(error_curves_figure(curves, title))
