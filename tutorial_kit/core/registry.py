"""The registry that maps plugin names to the code constructing them.

A class of the toolkit announces itself with ``@register('bsdf', 'diffuse')``;
code in a notebook with ``tk.register_bsdf('mybsdf', lambda props: MyBSDF(props))``,
as in Mitsuba 3. The loaders then turn ``<bsdf type="diffuse">`` (or
``{'type': 'diffuse'}``) into ``constructor(props)``. Keeping the mapping in
one table is what lets a reader go from a scene file straight to the code
that gives each element its meaning.

Each category has an interface, the base class its plugins derive from
(``BSDF`` for ``'bsdf'``); the renderer declares them with
:func:`declare_interface`, and :func:`create` refuses an object of any other
kind, so that a mistaken constructor fails where it is registered by name,
not deep inside a render.
"""
import difflib

from tutorial_kit.core import backend
from tutorial_kit.core.errors import PluginError

#: (category, type name) -> constructor (a class or any callable props -> object).
REGISTRY = {}

#: The same for the polarised variants (``*_rgb_polarized``), where an integrator
#: carries Mueller matrices instead of colours: the class of such a variant's
#: ``path``, and ``stokes``, which exists only there.
POLARIZED_REGISTRY = {}

#: The XML tags that create objects.
CATEGORIES = ('scene', 'integrator', 'sensor', 'film', 'rfilter', 'sampler',
              'bsdf', 'emitter', 'shape', 'texture', 'medium', 'phase', 'volume')

#: category -> the base class its objects derive from (filled by the renderer layer).
INTERFACES = {}

#: Constructors registered from Python code (not the toolkit's own classes):
#: their failures are reported as PluginErrors naming the plugin.
_FROM_USER_CODE = set()


def register(category, name, polarized=False):
    """Class decorator: ``<category type="name">`` creates an instance of it
    (in the polarised variants only, if ``polarized``)."""
    def decorate(cls):
        if polarized:
            POLARIZED_REGISTRY[(category, name)] = cls
        else:
            _add(category, name, cls)
        return cls
    return decorate


def register_plugin(category, name, constructor):
    """Make ``name`` a plugin of ``category`` created by ``constructor(props)``.

    ``category``: one of :data:`CATEGORIES` but ``'scene'``; ``constructor``:
    a callable taking a :class:`~tutorial_kit.io.properties.Properties` and
    returning an object of the category's interface (checked when it is
    called). Registering a name again replaces the earlier constructor, so
    that a notebook cell can be run twice.
    """
    if category == 'scene':
        raise PluginError('the scene cannot be replaced by a plugin; register its objects instead')
    _add(category, name, constructor)
    _FROM_USER_CODE.add((category, name))


def _add(category, name, constructor):
    if category not in CATEGORIES:
        raise PluginError(f'unknown plugin category {category!r} (expected one of {", ".join(CATEGORIES)})')
    if not isinstance(name, str) or not name or not name.replace('_', '').isalnum():
        raise PluginError(f'a {category} plugin name must be a non-empty word of letters, '
                          f'digits and _, got {name!r}')
    if not callable(constructor):
        raise PluginError(f'the constructor of {category} plugin "{name}" must be callable '
                          f'(e.g. lambda props: MyPlugin(props)), got {type(constructor).__name__}')
    REGISTRY[(category, name)] = constructor


def declare_interface(category, cls):
    """Objects of ``category`` must be instances of ``cls`` (called by the renderer)."""
    INTERFACES[category] = cls


def category_of(obj):
    """The category whose interface ``obj`` implements (``'bsdf'``, ...), or None."""
    return next((category for category, cls in INTERFACES.items() if isinstance(obj, cls)), None)


def categories_of(name):
    """The categories in which a plugin is called ``name`` (usually one), in any variant."""
    return sorted({category for (category, known) in (*REGISTRY, *POLARIZED_REGISTRY) if known == name})


def _variant_constructor(category, props):
    """The constructor of ``props.plugin`` in the active variant, or None if unknown.

    In a polarised variant an integrator of this toolkit must carry polarisation:
    its polarised class, or an error naming those that do. Integrators
    registered from Python code are taken as they are."""
    key = (category, props.plugin)
    if backend.polarized and category == 'integrator' and key not in _FROM_USER_CODE:
        if key in POLARIZED_REGISTRY:
            return POLARIZED_REGISTRY[key]
        if key in REGISTRY:
            known = sorted(name for (cat, name) in POLARIZED_REGISTRY if cat == category)
            raise PluginError(f'the integrator "{props.plugin}" does not track polarisation; in a polarised '
                              f'variant use {" or ".join(known)}', props.path, props.line)
    if key not in REGISTRY and key in POLARIZED_REGISTRY:
        raise PluginError(f'the {category} "{props.plugin}" needs a polarised variant: call '
                          f'set_variant("llvm_ad_rgb_polarized") before loading the scene',
                          props.path, props.line)
    return REGISTRY.get(key)


def create(category, props):
    """Instantiate the plugin ``props.plugin`` of ``category`` from ``props``."""
    constructor = _variant_constructor(category, props)
    if constructor is None:
        known = sorted(name for (cat, name) in REGISTRY if cat == category)
        close = difflib.get_close_matches(str(props.plugin), known, n=3, cutoff=0.6)
        hint = 'did you mean ' + ' or '.join(f'"{c}"' for c in close) + '? ' if close else ''
        raise PluginError(f'unknown {category} plugin "{props.plugin}" '
                          f'({hint}known: {", ".join(known) or "none"})', props.path, props.line)
    if (category, props.plugin) not in _FROM_USER_CODE:
        obj = constructor(props)
    else:
        try:
            obj = constructor(props)
        except PluginError:
            raise
        except Exception as error:      # a bug in user code, reported where it was named
            raise PluginError(f'the constructor of {category} plugin "{props.plugin}" failed: '
                              f'{type(error).__name__}: {error}', props.path, props.line) from error
    interface = INTERFACES.get(category)
    if interface is not None and not isinstance(obj, interface):
        raise PluginError(f'the constructor of {category} plugin "{props.plugin}" returned a '
                          f'{type(obj).__name__}, not a {interface.__name__}', props.path, props.line)
    return obj


def _register_category(category):
    """``register_<category>(name, constructor)``: :func:`register_plugin` for one category."""
    def register_category(name, constructor):
        register_plugin(category, name, constructor)
    register_category.__name__ = register_category.__qualname__ = f'register_{category}'
    register_category.__doc__ = (f'Make ``name`` a {category} plugin created by ``constructor(props)``, '
                                 f'which must return a {category} object (Mitsuba 3\'s '
                                 f'``register_{category}``).')
    return register_category


register_bsdf = _register_category('bsdf')
register_emitter = _register_category('emitter')
register_film = _register_category('film')
register_integrator = _register_category('integrator')
register_rfilter = _register_category('rfilter')
register_sampler = _register_category('sampler')
register_sensor = _register_category('sensor')
register_shape = _register_category('shape')
register_texture = _register_category('texture')
register_medium = _register_category('medium')
register_phase = _register_category('phase')
register_volume = _register_category('volume')
