"""BSDFExplorer: a material's lobe in polar coordinates beside a sphere made of it.

Pick a BSDF plugin, its roughness ``alpha``, its index of refraction and,
for conductors, a measured material preset; the explorer draws how much
light arriving from 45 degrees (by default) the BSDF sends into each
direction of the plane of incidence (f cos theta_o, the luminance of
``bsdf.eval``), and renders a sphere of the material on a checkerboard
floor under an environment and a lamp. Dirac lobes (smooth mirrors and
glass) have no density to draw: their reflected and refracted directions
appear as spokes whose length is the energy they carry.
"""
import os
import tempfile

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .display import display_widget, image_widget, import_ipywidgets, report_failure
from .figures import draw_image, figure_png, new_figure, show_figure

#: The BSDF plugins the explorer offers, and which of its controls each uses.
BSDF_CONTROLS = {
    'diffuse': (), 'conductor': ('material',), 'roughconductor': ('alpha', 'material'),
    'dielectric': ('ior',), 'thindielectric': ('ior',), 'roughdielectric': ('alpha', 'ior'),
    'plastic': ('ior',), 'roughplastic': ('alpha', 'ior'),
}


def sphere_obj_text(rings=24, segments=48):
    """A unit UV sphere as OBJ text, with normals and texture coordinates.

    Vertices are shared between neighbouring faces (smooth shading), with a
    seam column at u = 1 and one vertex per segment at each pole.
    """
    lines = []
    for i in range(rings + 1):
        theta = np.pi * i / rings
        for j in range(segments + 1):
            phi = 2 * np.pi * j / segments
            x, y, z = np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)
            lines += [f'v {x:.7f} {y:.7f} {z:.7f}', f'vn {x:.7f} {y:.7f} {z:.7f}',
                      f'vt {j / segments:.7f} {1 - i / rings:.7f}']
    for i in range(rings):
        for j in range(segments):
            a, b = i * (segments + 1) + j + 1, (i + 1) * (segments + 1) + j + 1
            c, d = b + 1, a + 1
            if i != 0:
                lines.append(f'f {a}/{a}/{a} {b}/{b}/{b} {d}/{d}/{d}')
            if i != rings - 1:
                lines.append(f'f {b}/{b}/{b} {c}/{c}/{c} {d}/{d}/{d}')
    return '\n'.join(lines) + '\n'


def bsdf_xml(kind, alpha=0.2, ior=1.5, material='Au'):
    """The ``<bsdf>`` element of ``kind`` with the explorer's settings."""
    controls = BSDF_CONTROLS[kind]
    body = ''
    if 'alpha' in controls:
        body += f'<float name="alpha" value="{alpha:g}"/>'
    if 'ior' in controls:
        body += f'<float name="int_ior" value="{ior:g}"/><float name="ext_ior" value="1"/>'
    if 'material' in controls:
        body += f'<string name="material" value="{material}"/>'
    if kind in ('diffuse', 'plastic', 'roughplastic'):
        name = 'reflectance' if kind == 'diffuse' else 'diffuse_reflectance'
        body += f'<rgb name="{name}" value="0.1, 0.27, 0.36"/>'
    return f'<bsdf type="{kind}">{body}</bsdf>'


def polar_lobe(bsdf, incidence_degrees=45, count=721):
    """(angles, values, spokes) of ``bsdf`` seen from ``incidence_degrees``.

    ``angles``: outgoing directions in the plane of incidence (radians from
    the normal, positive on the side opposite to the light); ``values``:
    luminance of f cos theta_o there; ``spokes``: (angle, energy) of the
    Dirac lobes, found by sampling each lobe once.
    """
    theta_i = np.radians(incidence_degrees)
    angles = np.linspace(-np.pi, np.pi, count)
    wo = tk.Array3f(tk.Float(np.sin(angles).astype(np.float32)), dr.zeros(tk.Float, count),
                    tk.Float(np.cos(angles).astype(np.float32)))
    ctx = tk.BSDFContext()
    values = np.asarray(tk.luminance(bsdf.eval(ctx, _interaction(-theta_i, count), wo)))
    spokes = []
    for choice in (0.0, 0.99999):          # the first and the last lobe of the BSDF
        si = _interaction(-theta_i, 1)
        bs, weight = bsdf.sample(ctx, si, tk.Float(choice), tk.Array2f(0.5, 0.5))
        if bool(bs.is_delta()[0]) and float(bs.pdf[0]) > 0:
            energy = float(tk.luminance(weight)[0]) * float(bs.pdf[0]) * float(bs.eta[0]) ** 2
            spokes.append((float(np.arctan2(bs.wo.x[0], bs.wo.z[0])), energy))
    return angles, values, spokes


def _interaction(theta_i, width):
    """Lanes looking from angle ``theta_i`` in the x-z plane, shading frame = world frame."""
    n = tk.Array3f(dr.zeros(tk.Float, width), dr.zeros(tk.Float, width), dr.full(tk.Float, 1, width))
    wi = tk.Array3f(dr.full(tk.Float, float(np.sin(theta_i)), width), dr.zeros(tk.Float, width),
                    dr.full(tk.Float, float(np.cos(theta_i)), width))
    return tk.SurfaceInteraction3f(t=dr.full(tk.Float, 1, width), p=dr.zeros(tk.Array3f, width), n=n,
                                   sh_frame=tk.Frame3f(n), wi=wi, uv=dr.full(tk.Array2f, 0.5, width),
                                   shape=dr.zeros(tk.UInt32, width))


