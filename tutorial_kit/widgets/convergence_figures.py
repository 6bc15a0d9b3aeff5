"""Figures of one optimisation run: what it minimised, how far it was from the
truth, and the path each colour channel took.

The objective (the pixel difference the optimizer sees) and the parameter's
error (which only a synthetic experiment knows) tell different stories: with
1-spp renders the objective is mostly Monte Carlo noise and stops falling
long before the parameter stops improving. Drawing them side by side, with
the trajectory of every channel, shows both.
"""
import numpy as np

from .figures import new_figure, show_figure

CHANNEL_COLOURS = ('tab:red', 'tab:green', 'tab:blue')


def history_figure(history, true_value, title=None):
    """A Figure with three panels for a :class:`~tutorial_kit.widgets.experiments.History`:
    the objective, the squared error to ``true_value``, and each channel's value
    per iteration beside its true value (dashed) and zero (grey)."""
    figure = new_figure(11.5, 3.0)
    objective_axes, error_axes, value_axes = figure.subplots(1, 3)
    iterations = np.arange(1, len(history.error) + 1)
    objective_axes.semilogy(iterations, history.objective, color='black')
    objective_axes.set_title('objective (mean squared pixel difference)', fontsize=10)
    error_axes.semilogy(iterations, np.maximum(history.error, 1e-12), color='black')
    error_axes.set_title('squared error of the parameter', fontsize=10)
    values = np.asarray(history.values)
    truth = np.asarray(true_value, dtype=np.float64).ravel()
    for channel, colour in enumerate(CHANNEL_COLOURS[:values.shape[1]]):
        value_axes.plot(iterations, values[:, channel], color=colour)
        value_axes.axhline(truth[channel], color=colour, linestyle='--', linewidth=1)
    value_axes.axhline(0, color='grey', linewidth=1)
    value_axes.set_title('R, G, B per iteration (dashed: the truth)', fontsize=10)
    for axes in (objective_axes, error_axes, value_axes):
        axes.set_xlabel('iteration')
        axes.grid(True, which='both', alpha=0.3)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def show_history(history, true_value, title=None):
    """Show :func:`history_figure` in the notebook."""
    show_figure(history_figure(history, true_value, title))
