"""ParameterBrowser: search a ParameterMap and look at one parameter."""
import html

import drjit as dr
import numpy as np

from .display import display_widget, import_ipywidgets


def format_value(value, precision=3):
    """A parameter value as short text: long arrays abbreviated with '...'."""
    if isinstance(value, (int, float)):
        return repr(value)
    array = np.asarray(dr.detach(value).numpy() if dr.is_array_v(value) else value)
    if dr.is_array_v(value) and dr.size_v(value) == 3 and array.ndim == 2:
        array = array.T                          # one RGB colour per row, as Mitsuba prints it
    return np.array2string(array, precision=precision, threshold=12, edgeitems=3,
                           floatmode='maxprec_equal', suppress_small=True, separator=', ')


def describe_shape(value):
    """'3 channels x N', 'N values', '4 x 4 matrix' or 'scalar'."""
    if isinstance(value, (int, float)):
        return 'scalar'
    if dr.is_array_v(value):
        if dr.size_v(value) == 3:
            return f'{dr.width(value)} x 3 (one RGB colour)' if dr.width(value) == 1 else \
                f'{dr.width(value)} x 3'
        return f'{dr.width(value)} values'
    return ' x '.join(str(n) for n in np.shape(value))


class ParameterBrowser:
    """Search a scene's parameters and look at one: its value, size, type and whether it is differentiable.

    ``params``: a :class:`~tutorial_kit.ParameterMap` (from ``tk.traverse``).
    Type part of a name in the search box; the list shows the matching keys,
    differentiable ones marked with ``*`` as ``print(params)`` does.
    """

    def __init__(self, params, rows=12):
        widgets = import_ipywidgets()
        self.params = params
        self.search = widgets.Text(description='search', placeholder='part of a name, e.g. reflectance')
        self.matches = widgets.Label()
        self.keys = widgets.Select(options=[], rows=rows, description='parameter',
                                   layout=widgets.Layout(width='380px'))
        self.details = widgets.HTML(layout=widgets.Layout(width='420px'))
        self.search.observe(lambda change: self._filter(), names='value')
        self.keys.observe(lambda change: self._show(), names='value')
        self.box = widgets.VBox([widgets.HBox([self.search, self.matches]),
                                 widgets.HBox([self.keys, self.details])])
        self._filter()

    def filtered_keys(self, text=None):
        """The keys that contain ``text`` (ignoring case); all keys for an empty text."""
        text = (self.search.value if text is None else text).strip().lower()
        return [key for key in self.params.keys() if text in key.lower()]

    @property
    def selected(self):
        """The key selected in the list (None when nothing matches)."""
        return self.keys.value

    def select(self, key):
        """Select ``key`` (clearing the search if it hides the key)."""
        if key not in [value for _, value in self.keys.options]:
            self.search.value = ''
        self.keys.value = key
        return self

    def describe(self, key):
        """Plain-text description of parameter ``key``."""
        value = self.params[key]
        differentiable = self.params.is_differentiable(key)
        return '\n'.join([
            f'{"* " if differentiable else ""}{key}',
            f'differentiable: {"yes" if differentiable else "no"}',
            f'type:  {type(value).__name__}',
            f'size:  {describe_shape(value)}',
            f'value: {format_value(value)}',
        ])

    def _filter(self):
        keys = self.filtered_keys()
        previous = self.keys.value
        self.keys.options = [(('* ' if self.params.is_differentiable(k) else '  ') + k, k) for k in keys]
        self.keys.value = previous if previous in keys else (keys[0] if keys else None)
        self.matches.value = f'{len(keys)} of {len(self.params)} parameters'
        self._show()

    def _show(self):
        key = self.keys.value
        text = self.describe(key) if key is not None else 'no parameter matches the search'
        self.details.value = f'<pre style="margin:0">{html.escape(text)}</pre>'

    def display(self):
        """Show the browser and, for readers without a front end, the selected parameter as text."""
        display_widget(self.box)
        key = self.keys.value
        print(f'{len(self.filtered_keys())} of {len(self.params)} parameters match "{self.search.value}"')
        if key is not None:
            print(self.describe(key))
