"""Widgets and figures for the notebooks.

The notebooks stay short because the code they use lives here::

    from tutorial_kit import widgets

    widgets.show_images([image_ref, image], ['reference', 'current'])
    widgets.ParameterBrowser(params).display()
    widgets.RenderExplorer(scene).display()
    widgets.OptimisationDashboard(scene, key, image_ref, param_ref).display()
    widgets.GradientViewer(scene).display()
    widgets.BSDFExplorer('roughconductor').display()
    widgets.PoseExplorer(widgets.PoseProblem(scene, key)).display()
    widgets.ViewComparison(reference_views, reconstructed_views).display()
    widgets.PolarizerExplorer(scene, 'filter.bsdf.theta.value').display()

Every widget works in two settings:

- **live**, in JupyterLab: ``display()`` shows controls (ipywidgets) that
  re-render as you move them;
- **as a document**, when nothing is there to draw the controls (a notebook
  executed by ``nbconvert`` or ``nbval``, or read on GitHub): ``display()``
  also shows a static figure, and :meth:`RenderExplorer.grid`,
  :meth:`OptimisationDashboard.run` and :meth:`GradientViewer.show` produce
  their figures without any front end.

One file per widget; ``figures`` and ``convergence_figures`` draw the
static pictures, ``display`` talks to the notebook front end. The
dashboard's loop (``optimisation_loop``, usable without ipywidgets) and the
thread that runs it (``background_run``) have files of their own;
``experiments`` runs the seeded studies of notebooks 3 to 5 (several seeds,
path replay against a recorded render) and ``exercises`` checks answers.
This package is not imported by
``import tutorial_kit``.
"""
from .bsdf_explorer import BSDFExplorer
from .convergence_figures import history_figure, show_history
from .exercises import ExerciseNotPassed, check
from .figures import (draw_gradient, error_curves_figure, figure_png, gradient_figure, images_figure,
                      plot_error_curves, png_bytes, show_figure, show_gradient, show_images)
from .gradient_viewer import GradientViewer
from .optimisation_dashboard import OptimisationDashboard
from .optimisation_loop import OPTIMIZERS, OptimisationLoop, RunSettings
from .parameter_browser import ParameterBrowser
from .polarizer_explorer import PolarizerExplorer
from .pose_explorer import PoseExplorer, PoseProblem, estimate_pose
from .render_explorer import RenderExplorer
from .view_comparison import ViewComparison

__all__ = ['show_images', 'show_gradient', 'plot_error_curves', 'images_figure',
           'gradient_figure', 'error_curves_figure', 'show_figure', 'figure_png', 'png_bytes',
           'ParameterBrowser', 'RenderExplorer', 'OptimisationDashboard', 'OPTIMIZERS',
           'OptimisationLoop', 'RunSettings', 'GradientViewer', 'BSDFExplorer', 'PoseExplorer',
           'PoseProblem', 'estimate_pose', 'history_figure', 'show_history', 'check',
           'ExerciseNotPassed', 'draw_gradient', 'ViewComparison', 'PolarizerExplorer']
