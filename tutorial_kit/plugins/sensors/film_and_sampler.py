"""What every sensor plugin holds besides its projection: a film and a sampler.

A sensor element may nest one ``<film>`` and one ``<sampler>``; missing
ones are Mitsuba 3's defaults, an ``hdrfilm`` (768 x 576, Gaussian filter)
and an ``independent`` sampler (4 samples per pixel).
"""
from tutorial_kit.io.properties import Properties
from tutorial_kit.plugins.films.hdrfilm import HDRFilm
from tutorial_kit.plugins.samplers.independent import IndependentSampler
from tutorial_kit.renderer.film import Film
from tutorial_kit.renderer.medium import Medium
from tutorial_kit.renderer.sampler import Sampler


def nested_film_and_sampler(props):
    """``(film, sampler)`` nested in a sensor's ``props``, or the defaults."""
    nested = props.nested_objects()
    film = next((c for c in nested if isinstance(c, Film)), None) or HDRFilm(Properties('hdrfilm'))
    sampler = next((c for c in nested if isinstance(c, Sampler)), None) \
        or IndependentSampler(Properties('independent'))
    return film, sampler


def nested_medium(props):
    """The medium a sensor sits in (``<medium name="medium">`` or an unnamed one), or None."""
    media = [c for c in props.nested_objects() if isinstance(c, Medium)]
    if len(media) > 1:
        raise props.error('medium', 'a sensor sits in at most one medium')
    return media[0] if media else None
