"""The registry that maps XML plugin names to the classes implementing them.

A class announces itself with ``@register('bsdf', 'diffuse')``; the loader
then turns ``<bsdf type="diffuse">`` into ``Diffuse(props)``. Keeping the
mapping in one table is what lets a reader go from a scene file straight to
the code that gives each element its meaning.
"""
from tutorial_kit.core.errors import PluginError

#: (category, XML type name) -> class. Categories are XML tag names.
REGISTRY = {}

#: The XML tags that create objects.
CATEGORIES = ('scene', 'integrator', 'sensor', 'film', 'rfilter', 'sampler',
              'bsdf', 'emitter', 'shape', 'texture')


def register(category, name):
    """Class decorator: ``<category type="name">`` creates an instance of it."""
    assert category in CATEGORIES, category

    def decorate(cls):
        REGISTRY[(category, name)] = cls
        return cls
    return decorate


def register_plugin(category, name, constructor):
    """Make ``<category type="name">`` call ``constructor(props)``: a class or any
    function returning a plugin, as Mitsuba 3's ``register_bsdf`` takes it.
    A later registration of the same name replaces the earlier one."""
    if category not in CATEGORIES:
        raise PluginError(f'unknown plugin category "{category}" (known: {", ".join(CATEGORIES)})')
    if not callable(constructor):
        raise PluginError(f'the constructor of {category} plugin "{name}" must be callable, '
                          f'got {type(constructor).__name__}')
    REGISTRY[(category, name)] = constructor


def register_bsdf(name, constructor):
    """Mitsuba 3's ``register_bsdf``: ``<bsdf type="name">`` (or a dictionary's
    ``'type': name``) creates ``constructor(props)``, e.g. a subclass of
    :class:`tutorial_kit.renderer.bsdf.BSDF` written in Python."""
    register_plugin('bsdf', name, constructor)


def create(category, props):
    """Instantiate the plugin ``props.plugin`` of ``category`` from ``props``."""
    cls = REGISTRY.get((category, props.plugin))
    if cls is None:
        known = sorted(name for (cat, name) in REGISTRY if cat == category)
        raise PluginError(f'unknown {category} plugin "{props.plugin}" '
                          f'(known: {", ".join(known) or "none"})', props.path, props.line)
    return cls(props)
