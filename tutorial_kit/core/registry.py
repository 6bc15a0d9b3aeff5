"""The registry that maps XML plugin names to the classes implementing them.

A class announces itself with ``@register('bsdf', 'diffuse')``; the loader
then turns ``<bsdf type="diffuse">`` into ``Diffuse(props)``. Code outside
the package adds its own with :func:`register_plugin` (as Mitsuba 3's
``mi.register_integrator``). Keeping the
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


def register_plugin(category, name, constructor):
    """Make ``<category type="name">`` call ``constructor(props)`` (a class or a function
    of the element's Properties). A later registration of the same name replaces it.

    Raises PluginError for an unknown category, an empty name or a constructor
    that cannot be called.
    """
    if category not in CATEGORIES:
        raise PluginError(f'unknown plugin category {category!r} (known: {", ".join(CATEGORIES)})')
    if not isinstance(name, str) or not name:
        raise PluginError(f'a {category} plugin needs a non-empty name, got {name!r}')
    if not callable(constructor):
        raise PluginError(f'the constructor of {category} plugin "{name}" must be callable '
                          f'(a class or a function of the Properties), got {type(constructor).__name__}')
    REGISTRY[(category, name)] = constructor


def register_integrator(name, constructor):
    """Mitsuba 3's ``register_integrator``: ``register_plugin('integrator', name, constructor)``."""
    register_plugin('integrator', name, constructor)