def sphere_scene_xml(bsdf, size=64, spp=16):
    """A sphere of ``bsdf`` (XML) on a checkerboard floor, lit by an environment and a lamp."""
    return f'''<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="8"/></integrator>
    <sensor type="perspective"><float name="fov" value="35"/>
        <transform name="to_world"><lookat origin="0, -4.2, 1.6" target="0, 0, 0.1" up="0, 0, 1"/></transform>
        <sampler type="independent"><integer name="sample_count" value="{spp}"/></sampler>
        <film type="hdrfilm"><integer name="width" value="{size}"/><integer name="height" value="{size}"/>
            <rfilter type="box"/></film></sensor>
    <emitter type="constant"><rgb name="radiance" value="0.4, 0.45, 0.5"/></emitter>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.8"/><rotate x="1" angle="160"/>
            <translate x="1.5" y="-1" z="3"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 10"/></emitter></shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="4"/><translate z="-1"/></transform>
        <bsdf type="diffuse"><texture type="checkerboard" name="reflectance">
            <rgb name="color0" value="0.7"/><rgb name="color1" value="0.15"/>
            <transform name="to_uv"><scale x="6" y="6"/></transform></texture></bsdf></shape>
    <shape type="obj"><string name="filename" value="sphere.obj"/>{bsdf}</shape>
</scene>'''


class BSDFExplorer:
    """Sliders for roughness and IOR, menus for the BSDF and the conductor preset;
    the lobe and a rendered sphere update as they move. ``figure()`` draws the
    same without a front end."""

    def __init__(self, kind='roughconductor', alpha=0.2, ior=1.5, material='Au', incidence=45,
                 size=64, spp=16):
        self.size, self.spp, self.incidence = size, spp, incidence
        self.settings = dict(kind=kind, alpha=alpha, ior=ior, material=material)
        self._folder = tempfile.mkdtemp(prefix='bsdf_explorer_')
        with open(os.path.join(self._folder, 'sphere.obj'), 'w') as file:
            file.write(sphere_obj_text())
        self.box = None

    def bsdf(self):
        """The BSDF object of the current settings."""
        return tk.load_string(f'<scene version="3.0.0">{bsdf_xml(**self.settings)}</scene>').children[0]

    def render_sphere(self):
        """The sphere of the current material (NumPy, H x W x 3, linear RGB)."""
        scene = tk.load_string(sphere_scene_xml(bsdf_xml(**self.settings), self.size, self.spp),
                            base_dir=self._folder)
        with dr.suspend_grad():
            return tk.render(scene, seed=0).numpy()

    def figure(self):
        """A matplotlib figure: the polar lobe and the rendered sphere."""
        angles, values, spokes = polar_lobe(self.bsdf(), self.incidence)
        figure = new_figure(6.4, 3.2)
        lobe = figure.add_subplot(1, 2, 1, projection='polar')
        lobe.set_theta_zero_location('N')
        lobe.plot(angles, values, color='tab:blue')
        for angle, energy in spokes:
            lobe.plot([angle, angle], [0, energy], color='tab:red', linewidth=2)
            # A weak Dirac lobe (glass reflects 4 % head-on) would be a spoke too short to
            # see: mark its end and print its energy.
            lobe.plot([angle], [energy], marker='o', markersize=4, color='tab:red')
            lobe.annotate(f'{energy:.2f}', xy=(angle, energy), fontsize=7, color='tab:red',
                          xytext=(3, 3), textcoords='offset points')
        lobe.annotate('', xy=(np.radians(-self.incidence), lobe.get_rmax() or 1), xytext=(0, 0),
                      arrowprops=dict(arrowstyle='<-', color='0.4'))
        lobe.set_title(f'{self.settings["kind"]}: f cos, light from {self.incidence} deg', fontsize=9)
        lobe.tick_params(labelsize=7)
        draw_image(figure.add_subplot(1, 2, 2), self.render_sphere(), 'rendered')
        return figure

    def show(self):
        """Show the figure (works without a front end)."""
        show_figure(self.figure())

    def _controls(self):
        widgets = import_ipywidgets()
        style = {'description_width': '70px'}
        kind = widgets.Dropdown(options=list(BSDF_CONTROLS), value=self.settings['kind'],
                                description='BSDF', style=style)
        alpha = widgets.FloatSlider(value=self.settings['alpha'], min=0.01, max=1, step=0.01,
                                    description='alpha', continuous_update=False, style=style)
        ior = widgets.FloatSlider(value=self.settings['ior'], min=1.01, max=3, step=0.01,
                                  description='IOR', continuous_update=False, style=style)
        material = widgets.Dropdown(options=[m for m in tk.util.conductor_presets() if m != 'none'],
                                    value=self.settings['material'], description='material', style=style)
        image = image_widget(widgets, 420)
        info = widgets.Label()

        def update():
            self.settings.update(kind=kind.value, alpha=alpha.value, ior=ior.value, material=material.value)
            image.value = figure_png(self.figure())
            info.value = ''
        for control in (kind, alpha, ior, material):
            control.observe(lambda change: report_failure(info, update, image), names='value')
        update()
        return widgets.HBox([image, widgets.VBox([kind, alpha, ior, material, info])])

    def display(self):
        """The controls (live in JupyterLab), and the current figure for readers without them."""
        self.box = self._controls()
        display_widget(self.box)
        self.show()
