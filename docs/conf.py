"""Sphinx configuration of the documentation site (docs/README.md says why
Sphinx with MyST-NB, and how to build it)."""
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))           # the checkout's package, as the tests import it

import tutorial_kit  # noqa: E402

project = 'tutorial_kit'
copyright = 'tutorial_kit developers; BSD-3-Clause'
release = tutorial_kit.__version__
version = release

extensions = [
    'myst_nb',                  # Markdown pages and the notebooks, with their stored outputs
    'sphinx.ext.autodoc',       # the API reference from the docstrings...
    'sphinx.ext.napoleon',      # ...written with NumPy-style sections
    'sphinx.ext.mathjax',
]

# The course: every notebooks/*.ipynb, copied beside these pages at each
# build (docs/course/ is not committed), so a new notebook appears without
# editing anything here; course.md lists them with a glob.
COURSE = DOCS / 'course'
shutil.rmtree(COURSE, ignore_errors=True)
COURSE.mkdir()
for notebook in sorted((ROOT / 'notebooks').glob('*.ipynb')):
    shutil.copyfile(notebook, COURSE / notebook.name)

# The notebooks are shown with the outputs they were committed with: running
# them here would take minutes and need the renderer's compiled kernels.
nb_execution_mode = 'off'
# Widgets (sliders, dashboards) have no live kernel here; their stored state is not rendered.
nb_render_markdown_format = 'myst'
myst_enable_extensions = ['dollarmath', 'amsmath']
myst_heading_anchors = 3

autodoc_typehints = 'description'
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'undoc-members': False, 'show-inheritance': False}
napoleon_google_docstring = True
napoleon_numpy_docstring = True

exclude_patterns = ['_build', 'README.md', 'jupyter_execute', '**.ipynb_checkpoints']
html_theme = 'alabaster'
html_title = f'tutorial_kit {release}'
