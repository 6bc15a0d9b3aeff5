"""The notebook front end: ipywidgets on demand, and output that reads well without a front end.

ipywidgets is imported only when a widget is built, so the figures work
without it. Where no front end draws the controls (``nbconvert``,
``nbval``, a notebook read on GitHub) a one-line note stands in for them.
"""


def import_ipywidgets():
    """The ipywidgets module, or an ImportError that says how to install it."""
    try:
        import ipywidgets
    except ImportError:
        raise ImportError('the notebook widgets need ipywidgets: '
                          'pip install "tutorial_kit[notebooks]"') from None
    return ipywidgets


def in_notebook():
    """True when running under IPython (a notebook kernel or an IPython shell)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def display(*objects):
    """``IPython.display.display`` when running under IPython; otherwise nothing."""
    if in_notebook():
        from IPython.display import display as ipython_display
        ipython_display(*objects)


def display_widget(box):
    """Show ipywidgets controls; where they cannot be drawn, a short note stands in for them."""
    if in_notebook():
        from IPython.display import display as ipython_display
        bundle = box._repr_mimebundle_()
        bundle['text/plain'] = '[interactive controls: run this notebook in JupyterLab to use them]'
        ipython_display(bundle, raw=True)


def caption(widgets, text):
    """A bold label above a picture."""
    return widgets.HTML(f'<b>{text}</b>')


def image_widget(widgets, width=256):
    """An empty square PNG image widget, ``width`` pixels wide."""
    return widgets.Image(format='png', layout=widgets.Layout(width=f'{width}px', height=f'{width}px'))


def report_failure(label, action, image=None):
    """Run ``action()`` for a widget callback; if it fails, say why in ``label``
    and empty ``image`` (an Image widget), which would show an outdated picture.

    ipywidgets would otherwise send the traceback to the browser's log,
    where a student never sees it, and the control would seem dead.
    """
    try:
        return action()
    except Exception as error:
        label.value = f'failed: {type(error).__name__}: {error}'
        if image is not None:
            image.value = b''
        return None
