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


def create(category, props):
    """Instantiate the plugin ``props.plugin`` of ``category`` from ``props``."""
    cls = REGISTRY.get((category, props.plugin))
    if cls is None:
        known = sorted(name for (cat, name) in REGISTRY if cat == category)
        raise PluginError(f'unknown {category} plugin "{props.plugin}" '
                          f'(known: {", ".join(known) or "none"})', props.path, props.line)
    return cls(props)
