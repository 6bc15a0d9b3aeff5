"""Small scene builders shared by the tests."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CBOX = os.path.join(ROOT, 'scenes', 'cbox', 'cbox.xml')
CBOX_RGB = os.path.join(ROOT, 'scenes', 'cbox', 'cbox_rgb.xml')
SECOND = os.path.join(ROOT, 'scenes', 'second', 'scene.xml')
#: The Cornell box's red wall, the parameter the tutorial's optimisation recovers.
RED_WALL = 'red.reflectance.value'


def small_cbox(size=32):
    """The bundled Cornell box on a size x size film (fast to render)."""
    import tutorial_kit as tk
    scene = tk.load_file(CBOX)
    film = scene.sensors()[0].film()
    film.width = film.height = size
    return scene


def white_wall_experiment(scene):
    """The tutorial's start: the true red wall (a copy), a reference render, then a white wall."""
    import tutorial_kit as tk
    params = tk.traverse(scene)
    truth = tk.Color3f(params[RED_WALL])
    reference = tk.render(scene, spp=8, seed=0)
    params[RED_WALL] = [.9, .9, .9]
    params.update()
    return truth, reference


def scene_xml(body, version='3.0.0', width=16, height=16, spp=4, extra_sensor='', *,
              origin=(0, 0, 5), target=(0, 0, 0), up=(0, 1, 0), fov=40, rfilter='box'):
    """A complete scene document around ``body``: a perspective camera at
    ``origin`` looking at ``target`` (``up``, ``fov`` in degrees), a film of
    ``width`` x ``height`` with reconstruction filter ``rfilter`` (a type
    name such as ``'box'`` or ``'tent'``, or a whole ``<rfilter>`` element),
    an independent sampler of ``spp`` samples, and ``extra_sensor`` (XML)
    inside the sensor."""
    def triple(values):
        return ', '.join(f'{v:g}' for v in values)
    if not rfilter.lstrip().startswith('<'):
        rfilter = f'<rfilter type="{rfilter}"/>'
    return f'''<scene version="{version}">
    <sensor type="perspective">
        <float name="fov" value="{fov:g}"/>
        <transform name="to_world"><lookat origin="{triple(origin)}" target="{triple(target)}" up="{triple(up)}"/></transform>
        {extra_sensor}
        <sampler type="independent"><integer name="sample_count" value="{spp}"/></sampler>
        <film type="hdrfilm">
            <integer name="width" value="{width}"/><integer name="height" value="{height}"/>
            {rfilter}
        </film>
    </sensor>
    {body}
</scene>'''


def load_bsdf(xml):
    """The BSDF described by ``xml`` (a ``<bsdf>`` element), loaded through a scene."""
    import tutorial_kit as tk
    scene = tk.load_string(f'<scene version="3.0.0">{xml}</scene>')
    return scene.children[0]


def interaction(wi, width, uv=(0.5, 0.5)):
    """A SurfaceInteraction3f of ``width`` lanes, shading frame = world frame, looking from local ``wi``."""
    import drjit as dr
    import numpy as np
    from tutorial_kit.core import backend as bk
    from tutorial_kit.core.frame import Frame
    from tutorial_kit.renderer.interaction import SurfaceInteraction3f
    wi = np.asarray(wi, dtype=np.float64)
    wi = wi / np.linalg.norm(wi)
    n = dr.full(bk.Array3f, 0, width)
    n.z = dr.full(bk.Float, 1, width)
    return SurfaceInteraction3f(
        t=dr.full(bk.Float, 1, width), p=dr.zeros(bk.Array3f, width), n=n, sh_frame=Frame(n),
        wi=bk.Array3f(*(dr.full(bk.Float, float(c), width) for c in wi)),
        uv=bk.Array2f(dr.full(bk.Float, uv[0], width), dr.full(bk.Float, uv[1], width)),
        shape=dr.zeros(bk.UInt32, width))


def write_sphere_obj(path, rings=32, segments=64):
    """A unit UV sphere with normals and texture coordinates as an OBJ file (see
    :func:`tutorial_kit.widgets.bsdf_explorer.sphere_obj_text`)."""
    from tutorial_kit.widgets.bsdf_explorer import sphere_obj_text
    with open(path, 'w') as file:
        file.write(sphere_obj_text(rings, segments))
    return path


def colour_finite_difference(scene, key, value, h=0.05, spp=16, seed=3):
    """Central difference of ``scene``'s image (NumPy (H, W, 3)) with respect to the
    grey colour parameter ``key`` at ``value``, every channel moved together, both
    renders with the same seed; the parameter is set back to ``value`` after."""
    import tutorial_kit as tk
    params = tk.traverse(scene)
    images = []
    for shifted in (value + h, value - h):
        params[key] = [shifted] * 3
        params.update()
        images.append(tk.render(scene, spp=spp, seed=seed).numpy())
    params[key] = [value] * 3
    params.update()
    return (images[0] - images[1]) / (2 * h)
