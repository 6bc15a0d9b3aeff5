"""Small, quick previews of a scene for the interactive widgets."""
from contextlib import contextmanager

#: Pixels of the square film that the interactive widgets render (fast on a CPU).
PREVIEW_SIZE = 128


@contextmanager
def preview_film(scene, size, max_depth=None):
    """Render ``scene`` at ``size`` x ``size`` pixels (and, optionally, another
    ``max_depth``, -1 for unlimited) inside the ``with`` block; the scene's
    own settings come back after it. Raises ValueError for a bad ``max_depth``."""
    film, integrator = scene.sensors()[0].film(), scene.integrator()
    saved = film.width, film.height, getattr(integrator, 'max_depth', None)
    try:
        if max_depth is not None:
            integrator.max_depth = max_depth        # checked by the integrator
        if size is not None:
            film.width = film.height = size
        yield
    finally:
        film.width, film.height = saved[:2]
        if max_depth is not None:
            integrator.max_depth = saved[2]
