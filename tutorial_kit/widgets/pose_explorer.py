"""``PoseProblem`` and ``PoseExplorer``: move an object, watch the image, the loss and the gradient.

A pose is ``(x, z, angle)``: a translation in the ground plane (scene
units) and a rotation about the vertical axis (degrees). It is applied to
the object's initial vertices with a differentiable
:class:`~tutorial_kit.Transform4f` and written back with ``params.update()``,
as in Mitsuba 3's object pose estimation tutorial. The loss is the mean
squared difference to a reference image; its gradient with respect to the
pose comes from one reverse-mode pass through ``prb_projective``, which
includes the silhouettes and shadows that move with the object.

``PoseExplorer(problem).display()`` shows sliders in JupyterLab; without a
front end (nbval, nbconvert) it shows the figure for the current pose.
"""
import drjit as dr
import numpy as np

import tutorial_kit as tk
from .display import display_widget, import_ipywidgets
from .figures import draw_gradient, new_figure, show_figure, to_srgb

POSE_NAMES = ('x', 'z', 'angle')


class PoseProblem:
    """An object of ``scene`` (key ``<id>.vertex_positions``) and a reference image."""

    def __init__(self, scene, key, spp=4):
        self.scene, self.key, self.spp = scene, key, spp
        self.params = tk.traverse(scene)
        self.initial = dr.unravel(tk.Array3f, dr.detach(self.params[key]))
        self.centre = [float(np.mean(c)) for c in self.initial.numpy().reshape(3, -1)]
        self.reference = None

    def apply(self, pose):
        """Move the object to ``pose`` (three floats or Dr.Jit Floats). Returns the pose as Floats."""
        pose = [p if isinstance(p, tk.Float) else tk.Float(float(p)) for p in pose]
        x, z, angle = pose
        c = self.centre
        # Rotate about the object's own vertical axis, then translate.
        trafo = tk.Transform4f().translate(tk.Array3f(c[0] + x, c[1], c[2] + z)) \
            .rotate([0, 1, 0], angle).translate([-c[0], -c[1], -c[2]])
        self.params[self.key] = dr.ravel(trafo @ self.initial)
        self.params.update()
        return pose

    def render(self, pose, spp=None, seed=None):
        """The image at ``pose`` (no derivatives)."""
        self.apply([float(p) for p in pose])
        return tk.render(self.scene, spp=spp or self.spp, seed=seed)

    def set_reference(self, pose, spp=64):
        self.reference = self.render(pose, spp=spp, seed=0)
        return self.reference

    def loss_and_gradient(self, pose, seed=None):
        """``(loss, gradient (3,), image)`` at ``pose``; the gradient by reverse mode."""
        values = [dr.opaque(tk.Float, float(p)) for p in pose]   # literals would recompile
        dr.enable_grad(*values)
        self.apply(values)
        image = tk.render(self.scene, spp=self.spp, seed=seed)
        loss = dr.mean(dr.square(image - self.reference), axis=None)
        dr.backward(loss)
        gradient = np.array([v.grad[0] for v in values])
        self.apply([float(p) for p in pose])           # leave the scene without gradients
        return float(loss.numpy().ravel()[0]), gradient, image


def estimate_pose(problem, start, iterations=30, lr=(0.05, 0.05, 2.0), seed=0, decay=0.2):
    """Adam (Kingma and Ba 2015) on the pose from ``start``.

    ``lr``: step sizes of x, z (scene units) and angle (degrees), shrinking
    geometrically to ``decay`` times their size by the last iteration, so
    that the noisy gradients of the last steps do not shake the pose.
    Returns ``(pose, history)`` with ``history`` a dict of per-iteration
    ``loss`` and ``pose`` lists.
    """
    pose, lr = np.array(start, float), np.array(lr, float)
    m, v = np.zeros(3), np.zeros(3)
    history = {'loss': [], 'pose': []}
    for it in range(iterations):
        loss, gradient, _ = problem.loss_and_gradient(pose, seed=seed + it)
        m = 0.9 * m + 0.1 * gradient
        v = 0.999 * v + 0.001 * gradient ** 2
        step = m / (1 - 0.9 ** (it + 1)) / (np.sqrt(v / (1 - 0.999 ** (it + 1))) + 1e-8)
        pose = pose - lr * decay ** (it / max(iterations - 1, 1)) * step
        history['loss'].append(loss)
        history['pose'].append(pose.copy())
    return pose, history


class PoseExplorer:
    """Sliders for x, z and angle; the image, its difference to the reference, the loss and gradient."""

    def __init__(self, problem, pose=(0.0, 0.0, 0.0)):
        self.problem, self.pose = problem, list(pose)

    def figure(self):
        loss, gradient, image = self.problem.loss_and_gradient(self.pose, seed=0)
        image = np.asarray(dr.detach(image).numpy())
        reference = np.asarray(self.problem.reference.numpy())
        fig = new_figure(10, 3.8)
        axes = fig.subplots(1, 3)
        for ax, picture, title in ((axes[0], image, 'current'), (axes[1], reference, 'reference')):
            ax.imshow(to_srgb(picture), interpolation='nearest')
            ax.set_title(title, fontsize=10)
            ax.axis('off')
        draw_gradient(fig, axes[2], image - reference, 'current - reference (mean of RGB)')
        # Scientific notation: a derivative per degree is small, and a fixed number of
        # decimals would print it as 0 and hide its sign.
        text = ', '.join(f'dL/d{n} = {g:+.2e}' for n, g in zip(POSE_NAMES, gradient))
        fig.suptitle(f'pose x={self.pose[0]:+.2f} z={self.pose[1]:+.2f} angle={self.pose[2]:+.1f} deg,'
                     f' loss {loss:.5f}\n{text}', fontsize=9)
        return fig

    def display(self):
        """Sliders and the live figure in JupyterLab; the figure for the current pose anywhere."""
        w = import_ipywidgets()
        sliders = [w.FloatSlider(value=self.pose[0], min=-1, max=1, step=0.05, description='x'),
                   w.FloatSlider(value=self.pose[1], min=-1, max=1, step=0.05, description='z'),
                   w.FloatSlider(value=self.pose[2], min=-45, max=45, step=1, description='angle')]
        out = w.Output()

        def redraw(_=None):
            self.pose = [s.value for s in sliders]
            with out:
                out.clear_output(wait=True)
                show_figure(self.figure(), compact=False)
        for s in sliders:
            s.observe(redraw, names='value')
        display_widget(w.VBox([w.HBox(sliders), out]))
        show_figure(self.figure(), compact=False)
